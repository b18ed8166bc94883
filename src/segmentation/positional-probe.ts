import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { encodePng } from "../images/encode-png";
import { createRgbImage } from "../images/rgb-image";
import { createRandom } from "../util/random";
import { writeFileAtomic } from "../util/write-file-atomic";

/** Flat colours of the probe: mid grey, black, white and a saturated colour. */
const FLAT: readonly (readonly [number, number, number])[] = [
  [128, 128, 128],
  [0, 0, 0],
  [255, 255, 255],
  [200, 60, 40],
];

/**
 * Writes the content-free images of the positional probe into `dir`: four flat
 * colours and `noise` images of seeded uniform noise, all `height × width` (the model's input
 * size, so preprocessing only normalizes them). Run through the protocol, whatever structure their
 * label maps show comes from position alone. Returns the files in a fixed order.
 */
export async function writeProbeImages(
  dir: string,
  [height, width]: readonly [height: number, width: number],
  options: { noise?: number; seed?: number } = {},
): Promise<string[]> {
  const noise = options.noise ?? 4;
  const seed = options.seed ?? 0;
  mkdirSync(dir, { recursive: true });
  const paths: string[] = [];
  for (const [i, [r, g, b]] of FLAT.entries()) {
    const path = join(dir, `flat-${i}-${height}x${width}.png`);
    if (!existsSync(path)) {
      const image = createRgbImage(height, width);
      for (let p = 0; p < height * width; p++) image.data.set([r, g, b], p * 3);
      writeFileAtomic(path, await encodePng(image));
    }
    paths.push(path);
  }
  const random = createRandom(seed);
  for (let i = 0; i < noise; i++) {
    const image = createRgbImage(height, width);
    for (let p = 0; p < image.data.length; p++) image.data[p] = random.int(256);
    const path = join(dir, `noise-${seed}-${i}-${height}x${width}.png`);
    if (!existsSync(path)) writeFileAtomic(path, await encodePng(image));
    paths.push(path);
  }
  return paths;
}
