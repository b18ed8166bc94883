import { describe, expect, it } from "vitest";
import { InputError } from "../../src/errors";
import { parseShard, shardImages, shardRange } from "../../src/features/shard";

describe("parseShard", () => {
  it('"i/N" numbers shards from 0, as SLURM_ARRAY_TASK_ID with --array=0-(N-1)', () => {
    expect(parseShard("0/1")).toEqual({ index: 0, count: 1 });
    expect(parseShard("3/4")).toEqual({ index: 3, count: 4 });
    expect(parseShard(" 2/10 ")).toEqual({ index: 2, count: 10 });
  });

  it.each([
    "3/3",
    "0/0",
    "4/3",
    "a/b",
    "1",
    "-1/3",
    "1/-3",
    "1.5/3",
    "1 / 3",
    "",
    "1/3/4",
    "0x1/3",
    "0/2000000",
  ])("refuses %j with one line naming --shard and saying what is accepted", (value) => {
    const error = (() => {
      try {
        parseShard(value, {});
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(InputError);
    expect((error as Error).message).toBe(
      `invalid --shard "${value}": expected i/N with 0 ≤ i < N (shard i of N, numbered from 0 like SLURM_ARRAY_TASK_ID with --array=0-(N-1)), or "auto"`,
    );
  });

  it('"auto" reads the SLURM array task, from --array=0-(N-1) or 1-N alike', () => {
    expect(parseShard("auto", { SLURM_ARRAY_TASK_ID: "5", SLURM_ARRAY_TASK_COUNT: "8" })).toEqual({
      index: 5,
      count: 8,
    });
    const fromOne = { SLURM_ARRAY_TASK_ID: "8", SLURM_ARRAY_TASK_MIN: "1", SLURM_ARRAY_TASK_COUNT: "8" };
    expect(parseShard("auto", fromOne)).toEqual({ index: 7, count: 8 });
  });

  it('"auto" outside an array job, or in a stepped one, is refused in one line', () => {
    expect(() => parseShard("auto", {})).toThrow(
      /^--shard "auto" reads SLURM_ARRAY_TASK_ID and SLURM_ARRAY_TASK_COUNT, which are not set .*give i\/N instead$/,
    );
    // --array=0-8:2 runs tasks 0, 2, 4, 6, 8 with a count of 5: task 8 is no shard of 5.
    expect(() => parseShard("auto", { SLURM_ARRAY_TASK_ID: "8", SLURM_ARRAY_TASK_COUNT: "5" })).toThrow(
      /^--shard "auto" read SLURM_ARRAY_TASK_ID="8", SLURM_ARRAY_TASK_MIN="0", SLURM_ARRAY_TASK_COUNT="5", which is not shard i of N/,
    );
    expect(() => parseShard("auto", { SLURM_ARRAY_TASK_ID: "", SLURM_ARRAY_TASK_COUNT: "5" })).toThrow(
      /^--shard "auto" read SLURM_ARRAY_TASK_ID="", /,
    );
  });
});

describe("shardRange and shardImages", () => {
  it("shards are contiguous runs whose concatenation is the whole list, sizes within one", () => {
    for (const total of [1, 2, 5, 7, 100, 1001]) {
      for (const count of [1, 2, 3, 4, 7, 16].filter((c) => c <= total)) {
        const ranges = Array.from({ length: count }, (_, index) => shardRange({ index, count }, total));
        expect(ranges[0]?.[0]).toBe(0);
        expect(ranges.at(-1)?.[1]).toBe(total);
        for (let i = 1; i < count; i++) expect(ranges[i]?.[0]).toBe(ranges[i - 1]?.[1]);
        const sizes = ranges.map(([first, end]) => end - first);
        expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
        expect(Math.min(...sizes)).toBeGreaterThan(0);
      }
    }
  });

  it("image j of n is in shard floor(j·N/n)… i.e. shard i holds [floor(i·n/N), floor((i+1)·n/N))", () => {
    expect([0, 1, 2, 3].map((index) => shardRange({ index, count: 4 }, 10))).toEqual([
      [0, 2],
      [2, 5],
      [5, 7],
      [7, 10],
    ]);
  });

  it("shardImages cuts the list and records the shard with the whole list's length", () => {
    const images = ["a", "b", "c", "d", "e"];
    expect(shardImages(images, { index: 1, count: 2 })).toEqual({
      images: ["c", "d", "e"],
      info: { index: 1, count: 2, imagesTotal: 5 },
    });
  });

  it("a shard with no images (more shards than images) is refused, saying how many shards fit", () => {
    expect(() => shardImages(["a", "b", "c"], { index: 0, count: 4 })).toThrow(
      new InputError(
        "--shard 0/4 has no images: 3 images in 4 shards leave some empty; use at most 3 shards",
      ),
    );
  });

  it("a shard from code is checked like the flag", () => {
    expect(() => shardImages(["a"], { index: 1, count: 1 })).toThrow(
      /^invalid shard \{"index":1,"count":1\}: expected \{ index, count \}, integers with 0 ≤ index < count/,
    );
  });
});
