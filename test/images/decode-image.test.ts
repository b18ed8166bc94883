import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { crc32, deflateSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { InputError } from "../../src/errors";
import { decodeImage, MAX_IMAGE_PIXELS, preprocessBatch, preprocessConfigFromHub } from "../../src/images";
import { testCacheDir } from "../support/temp";
import { FIXTURES, fixture, maxAbsDiff, readFloat32Npy, readUint8Npy } from "./fixtures";

// The references (test/fixtures/images/make-decode-references.py): decoded-<stem>.npy is what
// transformers' BitImageProcessor takes from PIL.Image.open(path) (Pillow's convert("RGB"));
// -white composites on white (Pillow's alpha_composite); -exif is transformers' load_image(path).
const ALPHA_INPUTS = ["rgba.png", "la.png", "palette-trns.png", "grey-trns.png"];
const EXIF_INPUTS = [
  "exif-orientation-3.jpg",
  "exif-orientation-5.jpg",
  "exif-orientation-6.jpg",
  "exif-orientation-8.jpg",
];
// The order of processed-bit.npy's first axis.
const DECODE_INPUTS = [
  ...ALPHA_INPUTS,
  "grey.png",
  "grey16.png",
  "rgb16.png",
  "rgba16.png",
  "cmyk.jpg",
  ...EXIF_INPUTS,
];
const stem = (file: string): string => file.replace(/\.\w+$/, "");

/** A 16-bit PNG (colour type 0 grey or 4 grey+alpha) of `samples`, with an optional tRNS grey value. */
function png16(width: number, height: number, colourType: number, samples: number[], trns?: number): Buffer {
  const chunk = (kind: string, body: Buffer): Buffer => {
    const typed = Buffer.concat([Buffer.from(kind, "latin1"), body]);
    const out = Buffer.alloc(12 + body.length);
    out.writeUInt32BE(body.length, 0);
    typed.copy(out, 4);
    out.writeUInt32BE(crc32(typed), 8 + body.length);
    return out;
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([16, colourType, 0, 0, 0], 8);
  const rowSamples = samples.length / height;
  const raw = Buffer.alloc(height * (1 + rowSamples * 2));
  samples.forEach((v, i) => {
    const row = Math.floor(i / rowSamples);
    raw.writeUInt16BE(v, row * (1 + rowSamples * 2) + 1 + (i % rowSamples) * 2);
  });
  const trnsValue = Buffer.alloc(2);
  trnsValue.writeUInt16BE(trns ?? 0);
  const trnsChunk = trns === undefined ? [] : [chunk("tRNS", trnsValue)];
  return Buffer.concat([
    Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]),
    chunk("IHDR", header),
    ...trnsChunk,
    chunk("IDAT", deflateSync(raw)),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}

async function expectReference(
  file: string,
  options: Parameters<typeof decodeImage>[1],
  reference: string,
  tolerance: number,
): Promise<void> {
  const image = await decodeImage(fixture(file), options);
  const expected = readUint8Npy(reference);
  expect(image.dims).toEqual(expected.dims);
  expect(maxAbsDiff(image.data, expected.data)).toBeLessThanOrEqual(tolerance);
}

describe("decodeImage(path) by default: the pixels transformers takes from PIL.Image.open(path)", () => {
  for (const file of DECODE_INPUTS) {
    it(`${file} equals Pillow's convert("RGB") exactly`, async () => {
      await expectReference(file, {}, `decoded-${stem(file)}.npy`, 0);
    });
  }

  it("rgba.png: fully transparent pixels keep their stored, non-zero colour (alpha is dropped)", async () => {
    const { data } = await decodeImage(fixture("rgba.png"));
    // Column 0 has alpha 0 on every row; row 0 is (20, 20, 255) there (the blue corner mark).
    expect(Array.from(data.subarray(0, 3))).toEqual([20, 20, 255]);
  });

  it("grey16.png: 16-bit greyscale is clipped at 255, not scaled (Pillow's I;16 → RGB)", async () => {
    const { data, dims } = await decodeImage(fixture("grey16.png"));
    const width = dims[1];
    // Columns from a third of the width on hold samples ≥ 256: all white.
    for (let y = 0; y < dims[0]; y++) {
      for (let x = Math.floor(width / 3); x < width; x++) expect(data[(y * width + x) * 3]).toBe(255);
    }
    // The first third holds samples < 256, kept as they are: not all white.
    expect(Math.min(...data.subarray(0, (Math.floor(width / 3) - 1) * 3))).toBeLessThan(255);
  });

  // Pillow 12.3 on these two 8×1 PNGs: a tRNS entry leaves 16-bit grey in mode I;16 (clipped), an
  // alpha channel makes grey+alpha a mode whose grey keeps the high byte.
  const samples = [0, 1, 255, 256, 257, 1000, 32768, 65535];
  it.each([
    ["16-bit grey with a tRNS entry", 0, 1000, [0, 1, 255, 255, 255, 255, 255, 255]],
    ["16-bit grey + alpha", 4, undefined, [0, 0, 0, 1, 1, 3, 128, 255]],
  ])("%s → the 8 values Pillow gives", async (_, colourType, transparent, expected) => {
    const temp = testCacheDir();
    try {
      const path = join(temp.path, "grey16.png");
      const pixels = colourType === 4 ? samples.flatMap((v) => [v, 65535 - v]) : samples;
      writeFileSync(path, png16(samples.length, 1, colourType, pixels, transparent));
      const { data } = await decodeImage(path);
      expect(Array.from(data)).toEqual(expected.flatMap((v) => [v, v, v]));
    } finally {
      temp.remove();
    }
  });

  it("exif-orientation-6.jpg keeps its stored 37×29, not the 29×37 its EXIF tag asks for", async () => {
    expect((await decodeImage(fixture("exif-orientation-6.jpg"))).dims).toEqual([29, 37, 3]);
  });

  it("grey.png becomes RGB with three equal channels", async () => {
    const { data } = await decodeImage(fixture("grey.png"));
    for (let i = 0; i < data.length; i += 3) {
      expect(data[i + 1]).toBe(data[i]);
      expect(data[i + 2]).toBe(data[i]);
    }
  });

  it("transparent.gif: Pillow's colours, except transparent pixels, which libvips makes black", async () => {
    const { data, dims } = await decodeImage(fixture("transparent.gif"));
    const pillow = readUint8Npy("decoded-transparent.npy");
    expect(dims).toEqual(pillow.dims);
    let blackened = 0;
    for (let i = 0; i < data.length; i += 3) {
      const pixel = Array.from(data.subarray(i, i + 3));
      const expected = Array.from(pillow.data.subarray(i, i + 3));
      if (pixel.join() === expected.join()) continue;
      expect(pixel).toEqual([0, 0, 0]);
      blackened++;
    }
    expect(blackened).toBeGreaterThan(0);
  });

  it("returns pixels in their own ArrayBuffer, transferable to a worker", async () => {
    for (const file of ["grey.png", "grey16.png", "cmyk.jpg"]) {
      const { data } = await decodeImage(fixture(file));
      expect(data.byteOffset).toBe(0);
      expect(data.buffer.byteLength).toBe(data.byteLength);
    }
  });
});

describe("decodeImage(path, options)", () => {
  for (const file of ALPHA_INPUTS) {
    // libvips and Pillow round the alpha blend differently: off by at most 1.
    it(`{ alpha: "white" }: ${file} composited on white within 1 of Pillow`, async () => {
      await expectReference(file, { alpha: "white" }, `decoded-${stem(file)}-white.npy`, 1);
    });
  }

  it('{ alpha: "white" }: a fully transparent pixel of rgba.png becomes white', async () => {
    const { data } = await decodeImage(fixture("rgba.png"), { alpha: "white" });
    expect(Array.from(data.subarray(0, 3))).toEqual([255, 255, 255]);
  });

  for (const file of EXIF_INPUTS) {
    it(`{ orientation: "exif" }: ${file} equals transformers' load_image exactly`, async () => {
      await expectReference(file, { orientation: "exif" }, `decoded-${stem(file)}-exif.npy`, 0);
    });
  }

  it.each([
    [{ alpha: "black" }, /^invalid alpha: "black"; expected "drop" or "white"$/],
    [{ orientation: "auto" }, /^invalid orientation: "auto"; expected "stored" or "exif"$/],
  ])("%j → InputError listing the accepted values", async (options, message) => {
    const error = await decodeImage(fixture("grey.png"), options as never).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InputError);
    expect((error as Error).message).toMatch(message);
  });
});

describe("decodeImage + preprocessBatch against transformers' processor given PIL.Image.open(path)", () => {
  it("hf-bit.json (DINOv2's BitImageProcessor) on all 13 decoding fixtures: equal float32 pixel_values", async () => {
    const images = await Promise.all(DECODE_INPUTS.map((file) => decodeImage(fixture(file))));
    const json: unknown = JSON.parse(readFileSync(fixture("hf-bit.json"), "utf8"));
    const batch = preprocessBatch(images, preprocessConfigFromHub(json));
    const reference = readFloat32Npy("processed-bit.npy");
    expect(batch.dims).toEqual(reference.dims);
    expect(maxAbsDiff(batch.data, reference.data)).toBe(0);
  });
});

describe("decodeImage(path) on bad files: one InputError line naming the file", () => {
  it.each([
    ["corrupt.png", /^cannot decode image ".*\/corrupt\.png": corrupt header$/],
    [
      "truncated.jpg",
      /^cannot decode image ".*\/truncated\.jpg": corrupt header \(VipsJpeg: premature end of JPEG image\)$/,
    ],
    [
      "truncated.png",
      /^cannot decode image ".*\/truncated\.png": corrupt or truncated data \(vipspng: libpng read error\)$/,
    ],
    ["empty.png", /^cannot decode image ".*\/empty\.png": the file is empty \(0 bytes\)$/],
    [
      "not-an-image.png",
      /^cannot decode image ".*\/not-an-image\.png": not an image in a format seglens reads \(PNG, JPEG, WebP, TIFF, GIF\)$/,
    ],
    [
      "make-references.py",
      /^cannot decode image ".*\/make-references\.py": not an image in a format seglens reads/,
    ],
    [
      "huge.png",
      new RegExp(
        `^cannot decode image ".*/huge\\.png": 20000×20000 is 400000000 pixels; the limit is ${MAX_IMAGE_PIXELS} ` +
          "\\(where Pillow refuses an image as a decompression bomb\\)$",
      ),
    ],
    ["missing.png", /^cannot read image ".*\/missing\.png": no such file$/],
  ])("%s", async (file, message) => {
    const error = await decodeImage(fixture(file)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InputError);
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).not.toContain("\n");
  });

  it("the decoder's own error stays attached as the cause", async () => {
    const error = await decodeImage(fixture("truncated.png")).catch((e: unknown) => e);
    expect((error as InputError).cause).toBeInstanceOf(Error);
  });

  it("a directory → 'not a regular file'", async () => {
    await expect(decodeImage(FIXTURES)).rejects.toThrow(/^cannot read image ".*images": not a regular file$/);
  });

  it("a path with a line break is quoted on one line", async () => {
    const error = await decodeImage(fixture("no\nsuch.png")).catch((e: unknown) => e);
    expect((error as Error).message).toMatch(/^cannot read image ".*\/no\\nsuch\.png": no such file$/);
  });

  it("one bad file in a set fails alone: the others decode", async () => {
    const files = ["grey.png", "truncated.png", "rgba.png", "not-an-image.png", "cmyk.jpg"];
    const results = await Promise.allSettled(files.map((file) => decodeImage(fixture(file))));
    expect(results.map((r) => r.status)).toEqual([
      "fulfilled",
      "rejected",
      "fulfilled",
      "rejected",
      "fulfilled",
    ]);
    expect((results[1] as PromiseRejectedResult).reason.message).toContain("truncated.png");
    expect((results[3] as PromiseRejectedResult).reason.message).toContain("not-an-image.png");
  });
});
