import { loadSharp } from "../util/load-sharp";
import type { RgbImage } from "./rgb-image";

/** PNG bytes of an RGB image. */
export async function encodePng(image: RgbImage): Promise<Buffer> {
  const [height, width] = image.dims;
  return loadSharp()(image.data, { raw: { width, height, channels: 3 } })
    .png()
    .toBuffer();
}
