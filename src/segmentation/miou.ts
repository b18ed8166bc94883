import { existsSync } from "node:fs";
import { basename, extname, join } from "node:path";
import { Matrix } from "ml-matrix";
import { InputError } from "../errors";
import { modelView } from "../images/preprocess";
import type { PreprocessConfig } from "../images/preprocess-config";
import { loadSharp } from "../util/load-sharp";
import { maximumMatching } from "./hungarian";
import type { LabelMaps } from "./metrics";

/** The value that marks pixels to ignore in ground-truth masks. */
export const IGNORE = 255;

/** Ground-truth masks at the model's input size: class ids per pixel, `IGNORE` to skip. */
export interface Masks {
  data: Uint8Array;
  dims: [images: number, height: number, width: number];
}

/** mIoU of clusters against the classes of ground-truth masks (`seglens segment --masks`). */
export interface MiouScores {
  /** One-to-one (Hungarian) matching of clusters to classes; unmatched clusters count as wrong. */
  miou: number;
  /** Each cluster to its majority class; reported when K differs from the number of classes. */
  miouManyToOne?: number;
  classes: number[];
}

/** A mask file's pixels; a file sharp cannot decode is bad input, named. */
async function readMask(path: string) {
  try {
    return await loadSharp()(path).raw().toBuffer({ resolveWithObject: true });
  } catch (cause) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    throw new InputError(`cannot read mask "${path}": ${reason}; masks are single-channel PNGs`, { cause });
  }
}

/**
 * Loads the ground-truth mask of every image from `dir`: the PNG with the image's base name, a
 * single-channel label map (class ids, 255 = ignore), resized with nearest neighbours and cropped
 * exactly as the image was, so mask pixels line up with the model's input.
 */
export async function loadMasks(
  dir: string,
  images: readonly string[],
  config: PreprocessConfig,
): Promise<Masks> {
  const [height, width] = config.outputSize;
  const data = new Uint8Array(images.length * height * width);
  const nearest = { ...config, resample: "nearest" as const };
  for (const [i, image] of images.entries()) {
    const path = join(dir, `${basename(image, extname(image))}.png`);
    if (!existsSync(path)) throw new InputError(`no mask for image "${image}": expected "${path}"`);
    const { data: raw, info } = await readMask(path);
    const channel = new Uint8Array(info.width * info.height * 3);
    for (let p = 0; p < info.width * info.height; p++) {
      const value = raw[p * info.channels] as number;
      if (
        info.channels >= 3 &&
        (raw[p * info.channels + 1] !== value || raw[p * info.channels + 2] !== value)
      ) {
        throw new InputError(
          `mask "${path}" is in colour; masks must be single-channel class ids (255 = ignore)`,
        );
      }
      channel.fill(value, p * 3, p * 3 + 3);
    }
    const view = modelView({ data: channel, dims: [info.height, info.width, 3] }, nearest);
    for (let p = 0; p < height * width; p++) data[i * height * width + p] = view.data[p * 3] as number;
  }
  return { data, dims: [images.length, height, width] };
}

/** Confusion counts clusters × classes over the pixels, labels nearest-upsampled from the grid. */
function confusion(maps: LabelMaps, masks: Masks, classes: number[]): Matrix {
  const [n, gh, gw] = maps.dims;
  const [, height, width] = masks.dims;
  const column = new Map(classes.map((c, i) => [c, i]));
  const counts = new Matrix(maps.k, classes.length);
  for (let img = 0; img < n; img++) {
    for (let y = 0; y < height; y++) {
      const py = Math.floor((y * gh) / height);
      for (let x = 0; x < width; x++) {
        const truth = masks.data[(img * height + y) * width + x] as number;
        if (truth === IGNORE) continue;
        const label = maps.labels[(img * gh + py) * gw + Math.floor((x * gw) / width)] as number;
        const c = column.get(truth) as number;
        counts.set(label, c, counts.get(label, c) + 1);
      }
    }
  }
  return counts;
}

/** Mean IoU over classes when cluster `k` predicts class `assigned[k]` (-1: no class). */
function meanIou(counts: Matrix, assigned: Int32Array): number {
  let sum = 0;
  for (let c = 0; c < counts.columns; c++) {
    const truth = counts.getColumn(c).reduce((a, b) => a + b, 0);
    let hit = 0;
    let predicted = 0;
    for (let k = 0; k < counts.rows; k++) {
      if (assigned[k] !== c) continue;
      hit += counts.get(k, c);
      predicted += counts.getRow(k).reduce((a, b) => a + b, 0);
    }
    const union = truth + predicted - hit;
    sum += union === 0 ? 0 : hit / union;
  }
  return counts.columns === 0 ? 0 : sum / counts.columns;
}

/** mIoU of `maps` against `masks` (at the model's input size). */
export function miou(maps: LabelMaps, masks: Masks): MiouScores {
  if (masks.dims[0] !== maps.dims[0]) {
    throw new InputError(`${masks.dims[0]} masks for ${maps.dims[0]} label maps`);
  }
  const present = new Set<number>();
  for (const v of masks.data) if (v !== IGNORE) present.add(v);
  const classes = [...present].sort((a, b) => a - b);
  const counts = confusion(maps, masks, classes);
  const scores: MiouScores = { miou: meanIou(counts, maximumMatching(counts)), classes };
  if (maps.k !== classes.length) {
    const majority = Int32Array.from({ length: maps.k }, (_, k) => {
      const row = counts.getRow(k);
      const best = Math.max(...row);
      return best === 0 ? -1 : row.indexOf(best);
    });
    scores.miouManyToOne = meanIou(counts, majority);
  }
  return scores;
}
