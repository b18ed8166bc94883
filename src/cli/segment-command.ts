import { join } from "node:path";
import type { Command } from "commander";
import { InputError } from "../errors";
import { createFeatureCache, type FeatureCache } from "../features/feature-cache";
import { writeProbeImages } from "../segmentation/positional-probe";
import {
  type Segmentation,
  type SegmentStoredOptions,
  type StoredSegmentation,
  segment,
  segmentStored,
} from "../segmentation/segment";
import {
  type SegmentMeta,
  type SegmentSettings,
  stageSegmentation,
} from "../segmentation/write-segmentation";
import { seglensCacheDir } from "../util/cache-dir";
import { withOutput } from "../util/output-transaction";
import { DEFAULT_K, K_RANGE, type KMeansNormalize } from "../vocabulary";
import { ensureCacheDir } from "./cache-check";
import { addModelFlags, type ModelFlags, noteSkipped, requestFromFlags } from "./features-command";
import { abortOnSignals, type InterruptSignal } from "./interrupt";
import { choiceOption, existingFolder, integerIn } from "./option-parsers";
import { createProgressBar } from "./progress-bar";

/** Clustering flags of `segment` and `figure`. */
export interface ClusterFlags {
  k: number;
  seed: number;
  normalize: KMeansNormalize;
  restarts: number;
  maxIter: number;
  masks?: string;
  cache: boolean;
  cacheFloat16?: boolean;
  probe?: boolean;
}

// The ranges the k-means itself accepts (its options are checked again there, for API callers).
const SEED_RANGE = [0, 2 ** 32 - 1] as const;
const RESTARTS_RANGE = [1, 64] as const;
const MAX_ITER_RANGE = [1, 10000] as const;

/** Adds the clustering flags to `command`. */
export function addClusterFlags(command: Command): Command {
  return command
    .option("--k <K>", `clusters, ${K_RANGE.join("..")}`, integerIn("--k", ...K_RANGE), DEFAULT_K)
    .option("--seed <S>", `k-means seed, ${SEED_RANGE.join("..")}`, integerIn("--seed", ...SEED_RANGE), 0)
    .addOption(choiceOption("--normalize <N>", "L2-normalize vectors first, or not", ["l2", "none"], "l2"))
    .option(
      "--restarts <R>",
      `k-means++ restarts, ${RESTARTS_RANGE.join("..")}; the lowest inertia wins`,
      integerIn("--restarts", ...RESTARTS_RANGE),
      5,
    )
    .option(
      "--max-iter <I>",
      `Lloyd iterations per restart at most, ${MAX_ITER_RANGE.join("..")}`,
      integerIn("--max-iter", ...MAX_ITER_RANGE),
      100,
    )
    .option(
      "--masks <DIR>",
      "folder of ground-truth masks (PNG per image, same base name, 255 = ignore) for mIoU",
      existingFolder("--masks"),
    )
    .option("--no-cache", "do not read or write the on-disk feature cache")
    .option(
      "--cache-float16",
      "keep cached features in float16: half the disk, values within 2^-11 relative (labels near a cluster boundary may change)",
    )
    .option("--probe", "also segment content-free images (flat colours, seeded noise): position alone");
}

/**
 * Runs the protocol for the flags, with progress on a terminal. `signal` stops it (the command's
 * Ctrl-C/SIGTERM signal); without one, Ctrl-C and SIGTERM stop it while it runs.
 */
export async function segmentFromFlags(
  flags: ModelFlags & ClusterFlags,
  options: { cache?: FeatureCache; signal?: AbortSignal } = {},
): Promise<Segmentation> {
  ensureCacheDir();
  const bar = createProgressBar();
  const interrupt = options.signal === undefined ? abortOnSignals() : undefined;
  try {
    const segmentation = await segment({
      ...requestFromFlags(flags),
      ...clusterOptions(flags),
      cache: options.cache ?? featureCacheFor(flags),
      signal: options.signal ?? (interrupt as InterruptSignal).signal,
      onProgress: (p) => bar.update(p.done, p.total, p.stage === "cluster" ? "k-means fits" : "images"),
    });
    bar.finish();
    noteSkipped(segmentation.request);
    return segmentation;
  } finally {
    bar.finish();
    interrupt?.dispose();
  }
}

/**
 * The feature cache of a run: on disk under the seglens cache (float16 if asked), or with
 * `--no-cache` in memory, spilling to a temporary folder removed at exit when the set is larger.
 */
export function featureCacheFor(flags: Pick<ClusterFlags, "cache" | "cacheFloat16">): FeatureCache {
  const dtype = flags.cacheFloat16 === true ? "float16" : "float32";
  return createFeatureCache(flags.cache ? { dir: join(seglensCacheDir(), "features"), dtype } : { dtype });
}

function summary(done: { meta: SegmentMeta; maps: number; probeImages: number }, out: string): string {
  const { meta, maps, probeImages } = done;
  const [gh, gw] = meta.grid;
  const probe =
    probeImages === 0
      ? ""
      : `  positional probe (${probeImages} content-free images) → ${join(out, "probe")}\n`;
  return (
    `seglens segment: ${meta.images.length} images through "${meta.model}", K=${meta.k}\n` +
    `  wrote ${maps} label maps [${meta.images.length}, ${gh}, ${gw}] + metrics.json + meta.json to ${out}\n` +
    probe
  );
}

function settings(flags: ClusterFlags): SegmentSettings {
  return { normalize: flags.normalize, seed: flags.seed, restarts: flags.restarts };
}

/** `seglens segment … --out DIR` */
export function addSegmentCommand(program: Command): void {
  const command = program
    .command("segment")
    .description("joint k-means label maps of every layer and representation, with metrics");
  addClusterFlags(addModelFlags(command, { imagesOptional: true }))
    .option(
      "--features <DIR...>",
      "instead of --model and --images: cluster the features stored by `seglens features` (one folder, or every shard of one)",
    )
    .requiredOption("--out <DIR>", "output folder")
    .action(async (flags: ModelFlags & ClusterFlags & { out: string; features?: string[] }) => {
      checkInputFlags(flags);
      // Ctrl-C or SIGTERM stops the run; nothing reaches --out until all of it (probe included) is done.
      const interrupt = abortOnSignals();
      try {
        const { signal } = interrupt;
        const done = await withOutput(flags.out, { signal }, async (out) => {
          if (flags.features !== undefined) {
            const stored = await segmentStoredFromFlags(flags.features, flags, signal);
            const meta = await stageSegmentation(out, "", stored, settings(flags));
            return { meta, maps: stored.labels.size, probeImages: 0 };
          }
          const segmentation = await segmentFromFlags(flags, { signal });
          const meta = await stageSegmentation(out, "", segmentation, settings(flags));
          let probeImages = 0;
          if (flags.probe) {
            const size = segmentation.request.preprocess.outputSize;
            const seed = flags.seed;
            const images = await writeProbeImages(join(seglensCacheDir(), "probe"), size, { seed });
            const probe = await segmentFromFlags({ ...flags, images, masks: undefined }, { signal });
            await stageSegmentation(out, "probe", probe, settings(flags));
            probeImages = images.length;
          }
          return { meta, maps: segmentation.labels.size, probeImages };
        });
        process.stdout.write(summary(done, flags.out));
      } finally {
        interrupt.dispose();
      }
    });
}

// Flags that choose or run the model: meaningless when the features are read from folders.
const MODEL_ONLY = [
  "model",
  "images",
  "file",
  "variant",
  "size",
  "layers",
  "depth",
  "checkpoint",
  "probe",
] as const;

/** `--features` or `--model` with `--images`, never both. */
function checkInputFlags(flags: ModelFlags & ClusterFlags & { features?: string[] }): void {
  if (flags.features !== undefined) {
    const clash = MODEL_ONLY.find(
      (name) => (flags as unknown as Record<string, unknown>)[name] !== undefined,
    );
    if (clash !== undefined)
      throw new InputError(
        `--features reads stored features: --${clash === "checkpoint" ? "checkpoint" : clash} does not apply (the folders' meta.json says which model, images and layers)`,
      );
    return;
  }
  if (flags.model === undefined || flags.images === undefined)
    throw new InputError(
      `seglens segment needs ${flags.model === undefined ? "--model" : "--images"}, or --features DIR… to cluster stored features`,
    );
}

/** The clustering flags as options of `segment()` and `segmentStored()`. */
function clusterOptions(flags: ClusterFlags): SegmentStoredOptions {
  const { k, seed, normalize, restarts, maxIter, masks } = flags;
  return { k, seed, normalize, restarts, maxIter, ...(masks === undefined ? {} : { masks }) };
}

/** Clusters stored features with the clustering flags, with progress on a terminal. */
async function segmentStoredFromFlags(
  dirs: string[],
  flags: ClusterFlags,
  signal: AbortSignal,
): Promise<StoredSegmentation> {
  const bar = createProgressBar();
  try {
    return await segmentStored(dirs, {
      ...clusterOptions(flags),
      signal,
      onProgress: (p) => bar.update(p.done, p.total, "k-means fits"),
    });
  } finally {
    bar.finish();
  }
}
