import { open, stat } from "node:fs/promises";
import type { Metadata, Sharp } from "sharp";
import { InputError } from "../errors";
import { loadSharp } from "../util/load-sharp";
import {
  type AlphaMode,
  checkAlphaMode,
  checkOrientation,
  DEFAULT_DECODE_OPTIONS,
  type DecodeOptions,
} from "./decode-options";
import { cmykToRgb, grey16ToRgb } from "./pillow-convert";
import type { RgbImage } from "./rgb-image";

/**
 * The most pixels an image may have: twice Pillow's `Image.MAX_IMAGE_PIXELS`, above which
 * `PIL.Image.open` refuses the file as a decompression bomb.
 */
export const MAX_IMAGE_PIXELS = 2 * 89_478_485;

/**
 * Reads an image file into 8-bit RGB: by default the pixels transformers' processors see for
 * `PIL.Image.open(path)`, which is Pillow's `convert("RGB")` of the file as stored.
 *
 * Any format sharp reads (PNG, JPEG, WebP, TIFF, GIF: the first page). As Pillow does:
 * - transparency is dropped, keeping the colour stored under it (`alpha: "white"` composites on
 *   white instead);
 * - the EXIF orientation tag is not applied (`orientation: "exif"` applies it, as transformers'
 *   `load_image` and pipelines do);
 * - greyscale and palette images become RGB; 16-bit RGB(A) and grey+alpha keep the high byte;
 *   16-bit greyscale is clipped at 255 (Pillow's `I;16` conversion: mostly white);
 * - CMYK becomes RGB by Pillow's formula, without a colour profile;
 * - embedded ICC profiles are ignored: the models' training pixels were the stored values.
 *
 * Throws an `InputError` naming the file and the reason (the underlying error as `cause`) for a
 * missing, empty, unreadable, truncated or corrupt file, a format sharp does not read, or more than
 * {@link MAX_IMAGE_PIXELS} pixels; and for an invalid option. The error concerns that file only, so
 * a caller decoding a set can report it and go on with the others.
 *
 * @example
 * const image = await decodeImage("models/samples/chelsea.png");
 * image.dims; // [300, 451, 3]
 * const onWhite = await decodeImage("logo.png", { alpha: "white" });
 */
export async function decodeImage(path: string, options: DecodeOptions = {}): Promise<RgbImage> {
  const alpha = checkAlphaMode(options.alpha ?? DEFAULT_DECODE_OPTIONS.alpha);
  const orientation = checkOrientation(options.orientation ?? DEFAULT_DECODE_OPTIONS.orientation);
  const name = JSON.stringify(path);
  let size: number;
  try {
    const stats = await stat(path);
    if (!stats.isFile()) throw new Error("not a regular file");
    size = stats.size;
  } catch (cause) {
    throw new InputError(`cannot read image ${name}: ${reasonOf(cause)}`, { cause });
  }
  if (size === 0) throw new InputError(`cannot decode image ${name}: the file is empty (0 bytes)`);
  let header: Metadata;
  try {
    // The header alone, without sharp's own pixel limit, so the check below can quote the size.
    header = await loadSharp()(path, { limitInputPixels: false }).metadata();
  } catch (cause) {
    throw new InputError(`cannot decode image ${name}: ${reasonOf(cause)}`, { cause });
  }
  const { width = 0, height = 0 } = header;
  if (width * height > MAX_IMAGE_PIXELS) {
    throw new InputError(
      `cannot decode image ${name}: ${width}×${height} is ${width * height} pixels; the limit is ` +
        `${MAX_IMAGE_PIXELS} (where Pillow refuses an image as a decompression bomb)`,
    );
  }
  try {
    // failOn "error" rejects truncated and corrupt data but tolerates libjpeg/libpng warnings,
    // which Pillow also decodes through.
    const image = loadSharp()(path, {
      autoOrient: orientation === "exif",
      failOn: "error",
      limitInputPixels: MAX_IMAGE_PIXELS,
    });
    return await decodePixels(image, await sourceKind(path, header), alpha);
  } catch (cause) {
    throw new InputError(`cannot decode image ${name}: corrupt or truncated data (${reasonOf(cause)})`, {
      cause,
    });
  }
}

/** Sources whose conversion to RGB Pillow does differently from libvips. */
type SourceKind = "cmyk" | "grey16" | "other";

async function sourceKind(path: string, header: Metadata): Promise<SourceKind> {
  if (header.space === "cmyk") return "cmyk";
  if (header.space !== "grey16") return "other";
  // Pillow opens 16-bit grey as `I;16` even with a tRNS entry, which libvips turns into an alpha
  // channel; grey+alpha (PNG colour type 4) is another mode, kept at its high byte.
  if (header.channels === 1) return "grey16";
  return header.format === "png" && (await pngColourType(path)) === 0 ? "grey16" : "other";
}

async function decodePixels(image: Sharp, kind: SourceKind, alpha: AlphaMode): Promise<RgbImage> {
  switch (kind) {
    case "cmyk": {
      // The stored C, M, Y, K values, with no profile conversion to sRGB.
      const { data, info } = await image
        .pipelineColourspace("cmyk")
        .toColourspace("cmyk")
        .raw({ depth: "uchar" })
        .toBuffer({ resolveWithObject: true });
      return rgbImage(cmykToRgb(data, info.channels), info);
    }
    case "grey16": {
      const { data, info } = await image
        .removeAlpha()
        .toColourspace("grey16")
        .raw({ depth: "ushort" })
        .toBuffer({ resolveWithObject: true });
      // sharp writes 16-bit samples in host byte order; copy into an aligned Uint16Array.
      const samples = new Uint16Array(info.width * info.height);
      new Uint8Array(samples.buffer).set(data.subarray(0, samples.byteLength));
      return rgbImage(grey16ToRgb(samples), info);
    }
    case "other": {
      const opaque = alpha === "white" ? image.flatten({ background: "#ffffff" }) : image.removeAlpha();
      const { data, info } = await opaque
        .toColourspace("srgb")
        // Keeping the profile is what stops sharp from converting pixels to sRGB through it.
        .keepIccProfile()
        .raw({ depth: "uchar" })
        .toBuffer({ resolveWithObject: true });
      if (info.channels !== 3) throw new Error(`decoded to ${info.channels} channels instead of 3`);
      // A fresh ArrayBuffer of exactly the pixels, so callers can transfer it to a worker.
      const pixels = new Uint8Array(data.length);
      pixels.set(data);
      return rgbImage(pixels, info);
    }
  }
}

function rgbImage(data: Uint8Array, info: { width: number; height: number }): RgbImage {
  return { data, dims: [info.height, info.width, 3] };
}

/** The colour type byte of a PNG's IHDR chunk (0 grey, 2 RGB, 3 palette, 4 grey+alpha, 6 RGBA). */
async function pngColourType(path: string): Promise<number | undefined> {
  const file = await open(path, "r");
  try {
    const { buffer, bytesRead } = await file.read(Buffer.alloc(26), 0, 26, 0);
    return bytesRead === 26 ? buffer[25] : undefined;
  } finally {
    await file.close();
  }
}

function reasonOf(cause: unknown): string {
  const code = cause instanceof Error && "code" in cause ? cause.code : undefined;
  if (code === "ENOENT") return "no such file";
  if (code === "EACCES") return "permission denied";
  const message = cause instanceof Error ? cause.message : String(cause);
  // sharp appends libvips' log lines; the first line carries the reason.
  const first = message.split("\n")[0]?.trim().replace(/:$/, "") || "unknown error";
  if (first === "Input file contains unsupported image format") {
    return "not an image in a format seglens reads (PNG, JPEG, WebP, TIFF, GIF)";
  }
  const corrupt = /^Input file has corrupt header:?\s*(.*)$/.exec(first);
  if (corrupt !== null) return corrupt[1] ? `corrupt header (${corrupt[1]})` : "corrupt header";
  return first;
}
