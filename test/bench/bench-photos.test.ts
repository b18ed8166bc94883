import { createHash } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { benchPhotos, eightPhotos, medianAndWorst } from "../../src/bench/bench-explorer";
import { decodeImage } from "../../src/images/decode-image";

const dir = mkdtempSync(join(tmpdir(), "seglens-bench-photos-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("the explorer benchmark's set", () => {
  it("benchPhotos(16): the five samples and eleven variants, no two images alike", async () => {
    const photos = await benchPhotos(dir, 16);
    expect(photos).toHaveLength(16);
    const digests = await Promise.all(
      photos.map(async (p) =>
        createHash("sha256")
          .update((await decodeImage(p)).data)
          .digest("hex"),
      ),
    );
    expect(new Set(digests).size).toBe(16);
  });

  it("eightPhotos is its first eight: the samples and three of them mirrored", async () => {
    const photos = await eightPhotos(dir);
    expect(photos.slice(5).map((p) => p.split("/").pop())).toEqual([
      "variant-0-0.png",
      "variant-0-1.png",
      "variant-0-2.png",
    ]);
  });

  it("more photos than the variants make is refused, saying how many it makes", async () => {
    await expect(benchPhotos(dir, 21)).rejects.toThrow("benchPhotos makes at most 20 photos; asked 21");
  });

  it("medianAndWorst names the count: median of 10, worst of 10", () => {
    const times = [5, 1, 9, 3, 7, 2, 8, 4, 6, 10];
    expect(medianAndWorst("x", times)).toEqual([
      { name: "x, median of 10", value: 6, unit: "ms" },
      { name: "x, worst of 10", value: 10, unit: "ms" },
    ]);
  });
});
