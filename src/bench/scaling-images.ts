import { linkSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { decodeImage } from "../images/decode-image";
import { encodePng } from "../images/encode-png";
import { listImages } from "../images/list-images";
import { createRgbImage, type RgbImage } from "../images/rgb-image";
import { SAMPLE_IMAGES } from "../images/sample-images";
import { createRandom } from "../util/random";

/** Side of the generated images in pixels: the benchmark ViTs' input, so resizing costs little. */
export const SCALING_IMAGE_SIZE = 224;

/**
 * Image `index` of the seeded set: a square crop of one of `photos` (chosen, placed and sized at
 * random, 35–100 % of the photo's shorter side), sampled to `size` × `size` (nearest pixel), mirrored
 * or not, with a per-channel gain of 0.8–1.2. It depends on `seed` and `index` only, so the first n
 * images of a larger set are the n images of a smaller one.
 *
 * @example
 * const photos = await Promise.all(listImages([SAMPLE_IMAGES]).map((f) => decodeImage(f)));
 * const first = scalingImage(photos, 0, 0); // 224 × 224 RGB
 */
export function scalingImage(
  photos: readonly RgbImage[],
  seed: number,
  index: number,
  size = SCALING_IMAGE_SIZE,
): RgbImage {
  // One stream per image (a golden-ratio step apart), not one stream consumed in order.
  const random = createRandom((seed ^ Math.imul(index + 1, 0x9e3779b1)) >>> 0);
  const photo = photos[random.int(photos.length)] as RgbImage;
  const [height, width] = photo.dims;
  const side = Math.max(1, Math.round(Math.min(height, width) * (0.35 + 0.65 * random.uniform())));
  const top = random.int(height - side + 1);
  const left = random.int(width - side + 1);
  const mirror = random.uniform() < 0.5;
  const gain = [0, 1, 2].map(() => 0.8 + 0.4 * random.uniform());
  const out = createRgbImage(size, size);
  for (let y = 0; y < size; y++) {
    const sy = top + Math.floor(((y + 0.5) * side) / size);
    for (let x = 0; x < size; x++) {
      const sx = left + Math.floor((((mirror ? size - 1 - x : x) + 0.5) * side) / size);
      const from = (sy * width + sx) * 3;
      const to = (y * size + x) * 3;
      for (let c = 0; c < 3; c++) {
        out.data[to + c] = Math.min(255, Math.round((photo.data[from + c] as number) * (gain[c] as number)));
      }
    }
  }
  return out;
}

/** File name of image `index`: zero-padded, so a folder lists the images in generation order. */
export function scalingImageName(index: number): string {
  return `image-${String(index).padStart(5, "0")}.png`;
}

/**
 * Writes the largest of `counts` images once under `dir/all`, and for each count a folder
 * `dir/<count>` holding hard links to the first `count` of them (supersets, no extra disk).
 * Resolves with the folder of each count.
 */
export async function writeScalingImages(
  dir: string,
  counts: readonly number[],
  seed = 0,
): Promise<Map<number, string>> {
  const photos = await Promise.all(listImages([SAMPLE_IMAGES]).map((file) => decodeImage(file)));
  const all = join(dir, "all");
  mkdirSync(all, { recursive: true });
  const largest = Math.max(...counts);
  for (let i = 0; i < largest; i++) {
    writeFileSync(join(all, scalingImageName(i)), await encodePng(scalingImage(photos, seed, i)));
  }
  const folders = new Map<number, string>();
  for (const count of counts) {
    const folder = join(dir, String(count));
    mkdirSync(folder, { recursive: true });
    for (let i = 0; i < count; i++)
      linkSync(join(all, scalingImageName(i)), join(folder, scalingImageName(i)));
    folders.set(count, folder);
  }
  return folders;
}
