import {
  existsSync,
  mkdirSync,
  readdirSync,
  statSync,
  truncateSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createFeatureCache, type PatchSource } from "../../src/features/feature-cache";
import { inMemory, readPatches } from "../../src/features/patch-store";
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
    expect(first(cache.get("set", "a"))).toBe(1); // a is now the most recent
    cache.put("set", "c", matrix(10, 3)); // over budget: b goes
    expect(cache.get("set", "b")).toBeUndefined();
    expect(first(cache.get("set", "a"))).toBe(1);
    expect(cache.stats()).toMatchObject({ entries: 2, bytes: 320, budgetBytes: 320, hits: 2, misses: 1 });
  });

  it("with a folder, a second cache (a later process) reads what the first wrote, set info included", () => {
    const first = createFeatureCache({ dir: temp.path });
    first.put("set1", "q_L3", matrix(6, 0.5));
    first.setInfo("set1", { numImages: 2, grid: [1, 3], prefixTokens: 1, hiddenSize: 4 });
    const second = createFeatureCache({ dir: temp.path });
    const entry = second.get("set1", "q_L3") as PatchSource;
    expect(inMemory(entry)).toBe(false); // read from disk when used, never held whole
    expect(readPatches(entry)).toEqual(matrix(6, 0.5));
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

const first = (source: PatchSource | undefined) =>
  source === undefined ? undefined : readPatches(source).data[0];
const info = { numImages: 2, grid: [1, 3] as [number, number], prefixTokens: 1, hiddenSize: 4 };

/** Stores `rows` rows of `value` in two writes, as an extraction does batch by batch. */
function store(
  cache: ReturnType<typeof createFeatureCache>,
  setKey: string,
  key: string,
  rows: number,
  value: number,
  setBytes: number,
) {
  const writer = cache.store(setKey, key, [rows, 4], setBytes);
  const half = Math.floor(rows / 2);
  writer.write(half, new Float32Array((rows - half) * 4).fill(value));
  writer.write(0, new Float32Array(half * 4).fill(value));
  return writer.finish();
}

describe("FeatureCache.store: where extracted rows go", () => {
  it("without a folder, a set within the memory budget stays in memory", () => {
    const cache = createFeatureCache({ budgetBytes: 1000 });
    const source = store(cache, "set", "tokens_L1", 10, 2, 1000);
    expect(inMemory(source)).toBe(true);
    expect(cache.get("set", "tokens_L1")).toBe(source);
  });

  it("without a folder, a set over the memory budget is spilled to disk, read back exactly, and removed by clear()", () => {
    const spillParent = join(temp.path, "spill-parent");
    const cache = createFeatureCache({ budgetBytes: 100, spillParent });
    const source = store(cache, "set", "q_L2", 10, 1.25, 10_000);
    expect(inMemory(source)).toBe(false);
    expect(readPatches(cache.get("set", "q_L2") as PatchSource)).toEqual(matrix(10, 1.25));
    expect(cache.stats().bytes).toBe(0);
    expect(readdirSync(spillParent)).toHaveLength(1);
    cache.clear();
    expect(readdirSync(spillParent)).toHaveLength(0);
    expect(cache.get("set", "q_L2")).toBeUndefined();
  });

  it("a killed run's half-written file in the set's folder is removed when the set is stored again", () => {
    const dir = join(temp.path, "killed");
    mkdirSync(join(dir, "set"), { recursive: true });
    const leftover = join(dir, "set", ".tokens_L1.npy.seglens-999999999-1.tmp"); // no such process
    writeFileSync(leftover, "half");
    store(createFeatureCache({ dir }), "set", "tokens_L1", 4, 1, 0);
    expect(readdirSync(join(dir, "set"))).toEqual(["tokens_L1.npy"]);
  });

  it("a discarded writer leaves no file, so a failed extraction caches nothing", () => {
    const cache = createFeatureCache({ dir: join(temp.path, "discard") });
    const writer = cache.store("set", "k_L1", [4, 4], 64);
    writer.write(0, new Float32Array(8));
    writer.discard();
    expect(readdirSync(join(temp.path, "discard", "set"))).toEqual([]);
    expect(cache.get("set", "k_L1")).toBeUndefined();
  });

  it("float16 (opt-in) halves the file, keeps its sets apart from float32 ones, and reads back within 2⁻¹¹", () => {
    const dir = join(temp.path, "f16");
    const values = Float32Array.from({ length: 40 }, (_, i) => Math.sin(i) * 3);
    for (const dtype of ["float32", "float16"] as const) {
      const cache = createFeatureCache({ dir, dtype });
      const writer = cache.store("set", "v_L1", [10, 4], 160);
      writer.write(0, values);
      writer.finish();
      cache.setInfo("set", info);
    }
    expect(statSync(join(dir, "set-f16", "v_L1.npy")).size - 128).toBe(80);
    expect(statSync(join(dir, "set", "v_L1.npy")).size - 128).toBe(160);
    const exact = readPatches(createFeatureCache({ dir }).get("set", "v_L1") as PatchSource).data;
    const half = readPatches(
      createFeatureCache({ dir, dtype: "float16" }).get("set", "v_L1") as PatchSource,
    ).data;
    expect(exact).toEqual(values);
    for (let i = 0; i < values.length; i++)
      expect(Math.abs((half[i] as number) - (values[i] as number))).toBeLessThanOrEqual(
        Math.abs(values[i] as number) * 2 ** -11,
      );
  });

  it("past the disk budget, whole sets are evicted least recently used first, never the set just stored", () => {
    const dir = join(temp.path, "lru");
    const setBytes = 128 + 100 * 4 * 4; // one entry's file
    const cache = createFeatureCache({ dir, diskBudgetBytes: 2.5 * setBytes });
    for (const [i, set] of ["a", "b"].entries()) {
      store(cache, set, "tokens_L1", 100, 1, 0);
      cache.setInfo(set, info);
      const past = new Date(Date.now() - (10 - i) * 60_000);
      utimesSync(join(dir, set, "set.json"), past, past);
    }
    expect(cache.info("a")).toEqual(info); // a used again: b is now the least recently used
    store(cache, "c", "tokens_L1", 100, 1, 0);
    cache.setInfo("c", info);
    expect(readdirSync(dir).sort()).toEqual(["a", "c"]);
    const tiny = createFeatureCache({ dir, diskBudgetBytes: 1 });
    store(tiny, "d", "tokens_L1", 100, 1, 0);
    tiny.setInfo("d", info);
    expect(readdirSync(dir)).toEqual(["d"]); // alone over the budget, but in use
  });
});
