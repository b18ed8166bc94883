/**
 * What every segmentation figure layout shares: label lookups, panels over shared photos, metric
 * captions, titles, and blocks of rows per image.
 */
import { basename } from "node:path";
import type { PreparedRequest } from "../features/feature-request";
import { decodeImage } from "../images/decode-image";
import { modelView } from "../images/preprocess";
import type { RgbImage } from "../images/rgb-image";
import type { LayerScores, Segmentation } from "../segmentation/segment";
import type { FigureRow } from "./figure";
import type { LabelPanel } from "./panel-svg";

// Two decimals, without the "-0.00" of tiny negative values.
export const fixed = (value: number): string => (Math.abs(value) < 0.005 ? 0 : value).toFixed(2);

/** PB/LC/BA (and mIoU with masks) as the two lines of a row note, or undefined without scores. */
export function scoreNote(scores: LayerScores | undefined): string | undefined {
  if (scores === undefined) return undefined;
  const first = `PB ${fixed(scores.pb)}  LC ${fixed(scores.lc)}`;
  const second = `BA ${fixed(scores.ba)}${scores.miou === undefined ? "" : `  mIoU ${fixed(scores.miou)}`}`;
  return `${first}\n${second}`;
}

/** PB/LC/BA of one panel, as caption lines that fit a panel's width. */
export function scoreCaption(scores: LayerScores | undefined): string[] {
  return scores === undefined
    ? []
    : [`PB ${fixed(scores.pb)} LC ${fixed(scores.lc)}`, `BA ${fixed(scores.ba)}`];
}

/** The labels of `key` (`rep_L<l>`), `[images, gh, gw]`. */
export function labelsOf(segmentation: Segmentation, key: string): Int32Array {
  const labels = segmentation.labels.get(key);
  if (labels === undefined) throw new Error(`no labels for ${key}`);
  return labels;
}

/** `K=6`, or `K=4/6` when the segmentations differ in K. */
export function kText(segmentations: readonly Segmentation[]): string {
  return `K=${[...new Set(segmentations.map((s) => s.k))].join("/")}`;
}

/** The file name of image `index` of a segmentation. */
export function imageName(segmentation: Segmentation, index: number): string {
  return basename(segmentation.request.images[index] ?? "");
}

/**
 * The photos under a figure's panels, each the model's view of an image (what the model saw after
 * resizing and cropping), decoded once and embedded once however many panels show it. Models that
 * preprocess alike share their photos. Indices follow the order of first use, so a figure's SVG
 * is the same on every run.
 */
export interface PhotoBook {
  /** The index among `photos()` of image `image` as `segmentation`'s model (or any request's) sees it. */
  photo(segmentation: { request: Pick<PreparedRequest, "images" | "preprocess"> }, image: number): number;
  /** Every photo asked for, decoded, in index order. */
  photos(): Promise<RgbImage[]>;
}

/** A new, empty {@link PhotoBook}. */
export function createPhotoBook(): PhotoBook {
  const decoded: Promise<RgbImage>[] = [];
  const indices = new Map<string, number>();
  return {
    photo(segmentation, image) {
      const { images, preprocess } = segmentation.request;
      const path = images[image] as string;
      const key = JSON.stringify([path, preprocess]);
      let index = indices.get(key);
      if (index === undefined) {
        index = decoded.push(decodeImage(path, preprocess).then((rgb) => modelView(rgb, preprocess))) - 1;
        indices.set(key, index);
      }
      return index;
    },
    photos: () => Promise.all(decoded),
  };
}

/** Image `image`'s map out of `labels` (`[images, gh, gw]`), over that image's photo. */
export function labelPanel(
  book: PhotoBook,
  segmentation: Segmentation,
  labels: Int32Array,
  image: number,
): LabelPanel {
  const [gh, gw] = segmentation.grid;
  return {
    labels: labels.subarray(image * gh * gw, (image + 1) * gh * gw),
    grid: [gh, gw],
    photo: book.photo(segmentation, image),
  };
}

/**
 * The rows of a one-image figure for `image`, or with `"all"`, one block of rows per image, each
 * block headed by the image's file name.
 */
export function imageBlocks(
  image: number | "all",
  names: readonly string[],
  rowsFor: (image: number) => FigureRow[],
): FigureRow[] {
  if (image !== "all") return rowsFor(image);
  return names.flatMap((name, i) => {
    const block = rowsFor(i);
    if (block[0] !== undefined) block[0].heading = basename(name);
    return block;
  });
}
