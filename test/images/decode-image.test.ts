import { describe, expect, it } from "vitest";
import { InputError } from "../../src/errors";
import { decodeImage } from "../../src/images";
import { FIXTURES, fixture, maxAbsDiff, readUint8Npy } from "./fixtures";

// References are Pillow's decode: ImageOps.exif_transpose, alpha composited on white, convert("RGB").
const cases = [
  // EXIF orientations 3 (180°), 6 (90° clockwise) and 5 (transpose): JPEG decoders agree exactly.
  { file: "exif-orientation-3.jpg", dims: [24, 40, 3], tolerance: 0 },
  { file: "exif-orientation-6.jpg", dims: [40, 24, 3], tolerance: 0 },
  { file: "exif-orientation-5.jpg", dims: [40, 24, 3], tolerance: 0 },
  // libvips and Pillow round the alpha blend differently: off by at most 1.
  { file: "rgba.png", dims: [20, 30, 3], tolerance: 1 },
  { file: "grey.png", dims: [20, 30, 3], tolerance: 0 },
  // 16-bit RGB: both keep the high byte.
  { file: "rgb16.png", dims: [12, 16, 3], tolerance: 0 },
] as const;

describe("decodeImage(path)", () => {
  for (const { file, dims, tolerance } of cases) {
    it(`${file} decodes to ${dims.join("×")} RGB within ${tolerance} of Pillow`, async () => {
      const image = await decodeImage(fixture(file));
      const reference = readUint8Npy(`decoded-${file.replace(/\.\w+$/, "")}.npy`);
      expect(image.dims).toEqual(dims);
      expect(reference.dims).toEqual(dims);
      expect(maxAbsDiff(image.data, reference.data)).toBeLessThanOrEqual(tolerance);
    });
  }

  // Row 0 of rgba.png: alpha 0 at x = 0, alpha 255 at x = 29 where the colour is pure red.
  it("rgba.png: a fully transparent pixel becomes white and an opaque one keeps its colour", async () => {
    const { data, dims } = await decodeImage(fixture("rgba.png"));
    const width = dims[1];
    expect(Array.from(data.subarray(0, 3))).toEqual([255, 255, 255]);
    const last = (width - 1) * 3;
    expect(Array.from(data.subarray(last, last + 3))).toEqual([255, 0, 0]);
  });

  it("grey.png becomes RGB with three equal channels", async () => {
    const { data } = await decodeImage(fixture("grey.png"));
    for (let i = 0; i < data.length; i += 3) {
      expect(data[i + 1]).toBe(data[i]);
      expect(data[i + 2]).toBe(data[i]);
    }
  });

  it("returns pixels in their own ArrayBuffer, transferable to a worker", async () => {
    const { data } = await decodeImage(fixture("grey.png"));
    expect(data.byteOffset).toBe(0);
    expect(data.buffer.byteLength).toBe(data.byteLength);
  });

  it("corrupt.png → InputError naming the file and the decoder's reason, with a cause", async () => {
    const error = await decodeImage(fixture("corrupt.png")).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).message).toMatch(
      /^cannot decode image ".*corrupt\.png": Input file has corrupt header$/,
    );
    expect((error as InputError).cause).toBeInstanceOf(Error);
  });

  it("truncated.jpg → InputError naming the file", async () => {
    await expect(decodeImage(fixture("truncated.jpg"))).rejects.toThrow(
      /^cannot decode image ".*truncated\.jpg": .*premature end of JPEG/,
    );
  });

  it("a missing file → InputError 'no such file' naming it", async () => {
    await expect(decodeImage(fixture("missing.png"))).rejects.toThrow(InputError);
    await expect(decodeImage(fixture("missing.png"))).rejects.toThrow(
      /^cannot read image ".*missing\.png": no such file$/,
    );
  });

  it("a directory → InputError 'not a regular file'", async () => {
    await expect(decodeImage(FIXTURES)).rejects.toThrow(/^cannot read image ".*images": not a regular file$/);
  });

  it("a file that is not an image (make-references.py) → InputError", async () => {
    await expect(decodeImage(fixture("make-references.py"))).rejects.toThrow(
      /^cannot decode image ".*make-references\.py": /,
    );
  });
});
