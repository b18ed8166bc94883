import type { BenchResult } from "./bench-result";

/** Image counts of the scaling job when none are given. */
export const SCALING_COUNTS: readonly number[] = Object.freeze([100, 400, 1000]);

/**
 * What the scaling job aims for: time at most 10 % above linear in the image count (400 images ≤
 * 4.4 × the time of 100), peak RSS of the largest run at most 25 % above the smallest's, and at
 * most 2 GB (2048 MiB, the unit `maxRSS` is reported in) for the largest.
 */
export const SCALING_TARGETS = Object.freeze({ timeOverLinear: 1.1, rssGrowth: 1.25, peakRssMiB: 2048 });

/** The environment variable naming the file `peak-rss-reporter.ts` writes the peak RSS to. */
export const RSS_FILE_VARIABLE = "SEGLENS_BENCH_RSS_FILE";

/** One `seglens segment` run of the scaling job. */
export interface ScalingRun {
  images: number;
  /** Wall time of the whole command, process start to exit. */
  seconds: number;
  /** Peak resident set of the process, its worker threads included. */
  peakRssMiB: number;
  /** CPU time of all its threads, user + system: less swayed than wall time by other work. */
  cpuSeconds: number;
}

/**
 * Reads what `peak-rss-reporter.ts` wrote: `{maxRSS (KiB), userCPUTime, systemCPUTime (µs)}`.
 * Throws a `TypeError` naming the text when it is not that.
 */
export function parseUsage(text: string): Pick<ScalingRun, "peakRssMiB" | "cpuSeconds"> {
  let usage: unknown;
  try {
    usage = JSON.parse(text);
  } catch {
    // Not JSON: the check below names the text.
  }
  const field = (name: string) =>
    typeof usage === "object" && usage !== null ? (usage as Record<string, unknown>)[name] : undefined;
  const [maxRSS, user, system] = ["maxRSS", "userCPUTime", "systemCPUTime"].map(field);
  if (typeof maxRSS !== "number" || typeof user !== "number" || typeof system !== "number") {
    throw new TypeError(
      `invalid resource usage: ${JSON.stringify(text)}; expected JSON with numbers maxRSS, userCPUTime, systemCPUTime`,
    );
  }
  return { peakRssMiB: maxRSS / 1024, cpuSeconds: (user + system) / 1e6 };
}

/**
 * Parses `--images` of the scaling job: comma-separated positive integers, returned ascending
 * without repeats. Throws a `RangeError` naming the value otherwise.
 *
 * @example
 * parseImageCounts("400,100"); // [100, 400]
 */
export function parseImageCounts(text: string): number[] {
  const parts = text.split(",").map((part) => part.trim());
  const counts = parts.map(Number);
  if (text.trim() === "" || parts.some((part, i) => !/^\d+$/.test(part) || (counts[i] as number) < 1)) {
    throw new RangeError(
      `invalid --images: "${text}"; expected comma-separated image counts of at least 1, e.g. 100,400,1000`,
    );
  }
  return [...new Set(counts)].sort((a, b) => a - b);
}

/**
 * The scaling job's numbers: per run its wall time, images/s, CPU time and peak RSS; then, against the
 * smallest run, each larger run's time ratio (target: 1.1 × the ratio of image counts) and CPU
 * time ratio, and the
 * largest run's peak RSS ratio (target ≤ 1.25); and the largest run's peak RSS over 2 GB (target ≤ 1).
 * `what` starts each name, e.g. "seglens segment, ViT-S/16".
 */
export function scalingResults(runs: readonly ScalingRun[], what: string): BenchResult[] {
  const sorted = [...runs].sort((a, b) => a.images - b.images);
  const results: BenchResult[] = sorted.flatMap((run) => [
    { name: `${what}, ${run.images} images, wall time`, value: run.seconds, unit: "s" },
    { name: `${what}, ${run.images} images, throughput`, value: run.images / run.seconds, unit: "images/s" },
    {
      name: `${what}, ${run.images} images, CPU time (user + system, all threads)`,
      value: run.cpuSeconds,
      unit: "s",
    },
    {
      name: `${what}, ${run.images} images, peak RSS (process and workers)`,
      value: run.peakRssMiB,
      unit: "MB",
    },
  ]);
  const [first] = sorted;
  const last = sorted.at(-1);
  if (first === undefined || last === undefined) return results;
  for (const run of sorted.slice(1)) {
    const target = (SCALING_TARGETS.timeOverLinear * run.images) / first.images;
    results.push({
      name: `${what}, time(${run.images})/time(${first.images}) (target ≤ ${round(target)})`,
      value: run.seconds / first.seconds,
      unit: "ratio",
    });
    results.push({
      name: `${what}, CPU time(${run.images})/CPU time(${first.images}) (the same without other work's share)`,
      value: run.cpuSeconds / first.cpuSeconds,
      unit: "ratio",
    });
  }
  if (last !== first) {
    results.push({
      name: `${what}, peak RSS(${last.images})/peak RSS(${first.images}) (target ≤ ${SCALING_TARGETS.rssGrowth})`,
      value: last.peakRssMiB / first.peakRssMiB,
      unit: "ratio",
    });
  }
  results.push({
    name: `${what}, peak RSS(${last.images}) / 2 GB (target ≤ 1)`,
    value: last.peakRssMiB / SCALING_TARGETS.peakRssMiB,
    unit: "ratio",
  });
  return results;
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}
