/**
 * The lenses of `seglens figure` other than the clusters: which flags each accepts, and how its
 * figure is made. The clusters' figure is `planFigure` + `segmentationFigure`, as before lenses.
 */
import type { Command } from "commander";
import { InputError } from "../errors";
import { pcaMaps } from "../lenses/pca-request";
import { releasePcaSession } from "../lenses/pca-scatter-graph";
import type { FigureSpec } from "../render/figure";
import { pcaFigure } from "../render/pca-figure";
import { ensureCacheDir } from "./cache-check";
import { requestFromFlags } from "./features-command";
import { type FigureFlags, type Flags, layerRowsSelection } from "./figure-plan";
import { numberIn } from "./option-parsers";
import { createProgressBar } from "./progress-bar";
import { featureCacheFor } from "./segment-command";

// The k-means flags: they choose how clusters are fitted, so no other lens reads them.
const CLUSTER_ONLY = ["k", "seed", "normalize", "restarts", "maxIter", "masks", "probe"] as const;
const flagName = (key: string): string => `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;

/** `--pca-foreground`: a threshold in 0..1, 1 excluded (nothing would be above it). */
export function foregroundThreshold(value: string): number {
  const threshold = numberIn("--pca-foreground", 0, 1)(value);
  if (threshold >= 1) {
    throw new InputError(`invalid --pca-foreground "${value}": expected a number in 0..1, 1 excluded`);
  }
  return threshold;
}

/**
 * Refuses flags the chosen lens does not read (given on the command line, not defaults), and
 * layouts it does not draw, before any model is loaded.
 */
export function checkLensFlags(flags: FigureFlags, command: Command): void {
  if (flags.lens !== "pca" && flags.pcaForeground !== undefined) {
    throw new InputError(`--pca-foreground applies to --lens pca; the ${flags.lens} lens has no foreground`);
  }
  if (flags.lens === "clusters") return;
  const given = CLUSTER_ONLY.find((key) => command.getOptionValueSource(key) === "cli");
  if (given !== undefined) {
    throw new InputError(
      `${flagName(given)} chooses how k-means clusters and does not apply to --lens ${flags.lens}`,
    );
  }
  if (flags.rows !== "layers") {
    throw new InputError(
      `--lens ${flags.lens} draws a row per layer of one model (--rows layers with --cols images or reps); --rows "${flags.rows}" is drawn for --lens clusters`,
    );
  }
}

/** A lens's figure and the model files it showed. */
export interface LensFigure {
  spec: FigureSpec;
  models: string[];
}

/** The PCA lens's figure: features (through the same cache as the clusters), one joint PCA per layer. */
export async function pcaFigureFromFlags(
  flags: Flags,
  image: number | "all",
  signal: AbortSignal,
): Promise<LensFigure> {
  ensureCacheDir();
  const { depth: _fractions, ...rest } = flags;
  const bar = createProgressBar();
  try {
    const maps = await pcaMaps({
      ...requestFromFlags({ ...rest, ...layerRowsSelection(flags) }),
      ...(flags.pcaForeground === undefined ? {} : { foreground: flags.pcaForeground }),
      cache: featureCacheFor(flags),
      signal,
      onProgress: (p) => bar.update(p.done, p.total, "images"),
    });
    bar.finish();
    const cols = flags.cols === "reps" ? "reps" : "images";
    const spec = await pcaFigure(
      maps,
      { cols, rep: maps.request.reps[0] ?? "tokens", image, opacity: flags.opacity },
      flags.pcaForeground,
    );
    return { spec, models: [maps.request.model.onnxPath] };
  } finally {
    bar.finish();
    await releasePcaSession();
  }
}
