import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statfsSync } from "node:fs";
import { availableParallelism, loadavg, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { BenchResult } from "./bench-result";
import { ensureBenchVit, VIT_SHAPES } from "./bench-vit";
import { writeScalingImages } from "./scaling-images";
import { parseUsage, RSS_FILE_VARIABLE, type ScalingRun, scalingResults } from "./scaling-summary";

const REPO = resolve(__dirname, "..", "..");
const MODEL = "vit-small-patch16";

/** Bytes the feature cache of one image takes: tokens, q, k, v of every block as float32. */
function cacheBytesPerImage(): number {
  const { depth, hiddenSize, patchSize, imageSize } = VIT_SHAPES[MODEL];
  return 4 * depth * ((imageSize / patchSize) ** 2 + 1) * hiddenSize * 4;
}

/** Refuses a count whose feature cache would not fit the temporary folder's free space. */
function checkDisk(dir: string, images: number): void {
  const { bavail, bsize } = statfsSync(dir);
  const needed = images * cacheBytesPerImage();
  if (needed > bavail * bsize) {
    throw new RangeError(
      `the scaling job at ${images} images needs ~${(needed / 1e9).toFixed(1)} GB of feature cache in "${dir}", which has ${((bavail * bsize) / 1e9).toFixed(1)} GB free; set TMPDIR to a larger disk or pass smaller --images`,
    );
  }
}

/** Runs `seglens segment` in a child process; resolves with its wall time, CPU time and peak RSS. */
async function timeSegment(args: string[], env: NodeJS.ProcessEnv, rssFile: string): Promise<ScalingRun> {
  const cli = join(REPO, "dist", "cli", "main.js");
  const reporter = join(__dirname, "peak-rss-reporter.js");
  const start = performance.now();
  // The command's own output goes to stderr: stdout carries the job's JSON.
  const child = spawn(process.execPath, ["--require", reporter, cli, "segment", ...args], {
    env,
    stdio: ["ignore", 2, 2],
  });
  const status = await new Promise<number | null>((done, fail) => {
    child.on("error", fail);
    child.on("exit", (code) => done(code));
  });
  const seconds = (performance.now() - start) / 1000;
  if (status !== 0) throw new Error(`seglens segment ${args.join(" ")} failed (exit ${status})`);
  return { images: 0, seconds, ...parseUsage(readFileSync(rssFile, "utf8")) };
}

/**
 * `seglens segment` over each of `counts` seeded synthetic images (supersets of each other) with a
 * random-weight ViT-S/16 at 224 px, all layers and representations, K = 6: wall time, images/s and
 * peak RSS per count, and the ratios between them (see `scalingResults`). Each count runs as a
 * fresh process with its own empty SEGLENS_CACHE in a temporary folder, removed right after it
 * (1,000 images' features take ~15 GB).
 */
export async function benchScaling(options: {
  counts: readonly number[];
  threads: number;
  log: (line: string) => void;
}): Promise<BenchResult[]> {
  const { counts, threads, log } = options;
  const model = ensureBenchVit(join(REPO, "models", "bench"), MODEL);
  const dir = mkdtempSync(join(tmpdir(), "seglens-bench-scaling-"));
  try {
    log(`scaling: writing ${Math.max(...counts)} synthetic images`);
    const folders = await writeScalingImages(join(dir, "images"), counts);
    const runs: ScalingRun[] = [];
    for (const count of counts) {
      checkDisk(dir, count);
      const run = join(dir, `run-${count}`);
      mkdirSync(run);
      try {
        const env = {
          ...process.env,
          SEGLENS_CACHE: join(run, "cache"),
          [RSS_FILE_VARIABLE]: join(run, "rss"),
        };
        const args = ["--model", model, "--images", folders.get(count) as string, "--out", join(run, "out")];
        log(`scaling: seglens segment, ${count} images`);
        const result = await timeSegment([...args, "--threads", String(threads)], env, join(run, "rss"));
        runs.push({ ...result, images: count });
        // The load average says whether other work shared the cores (times are wall times).
        const load = loadavg()[0]?.toFixed(1);
        log(
          `scaling: ${count} images in ${result.seconds.toFixed(1)} s (CPU ${result.cpuSeconds.toFixed(0)} s), peak RSS ${result.peakRssMiB.toFixed(0)} MB, load average ${load} on ${availableParallelism()} cores`,
        );
      } finally {
        rmSync(run, { recursive: true, force: true });
      }
    }
    return scalingResults(runs, "seglens segment, ViT-S/16");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
