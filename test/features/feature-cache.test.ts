import { existsSync, statSync, truncateSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createFeatureCache, patchMatrix } from "../../src/features/feature-cache";
import { testCacheDir } from "../support/temp";

const temp = testCacheDir();
afterAll(() => temp.remove());
const matrix = (rows: number, value: number) => ({
  data: new Float32Array(rows * 4).fill(value),
  dims: [rows, 4] as [number, number],
});

describe("createFeatureCache", () => {
  it("evicts the least recently used entries past the byte budget and counts hits and misses", () => {
    const cache = createFeatureCache({ budgetBytes: 2 * 10 * 4 * 4 });
    cache.put("set", "a", matrix(10, 1));
    cache.put("set", "b", matrix(10, 2));
    expect(cache.get("set", "a")?.data[0]).toBe(1); // a is now the most recent
    cache.put("set", "c", matrix(10, 3)); // over budget: b goes
    expect(cache.get("set", "b")).toBeUndefined();
    expect(cache.get("set", "a")?.data[0]).toBe(1);
    expect(cache.stats()).toMatchObject({ entries: 2, bytes: 320, budgetBytes: 320, hits: 2, misses: 1 });
  });

  it("with a folder, a second cache (a later process) reads what the first wrote, set info included", () => {
    const first = createFeatureCache({ dir: temp.path });
    first.put("set1", "q_L3", matrix(6, 0.5));
    first.setInfo("set1", { numImages: 2, grid: [1, 3], prefixTokens: 1, hiddenSize: 4 });
    const second = createFeatureCache({ dir: temp.path });
    expect(second.get("set1", "q_L3")).toEqual(matrix(6, 0.5));
    expect(second.info("set1")).toEqual({ numImages: 2, grid: [1, 3], prefixTokens: 1, hiddenSize: 4 });
    expect(second.get("set1", "k_L3")).toBeUndefined();
  });

  it("a damaged entry on disk (truncated, or set.json cut short by an older version) is a miss and is removed", () => {
    const first = createFeatureCache({ dir: temp.path });
    first.put("set2", "q_L1", matrix(6, 0.5));
    first.setInfo("set2", { numImages: 2, grid: [1, 3], prefixTokens: 1, hiddenSize: 4 });
    const file = join(temp.path, "set2", "q_L1.npy");
    truncateSync(file, statSync(file).size - 8);
    writeFileSync(join(temp.path, "set2", "set.json"), '{"numImages": 2, "gr');
    const second = createFeatureCache({ dir: temp.path });
    expect(second.get("set2", "q_L1")).toBeUndefined();
    expect(existsSync(file)).toBe(false);
    expect(second.info("set2")).toBeUndefined();
  });
});

describe("patchMatrix", () => {
  it("drops each image's prefix tokens and stacks the patches of all images", () => {
    // 2 images × (1 prefix + 2 patches) × hidden 2
    const data = Float32Array.from([9, 9, 1, 2, 3, 4, 8, 8, 5, 6, 7, 8]);
    expect(patchMatrix(data, [2, 3, 2], 1)).toEqual({
      data: Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8]),
      dims: [4, 2],
    });
  });
});
