import { InputError } from "../errors";

/**
 * What happens to transparency: `"drop"` keeps the colour stored under it and discards the alpha
 * (Pillow's `convert("RGB")`, which transformers' processors apply); `"white"` composites the image
 * on a white background first.
 */
export type AlphaMode = "drop" | "white";

/**
 * Which way up pixels are read: `"stored"` as the file stores them (Pillow's `Image.open`, which
 * transformers' processors take as it is); `"exif"` turned by the EXIF orientation tag first
 * (Pillow's `ImageOps.exif_transpose`, which transformers' `load_image` and pipelines apply).
 */
export type Orientation = "stored" | "exif";

/** The accepted values, in the order messages and help list them. */
export const ALPHA_MODES: readonly AlphaMode[] = Object.freeze(["drop", "white"]);
export const ORIENTATIONS: readonly Orientation[] = Object.freeze(["stored", "exif"]);

/** How an image file becomes RGB pixels, before any resize. */
export interface DecodeOptions {
  /** Default `"drop"`. */
  readonly alpha?: AlphaMode;
  /** Default `"stored"`. */
  readonly orientation?: Orientation;
}

/** The defaults: the pixels transformers' processors see for `PIL.Image.open(path)`. */
export const DEFAULT_DECODE_OPTIONS: Required<DecodeOptions> = Object.freeze({
  alpha: "drop",
  orientation: "stored",
});

/** `value` if it is an {@link AlphaMode}; else an `InputError` quoting it. */
export function checkAlphaMode(value: unknown): AlphaMode {
  if (!ALPHA_MODES.includes(value as AlphaMode)) {
    throw new InputError(
      `invalid alpha: ${JSON.stringify(value)}; expected ${ALPHA_MODES.map((m) => `"${m}"`).join(" or ")}`,
    );
  }
  return value as AlphaMode;
}

/** `value` if it is an {@link Orientation}; else an `InputError` quoting it. */
export function checkOrientation(value: unknown): Orientation {
  if (!ORIENTATIONS.includes(value as Orientation)) {
    throw new InputError(
      `invalid orientation: ${JSON.stringify(value)}; expected ${ORIENTATIONS.map((m) => `"${m}"`).join(" or ")}`,
    );
  }
  return value as Orientation;
}
