import { join } from "node:path";
import { type Command, InvalidArgumentError, Option } from "commander";
import { createFeatureCache, type FeatureCache } from "../protocol/feature-cache";
import { writeProbeImages } from "../protocol/positional-probe";
import { type Segmentation, segment } from "../protocol/segment";
import { type SegmentMeta, type SegmentSettings, stageSegmentation } from "../protocol/write-segmentation";
import { abortOnSignals, type InterruptSignal } from "../util/abort-on-signals";
import { seglensCacheDir } from "../util/cache-dir";
import { withOutput } from "../util/output-transaction";
import { addModelFlags, type ModelFlags, requestFromFlags } from "./features-command";
import { createProgressBar } from "./progress-bar";

/** Clustering flags of `segment` and `figure` (design §6). */
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

function integerIn(min: number, max: number): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(`expected an integer in ${min}..${max}, got "${value}"`);
    }
    return n;
  };
}

/** Adds the clustering flags to `command`. */
export function addClusterFlags(command: Command): Command {
  return command
    .option("--k <K>", "clusters", integerIn(2, 32), 6)
    .option("--seed <S>", "k-means seed", integerIn(0, 2 ** 32 - 1), 0)
    .addOption(
      new Option("--normalize <N>", "L2-normalize vectors first").choices(["l2", "none"]).default("l2"),
    )
    .option("--restarts <R>", "k-means++ restarts, lowest inertia wins", integerIn(1, 64), 5)
    .option("--max-iter <I>", "Lloyd iterations per restart at most", integerIn(1, 10000), 100)
    .option("--masks <DIR>", "ground-truth masks (PNG per image, same base name, 255 = ignore) for mIoU")
    .option("--no-cache", "do not read or write the on-disk feature cache")
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
  const bar = createProgressBar();
  const interrupt = options.signal === undefined ? abortOnSignals() : undefined;
  try {
    return await segment({
      ...requestFromFlags(flags),
      k: flags.k,
      seed: flags.seed,
      normalize: flags.normalize,
      restarts: flags.restarts,
      maxIter: flags.maxIter,
      ...(flags.masks === undefined ? {} : { masks: flags.masks }),
      cache:
        options.cache ?? createFeatureCache(flags.cache ? { dir: join(seglensCacheDir(), "features") } : {}),
      signal: options.signal ?? (interrupt as InterruptSignal).signal,
      onProgress: (p) => bar.update(p.done, p.total, p.stage === "cluster" ? "k-means fits" : "images"),
    });
  } finally {
    bar.finish();
    interrupt?.dispose();
  }
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
  addClusterFlags(addModelFlags(command))
    .requiredOption("--out <DIR>", "output folder")
    .action(async (flags: ModelFlags & ClusterFlags & { out: string }) => {
      // Ctrl-C or SIGTERM stops the run; nothing reaches --out until all of it (probe included) is done.
      const interrupt = abortOnSignals();
      try {
        const { signal } = interrupt;
        const done = await withOutput(flags.out, { signal }, async (out) => {
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
