/**
 * An 8-bit RGB image, row-major HWC: the value of channel `c` at row `y`, column `x` is
 * `data[(y * width + x) * 3 + c]`.
 */
export interface RgbImage {
  data: Uint8Array;
  dims: [height: number, width: number, channels: 3];
}

/**
 * Makes an {@link RgbImage} of `height` × `width` pixels, zero-filled unless `data` is given.
 *
 * Throws a `RangeError` for sizes that are not positive integers or data of the wrong length.
 *
 * @example
 * const black = createRgbImage(224, 224);
 * const fromBytes = createRgbImage(2, 1, new Uint8Array([255, 0, 0, 0, 0, 255]));
 */
export function createRgbImage(height: number, width: number, data?: Uint8Array): RgbImage {
  for (const [name, value] of [
    ["height", height],
    ["width", width],
  ] as const) {
    if (!Number.isInteger(value) || value < 1) {
      throw new RangeError(`invalid image ${name}: ${value}; expected a positive integer`);
    }
  }
  const length = height * width * 3;
  if (data !== undefined && data.length !== length) {
    throw new RangeError(
      `invalid image data: ${data.length} bytes for ${height}×${width} RGB; expected ${length}`,
    );
  }
  return { data: data ?? new Uint8Array(length), dims: [height, width, 3] };
}
