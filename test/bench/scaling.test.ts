import { createHash } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { scalingImage, scalingImageName, writeScalingImages } from "../../src/bench/scaling-images";
import {
  parseImageCounts,
  parseUsage,
  SCALING_TARGETS,
  scalingResults,
} from "../../src/bench/scaling-summary";
import { decodeImage } from "../../src/images/decode-image";
import { listImages } from "../../src/images/list-images";
import { createRgbImage } from "../../src/images/rgb-image";
import { SAMPLE_IMAGES } from "../../src/images/sample-images";

const sha = (data: Uint8Array) => createHash("sha256").update(data).digest("hex");

describe("parseImageCounts", () => {
  it("parseImageCounts('100,400,1000') gives the counts in order", () => {
    expect(parseImageCounts("100,400,1000")).toEqual([100, 400, 1000]);
  });

  it("parseImageCounts sorts ascending, drops repeats and ignores spaces", () => {
    expect(parseImageCounts("400, 100,400")).toEqual([100, 400]);
  });

  it.each(["", "0", "1.5", "abc", "100,", "-3", "100,,400", "1e3"])(
    "parseImageCounts(%j) throws a RangeError naming the value",
    (text) => {
      expect(() => parseImageCounts(text)).toThrow(RangeError);
      expect(() => parseImageCounts(text)).toThrow(
        new RegExp(
          `^invalid --images: "${text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}"; expected comma-separated`,
        ),
      );
    },
  );
});

describe("scalingResults", () => {
  const runs = [
    { images: 400, seconds: 40, peakRssMiB: 1100, cpuSeconds: 60 },
    { images: 100, seconds: 10, peakRssMiB: 1000, cpuSeconds: 20 },
    { images: 1000, seconds: 120, peakRssMiB: 1280, cpuSeconds: 150 },
  ];

  it("scalingResults gives time, images/s, CPU time and peak RSS per count, smallest first", () => {
    const results = scalingResults(runs, "segment");
    expect(results.slice(0, 4)).toEqual([
      { name: "segment, 100 images, wall time", value: 10, unit: "s" },
      { name: "segment, 100 images, throughput", value: 10, unit: "images/s" },
      { name: "segment, 100 images, CPU time (user + system, all threads)", value: 20, unit: "s" },
      { name: "segment, 100 images, peak RSS (process and workers)", value: 1000, unit: "MB" },
    ]);
    expect(results[9]).toEqual({
      name: "segment, 1000 images, throughput",
      value: 1000 / 120,
      unit: "images/s",
    });
  });

  it("scalingResults gives the time ratios to the smallest count, 10 % over linear as target, and CPU time's", () => {
    const ratios = scalingResults(runs, "segment").slice(12, 16);
    expect(ratios.map((r) => [r.name, r.value, r.unit])).toEqual([
      ["segment, time(400)/time(100) (target ≤ 4.4)", 4, "ratio"],
      ["segment, CPU time(400)/CPU time(100) (the same without other work's share)", 3, "ratio"],
      ["segment, time(1000)/time(100) (target ≤ 11)", 12, "ratio"],
      ["segment, CPU time(1000)/CPU time(100) (the same without other work's share)", 7.5, "ratio"],
    ]);
  });

  it("scalingResults gives the largest count's peak RSS over the smallest's and over 2 GB", () => {
    const ratios = scalingResults(runs, "segment").slice(16);
    expect(ratios).toEqual([
      { name: "segment, peak RSS(1000)/peak RSS(100) (target ≤ 1.25)", value: 1.28, unit: "ratio" },
      { name: "segment, peak RSS(1000) / 2 GB (target ≤ 1)", value: 1280 / 2048, unit: "ratio" },
    ]);
    expect(SCALING_TARGETS.peakRssMiB).toBe(2048);
  });

  it("scalingResults of one count has no ratios between counts, only its peak RSS over 2 GB", () => {
    const results = scalingResults(
      [{ images: 100, seconds: 10, peakRssMiB: 512, cpuSeconds: 15 }],
      "segment",
    );
    expect(results.map((r) => r.name)).toEqual([
      "segment, 100 images, wall time",
      "segment, 100 images, throughput",
      "segment, 100 images, CPU time (user + system, all threads)",
      "segment, 100 images, peak RSS (process and workers)",
      "segment, peak RSS(100) / 2 GB (target ≤ 1)",
    ]);
    expect(results[4]?.value).toBe(0.25);
  });
});

describe("parseUsage", () => {
  it("parseUsage reads maxRSS in KiB and CPU times in µs as MiB and seconds", () => {
    const text = JSON.stringify({ maxRSS: 2048 * 1024, userCPUTime: 1_500_000, systemCPUTime: 500_000 });
    expect(parseUsage(text)).toEqual({ peakRssMiB: 2048, cpuSeconds: 2 });
  });

  it.each(["", "2048", '{"maxRSS": 1}', '{"maxRSS": "1", "userCPUTime": 1, "systemCPUTime": 1}'])(
    "parseUsage(%j) throws a TypeError quoting the text",
    (text) => {
      expect(() => parseUsage(text)).toThrow(TypeError);
      expect(() => parseUsage(text)).toThrow(
        /^invalid resource usage: ".*"; expected JSON with numbers maxRSS/,
      );
    },
  );
});

describe("scalingImage", async () => {
  const photos = await Promise.all(listImages([SAMPLE_IMAGES]).map((file) => decodeImage(file)));

  it("scalingImage(photos, seed, i) is 224 × 224 RGB and the same on every call", () => {
    const image = scalingImage(photos, 0, 7);
    expect(image.dims).toEqual([224, 224, 3]);
    expect(sha(scalingImage(photos, 0, 7).data)).toBe(sha(image.data));
  });

  it("scalingImage gives 50 different images for 50 indices, and others for another seed", () => {
    const hashes = Array.from({ length: 50 }, (_, i) => sha(scalingImage(photos, 0, i).data));
    expect(new Set(hashes).size).toBe(50);
    const reseeded = Array.from({ length: 50 }, (_, i) => sha(scalingImage(photos, 1, i).data));
    expect(reseeded.filter((hash) => hashes.includes(hash))).toEqual([]);
  });

  it("scalingImage crops within the photo: a one-colour photo gives that colour times a gain of 0.8–1.2", () => {
    const flat = createRgbImage(30, 50, new Uint8Array(30 * 50 * 3).fill(100));
    const { data } = scalingImage([flat], 3, 0, 8);
    for (const value of data) {
      expect(value).toBeGreaterThanOrEqual(80);
      expect(value).toBeLessThanOrEqual(120);
    }
  });
});

describe("writeScalingImages", () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });
  const write = async (counts: number[]) => {
    const dir = mkdtempSync(join(tmpdir(), "seglens-scaling-test-"));
    dirs.push(dir);
    return writeScalingImages(dir, counts);
  };
  const bytes = (folder: string) => readdirSync(folder).map((name) => sha(readFileSync(join(folder, name))));

  it("writeScalingImages(dir, [2, 3]) writes folders of 2 and 3 files, the first a prefix of the second", async () => {
    const folders = await write([2, 3]);
    const two = folders.get(2) as string;
    const three = folders.get(3) as string;
    expect(readdirSync(two)).toEqual([scalingImageName(0), scalingImageName(1)]);
    expect(readdirSync(three)).toEqual([0, 1, 2].map(scalingImageName));
    expect(bytes(two)).toEqual(bytes(three).slice(0, 2));
    expect(new Set(bytes(three)).size).toBe(3);
  });

  it("writeScalingImages writes the same files in another folder (deterministic PNG bytes)", async () => {
    const first = await write([3]);
    const second = await write([3]);
    expect(bytes(second.get(3) as string)).toEqual(bytes(first.get(3) as string));
  });
});
