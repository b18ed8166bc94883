import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join, resolve } from "node:path";
import { Command } from "commander";
import { decodeImage } from "../images/decode-image";
import { listImages } from "../images/list-images";
import { preprocessImage } from "../images/preprocess";
import { preprocessConfigFromHub } from "../images/preprocess-config-from-hub";
import { benchAttention } from "./bench-attention";
import { benchExplorer } from "./bench-explorer";
import { benchExplorerLab } from "./bench-explorer-lab";
import { benchFigure } from "./bench-figure";
import { benchKMeans } from "./bench-kmeans";
import { benchModel } from "./bench-model";
import { benchPca } from "./bench-pca";
import type { BenchResult } from "./bench-result";
import { benchScaling } from "./bench-scaling";
import { VIT_SHAPES } from "./bench-vit";
import { referencePython } from "./reference-python";
import { parseImageCounts, SCALING_COUNTS } from "./scaling-summary";

const REPO = resolve(__dirname, "..", "..");
const JOBS = [
  { id: "vit-small-patch16", images: 8 },
  { id: "vit-base-patch16", images: 32 },
] as const;
const REPEATS = 3;
// Plain forward, taps and the real pipeline take turns, so more repeats cost little and steady the ratio.
const MODEL_REPEATS = 5;
// The attention rows change a run's time by a few percent: more repeats, so the best of each kind
// comes from a quiet moment of the machine.
const ATTENTION_REPEATS = 15;
const MODEL_PLACE = {
  modelsDir: join(REPO, "models", "bench"),
  samplesDir: join(REPO, "models", "samples"),
};
// The scaling job's counts within `npm run bench`, which should stay within minutes: the job alone
// (`--job scaling`) defaults to the full SCALING_COUNTS.
const BENCH_SCALING_COUNTS = [100, 400];

async function best(repeats: number, run: () => Promise<void>): Promise<number> {
  let fastest = Number.POSITIVE_INFINITY;
  for (let i = 0; i < repeats; i++) {
    // Collect the previous repeat's arrays first, so peak RSS is one extraction's, not several.
    (globalThis as { gc?: () => void }).gc?.();
    const start = performance.now();
    await run();
    fastest = Math.min(fastest, performance.now() - start);
  }
  return fastest;
}

async function benchPreprocess(): Promise<BenchResult> {
  const files = listImages([join(REPO, "models", "samples")]);
  const config = preprocessConfigFromHub({
    image_processor_type: "BitImageProcessor",
    size: { shortest_edge: 256 },
    crop_size: { height: 224, width: 224 },
    do_center_crop: true,
    resample: 3,
  });
  const decoded = await Promise.all(files.map((f) => decodeImage(f)));
  const ms = await best(REPEATS, async () => {
    for (const image of decoded) preprocessImage(image, config);
  });
  return {
    name: `preprocess (DINOv2: resize 256 bicubic, crop 224), ${files.length} sample photos`,
    value: ms / files.length,
    unit: "ms/image",
  };
}

function pytorchReference(threads: number, log: (line: string) => void): Record<string, number> | undefined {
  const python = referencePython(log);
  if (python === undefined) return undefined;
  const shapes = Object.fromEntries(JOBS.map((j) => [j.id, { shape: VIT_SHAPES[j.id], images: j.images }]));
  const script = join(REPO, "src", "bench", "pytorch_reference.py");
  const run = spawnSync(python, [script, "--shapes", JSON.stringify(shapes), "--threads", String(threads)], {
    encoding: "utf8",
    maxBuffer: 1 << 20,
  });
  if (run.status !== 0) {
    log(`the PyTorch reference failed: ${run.stderr.trim().split("\n").pop()}`);
    return undefined;
  }
  return JSON.parse(run.stdout.trim().split("\n").pop() as string) as Record<string, number>;
}

/** What every job gets: the command line's settings and the log. */
interface JobContext {
  threads: number;
  log: (line: string) => void;
  reference: boolean;
  /** Image counts of the scaling job. */
  counts: number[];
}

/** Measurements that each run in a fresh process (see {@link benchInChild}). */
const CHILD_JOBS: Record<string, (context: JobContext) => Promise<BenchResult[]>> = {
  "vit-small-patch16": ({ threads }) =>
    benchModel("vit-small-patch16", 8, { threads, repeats: MODEL_REPEATS, place: MODEL_PLACE }),
  "vit-base-patch16": ({ threads }) =>
    benchModel("vit-base-patch16", 32, { threads, repeats: MODEL_REPEATS, place: MODEL_PLACE }),
  attention: ({ threads }) =>
    benchAttention("vit-small-patch16", 8, { threads, repeats: ATTENTION_REPEATS, place: MODEL_PLACE }),
  kmeans: ({ log, reference }) => benchKMeans({ log, reference }),
  figure: () => benchFigure(),
  pca: () => benchPca(),
  explorer: ({ log, reference }) => benchExplorer({ log, reference }),
  "explorer-lab": ({ log }) => benchExplorerLab(log),
  scaling: ({ counts, threads, log }) => benchScaling({ counts, threads, log }),
};

/**
 * Runs one job in a fresh Node process, so its peak RSS is its own and not the high-water mark of
 * everything measured before it.
 */
function benchInChild(job: string, context: Omit<JobContext, "log">): BenchResult[] {
  const { threads, reference, counts } = context;
  const args = ["--expose-gc", __filename, "--job", job, "--threads", String(threads)];
  args.push("--images", counts.join(","));
  if (!reference) args.push("--no-reference");
  const run = spawnSync(process.execPath, args, {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
    maxBuffer: 1 << 20,
  });
  if (run.status !== 0) throw new Error(`benchmark ${job} failed (exit ${run.status})`);
  // The job's results are its last line (a job may print, e.g. the CLI's own summary).
  return JSON.parse(run.stdout.trim().split("\n").at(-1) ?? "[]") as BenchResult[];
}

async function main(): Promise<void> {
  const options = new Command("bench")
    .option("--json <FILE>", "also write the results as JSON")
    .option("--no-reference", "skip the PyTorch reference")
    .option("--threads <N>", "intra-op threads for both runtimes", String(availableParallelism()))
    .option(
      "--images <N,N,...>",
      `image counts of the scaling job (job scaling alone: ${SCALING_COUNTS.join(",")})`,
      parseImageCounts,
    )
    .option("--job <ID>", `run one of ${Object.keys(CHILD_JOBS).join(", ")} alone and print JSON`)
    .parse(process.argv)
    .opts<{ json?: string; reference: boolean; threads: string; images?: number[]; job?: string }>();
  const threads = Number(options.threads);
  const log = (line: string) => process.stderr.write(`bench: ${line}\n`);
  const context = { threads, reference: options.reference };
  if (options.job !== undefined) {
    const job = CHILD_JOBS[options.job];
    if (job === undefined) throw new Error(`unknown --job "${options.job}"`);
    const results = await job({ ...context, log, counts: options.images ?? [...SCALING_COUNTS] });
    // The scaling job's runs are child processes with their own peak RSS; its own would mislead.
    if (options.job !== "scaling") {
      results.push({
        name: `${options.job} job peak RSS (process and workers, setup included)`,
        value: process.resourceUsage().maxRSS / 1024,
        unit: "MB",
      });
    }
    process.stdout.write(`\n${JSON.stringify(results)}\n`);
    return;
  }
  const counts = options.images ?? [...BENCH_SCALING_COUNTS];
  const results: BenchResult[] = [await benchPreprocess()];
  const reference = options.reference ? pytorchReference(threads, log) : undefined;
  for (const job of JOBS) {
    log(`${job.id}: ${job.images} images at 224 px`);
    // The second result is the 48 taps, which the PyTorch reference (with hooks) compares with.
    const model = benchInChild(job.id, { ...context, counts });
    const taps = model[1] as BenchResult;
    const torchMs = reference?.[job.id];
    if (torchMs !== undefined) {
      taps.reference = torchMs;
      taps.ratio = torchMs / taps.value;
    }
    results.push(...model);
  }
  log("k-means on real features (and scikit-learn's KMeans(n_init=10) where its venv exists)");
  results.push(...benchInChild("kmeans", { ...context, counts }));
  log("seglens figure, cold and warm caches");
  results.push(...benchInChild("figure", { ...context, counts }));
  log("PCA lens: one layer at the explorer's size and at 1000 ViT-B/16 images");
  results.push(...benchInChild("pca", { ...context, counts }));
  log("explorer: K changes on cached features, 16 photos (and scikit-learn on the same layers)");
  results.push(...benchInChild("explorer", { ...context, counts }));
  log("explorer in JupyterLab: K changes from the widget's slider in headless Chromium");
  results.push(...benchInChild("explorer-lab", { ...context, counts }));
  log(
    `scaling: seglens segment over ${counts.join(", ")} images, ViT-S/16, each in its own process and cache`,
  );
  results.push(...benchInChild("scaling", { ...context, counts }));
  for (const r of results) {
    const versus =
      r.reference === undefined
        ? ""
        : `  (Python reference ${r.reference.toFixed(1)}, ratio ${r.ratio?.toFixed(2)})`;
    const value = r.unit === "ratio" ? r.value.toFixed(4) : r.value.toFixed(1);
    process.stdout.write(`${value.padStart(9)} ${r.unit.padEnd(9)} ${r.name}${versus}\n`);
  }
  if (options.json !== undefined) writeFileSync(options.json, `${JSON.stringify(results, null, 2)}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`bench: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
