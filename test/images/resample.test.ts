import { readdirSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { InputError } from "../../src/errors";
import {
  createRgbImage,
  decodeImage,
  PIL_RESAMPLE_FILTERS,
  resample,
  resampleFilterFromPil,
} from "../../src/images";
import { FIXTURES, fixture, maxAbsDiff, readUint8Npy } from "./fixtures";

// Pillow 12.3 references (test/fixtures/images/README.md). seglens reproduces Pillow's fixed-point
// arithmetic, so the tolerance is zero: every byte must equal Pillow's.
const TOLERANCE = 0;

const references = readdirSync(FIXTURES)
  .map((name) => /^resize-(.+)-(\d+)x(\d+)\.npy$/.exec(name))
  .filter((match) => match !== null)
  .map(([name, input, width, height]) => ({ name, input, width: Number(width), height: Number(height) }));

describe("resample(image, {height, width, filter})", () => {
  it("has Pillow references for up-, down- and one-axis scaling of two images", () => {
    expect(references.map((r) => r.name).sort()).toEqual([
      "resize-chelsea-crop-96x64-131x87.npy",
      "resize-chelsea-crop-96x64-37x29.npy",
      "resize-noise-61x47-23x17.npy",
      "resize-noise-61x47-40x90.npy",
      "resize-noise-61x47-61x30.npy",
      "resize-noise-61x47-97x83.npy",
    ]);
  });

  for (const { name, input, width, height } of references) {
    for (const [code, filter] of PIL_RESAMPLE_FILTERS.entries()) {
      it(`${input}.png → ${width}×${height} with ${filter} (${code}) equals Pillow's Image.resize byte for byte`, async () => {
        const image = await decodeImage(fixture(`${input}.png`));
        const reference = readUint8Npy(name);
        expect(reference.dims).toEqual([6, height, width, 3]);
        const plane = height * width * 3;
        const out = resample(image, { height, width, filter });
        expect(out.dims).toEqual([height, width, 3]);
        expect(
          maxAbsDiff(out.data, reference.data.subarray(code * plane, (code + 1) * plane)),
        ).toBeLessThanOrEqual(TOLERANCE);
      });
    }
  }

  it("returns an equal copy, not the same buffer, when the size does not change", () => {
    const image = createRgbImage(2, 2, new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]));
    const out = resample(image, { height: 2, width: 2, filter: "lanczos" });
    expect(out.data).toEqual(image.data);
    expect(out.data).not.toBe(image.data);
  });

  it("nearest 1×4 → 1×2 picks the pixels at source positions 1 and 3 (half-step centres)", () => {
    const image = createRgbImage(1, 4, new Uint8Array([0, 0, 0, 10, 10, 10, 20, 20, 20, 30, 30, 30]));
    expect(Array.from(resample(image, { height: 1, width: 2, filter: "nearest" }).data)).toEqual([
      10, 10, 10, 30, 30, 30,
    ]);
  });

  it("box 1×4 → 1×2 averages pairs and rounds half up (fixed-point rounding)", () => {
    const image = createRgbImage(1, 4, new Uint8Array([0, 0, 0, 1, 1, 1, 100, 100, 100, 200, 200, 200]));
    expect(Array.from(resample(image, { height: 1, width: 2, filter: "box" }).data)).toEqual([
      1, 1, 1, 150, 150, 150,
    ]);
  });

  it("a flat colour stays that colour under every filter and scale", () => {
    const image = createRgbImage(7, 5, new Uint8Array(7 * 5 * 3).fill(77));
    for (const filter of PIL_RESAMPLE_FILTERS) {
      const out = resample(image, { height: 11, width: 3, filter });
      expect(out.data.every((v) => v === 77)).toBe(true);
    }
  });
});

describe("resampleFilterFromPil(code)", () => {
  it("maps PIL codes 0..5 to nearest, lanczos, bilinear, bicubic, box, hamming", () => {
    expect([0, 1, 2, 3, 4, 5].map(resampleFilterFromPil)).toEqual([
      "nearest",
      "lanczos",
      "bilinear",
      "bicubic",
      "box",
      "hamming",
    ]);
  });

  it('throws InputError quoting 6, 2.5 and "bicubic" and listing the accepted codes', () => {
    for (const code of [6, 2.5, "bicubic"]) {
      expect(() => resampleFilterFromPil(code)).toThrow(InputError);
      expect(() => resampleFilterFromPil(code)).toThrow(
        new RegExp(
          `invalid resample: ${JSON.stringify(code)}; expected one of 0 \\(nearest\\), .* 5 \\(hamming\\)`,
        ),
      );
    }
  });
});
