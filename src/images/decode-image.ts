import { stat } from "node:fs/promises";
import { InputError } from "../errors";
import { loadSharp } from "../util/load-sharp";
import type { RgbImage } from "./rgb-image";

/**
 * Reads an image file into 8-bit RGB, as transformers' PIL-based processors would see it.
 *
 * Any format sharp reads (PNG, JPEG, WebP, TIFF, GIF: the first page). The EXIF orientation is
 * applied; an alpha channel is composited on white; greyscale becomes RGB; 16-bit samples become
 * 8-bit (the high byte). Embedded ICC profiles are not applied: PIL ignores them, so the models'
 * training pixels were the stored values.
 *
 * Throws an `InputError` naming the file and the reason (the underlying error as `cause`) for a
 * missing, unreadable, truncated or corrupt file. The error concerns that file only, so a caller
 * decoding a set can report it and go on with the others.
 *
 * @example
 * const image = await decodeImage("models/samples/chelsea.png");
 * image.dims; // [300, 451, 3]
 */
export async function decodeImage(path: string): Promise<RgbImage> {
  try {
    const stats = await stat(path);
    if (!stats.isFile()) {
      throw new Error("not a regular file");
    }
  } catch (cause) {
    throw new InputError(`cannot read image "${path}": ${reasonOf(cause)}`, { cause });
  }
  try {
    // failOn "error" rejects truncated and corrupt data but tolerates libjpeg/libpng warnings,
    // which PIL also decodes through.
    const { data, info } = await loadSharp()(path, { autoOrient: true, failOn: "error" })
      .flatten({ background: "#ffffff" })
      .toColourspace("srgb")
      // Keeping the profile is what stops sharp from converting pixels to sRGB through it.
      .keepIccProfile()
      .raw({ depth: "uchar" })
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) {
      throw new Error(`decoded to ${info.channels} channels instead of 3`);
    }
    // A fresh ArrayBuffer of exactly the pixels, so callers can transfer it to a worker.
    const pixels = new Uint8Array(data.length);
    pixels.set(data);
    return { data: pixels, dims: [info.height, info.width, 3] };
  } catch (cause) {
    throw new InputError(`cannot decode image "${path}": ${reasonOf(cause)}`, { cause });
  }
}

function reasonOf(cause: unknown): string {
  const code = cause instanceof Error && "code" in cause ? cause.code : undefined;
  if (code === "ENOENT") return "no such file";
  if (code === "EACCES") return "permission denied";
  const message = cause instanceof Error ? cause.message : String(cause);
  // sharp appends libvips' log lines; the first line carries the reason.
  return message.split("\n")[0].trim().replace(/:$/, "") || "unknown error";
}
