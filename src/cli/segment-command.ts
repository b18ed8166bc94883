import { join } from "node:path";
import type { Command } from "commander";
import { createFeatureCache, type FeatureCache } from "../protocol/feature-cache";
import { K_RANGE } from "../protocol/kmeans-options";
import { writeProbeImages } from "../protocol/positional-probe";
import { type Segmentation, segment } from "../protocol/segment";
import { writeSegmentation } from "../protocol/write-segmentation";
import { seglensCacheDir } from "../util/cache-dir";
import { ensureCacheDir } from "./cache-check";
import { addModelFlags, type ModelFlags, noteSkipped, requestFromFlags } from "./features-command";
import { abortOnSignals } from "./interrupt";
import { choiceOption, existingFolder, integerIn } from "./option-parsers";
import { createProgressBar } from "./progress-bar";

/** Clustering flags of `segment` and `figure`. */
export interface ClusterFlags {
  k: number;
  seed: number;
  normalize: "l2" | "none";
  restarts: number;
  maxIter: number;
  masks?: string;
  cache: boolean;
  probe?: boolean;
}

// The ranges the k-means itself accepts (its options are checked again there, for API callers).
const SEED_RANGE = [0, 2 ** 32 - 1] as const;
const RESTARTS_RANGE = [1, 64] as const;
const MAX_ITER_RANGE = [1, 10000] as const;

/** Adds the clustering flags to `command`. */
export function addClusterFlags(command: Command): Command {
  return command
    .option("--k <K>", `clusters, ${K_RANGE.join("..")}`, integerIn("--k", ...K_RANGE), 6)
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
    .option("--probe", "also segment content-free images (flat colours, seeded noise): position alone");
}

/** Runs the protocol for the flags, with progress on a terminal and Ctrl-C stopping cleanly. */
export async function segmentFromFlags(
  flags: ModelFlags & ClusterFlags,
  cache?: FeatureCache,
): Promise<Segmentation> {
  ensureCacheDir();
  const bar = createProgressBar();
  const controller = new AbortController();
  const stopHandlingSignals = abortOnSignals(controller);
  try {
    const segmentation = await segment({
      ...requestFromFlags(flags),
      k: flags.k,
      seed: flags.seed,
      normalize: flags.normalize,
      restarts: flags.restarts,
      maxIter: flags.maxIter,
      ...(flags.masks === undefined ? {} : { masks: flags.masks }),
      cache: cache ?? createFeatureCache(flags.cache ? { dir: join(seglensCacheDir(), "features") } : {}),
      signal: controller.signal,
      onProgress: (p) => bar.update(p.done, p.total, p.stage === "cluster" ? "k-means fits" : "images"),
    });
    bar.finish();
    noteSkipped(segmentation.request);
    return segmentation;
  } finally {
    bar.finish();
    stopHandlingSignals();
  }
}

/** `seglens segment … --out DIR` */
export function addSegmentCommand(program: Command): void {
  const command = program
    .command("segment")
    .description("joint k-means label maps of every layer and representation, with metrics");
  addClusterFlags(addModelFlags(command))
    .requiredOption("--out <DIR>", "output folder")
    .action(async (flags: ModelFlags & ClusterFlags & { out: string }) => {
      const segmentation = await segmentFromFlags(flags);
      const settings = { normalize: flags.normalize, seed: flags.seed, restarts: flags.restarts };
      const meta = await writeSegmentation(segmentation, flags.out, settings);
      const [gh, gw] = meta.grid;
      process.stdout.write(
        `seglens segment: ${meta.images.length} images through "${meta.model}", K=${meta.k}\n` +
          `  wrote ${segmentation.labels.size} label maps [${meta.images.length}, ${gh}, ${gw}] + metrics.json + meta.json to ${flags.out}\n`,
      );
      if (flags.probe) {
        const size = segmentation.request.preprocess.outputSize;
        const images = await writeProbeImages(join(seglensCacheDir(), "probe"), size, { seed: flags.seed });
        const probe = await segmentFromFlags({ ...flags, images, masks: undefined });
        await writeSegmentation(probe, join(flags.out, "probe"), settings);
        process.stdout.write(
          `  positional probe (${images.length} content-free images) → ${join(flags.out, "probe")}\n`,
        );
      }
    });
}
