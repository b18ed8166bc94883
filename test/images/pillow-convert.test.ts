import { describe, expect, it } from "vitest";
import { cmykToRgb, grey16ToRgb } from "../../src/images/pillow-convert";

describe("cmykToRgb(data, channels)", () => {
  it("white, pure C/M/Y, black and two mixes → Pillow's values", () => {
    const cmyk = new Uint8Array([0, 0, 0, 0, 255, 0, 0, 0, 0, 255, 0, 0, 0, 0, 255, 0, 0, 0, 0, 255]);
    const mixes = new Uint8Array([100, 50, 20, 60, 30, 60, 90, 120]);
    expect(Array.from(cmykToRgb(cmyk, 4))).toEqual([
      255, 255, 255, 0, 255, 255, 255, 0, 255, 255, 255, 0, 0, 0, 0,
    ]);
    // (255 − 60) − round(100 · 195 / 255) = 195 − 76 = 119, and so on (Pillow 12, convert("RGB")).
    expect(Array.from(cmykToRgb(mixes, 4))).toEqual([119, 157, 180, 119, 103, 87]);
  });

  it("a fifth channel (CMYK + alpha) is skipped", () => {
    expect(Array.from(cmykToRgb(new Uint8Array([100, 50, 20, 60, 7, 0, 0, 0, 0, 9]), 5))).toEqual([
      119, 157, 180, 255, 255, 255,
    ]);
  });
});

describe("grey16ToRgb(samples)", () => {
  it("clips at 255 instead of scaling: 0, 1, 254, 255, 256, 1000, 65535 → 0, 1, 254, 255, 255, 255, 255", () => {
    const rgb = grey16ToRgb(new Uint16Array([0, 1, 254, 255, 256, 1000, 65535]));
    expect(Array.from(rgb)).toEqual([0, 1, 254, 255, 255, 255, 255].flatMap((v) => [v, v, v]));
  });
});
