// Pillow's own conversions to RGB for the two source modes where libvips computes something else
// (Pillow src/libImaging/Convert.c: cmyk2rgb, I16_RGB). Byte-exact against Pillow 12.

/**
 * CMYK → RGB as Pillow's `convert("RGB")` does it, with no colour profile: per channel
 * `(255 − K) − C·(255 − K)/255`, the product rounded as Pillow's MULDIV255. `data` holds
 * `channels` ≥ 4 bytes per pixel (C, M, Y, K first; any further channel is ignored).
 */
export function cmykToRgb(data: Uint8Array, channels: number): Uint8Array {
  const pixels = Math.floor(data.length / channels);
  const rgb = new Uint8Array(pixels * 3);
  for (let p = 0, i = 0, o = 0; p < pixels; p++, i += channels, o += 3) {
    const notK = 255 - (data[i + 3] as number);
    for (let c = 0; c < 3; c++) {
      const t = (data[i + c] as number) * notK + 128;
      rgb[o + c] = notK - (((t >> 8) + t) >> 8);
    }
  }
  return rgb;
}

/**
 * 16-bit greyscale (Pillow's mode `I;16`) → RGB as Pillow's `convert("RGB")` does it: each sample
 * is clipped to 255, not scaled, so values from 255 up all become white.
 */
export function grey16ToRgb(samples: Uint16Array): Uint8Array {
  const rgb = new Uint8Array(samples.length * 3);
  for (let p = 0; p < samples.length; p++) {
    const v = Math.min(samples[p] as number, 255);
    rgb[p * 3] = v;
    rgb[p * 3 + 1] = v;
    rgb[p * 3 + 2] = v;
  }
  return rgb;
}
