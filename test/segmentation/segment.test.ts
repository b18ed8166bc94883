import { readdirSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createFeatureCache } from "../../src/features/feature-cache";
import { prepareRequest } from "../../src/features/feature-request";
import { segment } from "../../src/segmentation/segment";
import { testCacheDir } from "../support/temp";

const request = {
  model: "models/fixtures/dinov2-tf4",
  images: ["models/samples"],
  reps: "tokens,v",
  layers: "all",
};

describe("segment()", () => {
  it("returns int32 [images, gh, gw] labels per (rep, layer), inertia and scores; K and seed reuse cached features", async () => {
    const cache = createFeatureCache();
    const first = await segment({ ...request, k: 3, cache });
    expect([...first.labels.keys()].sort()).toEqual(["tokens_L1", "tokens_L2", "v_L1", "v_L2"]);
    for (const labels of first.labels.values()) {
      expect(labels).toBeInstanceOf(Int32Array);
      expect(labels).toHaveLength(5 * 4 * 4);
      expect(new Set(labels).size).toBeLessThanOrEqual(3);
    }
    expect(first.grid).toEqual([4, 4]);
    expect(first.prefixTokens).toBe(1);
    expect(first.inertia.get("v_L2")).toBeGreaterThan(0);
    expect(Object.keys(first.scores.get("tokens_L1") ?? {}).sort()).toEqual(["ba", "lc", "pb"]);
    const missesAfterFirst = cache.stats().misses;

    const second = await segment({ ...request, k: 5, cache });
    expect(cache.stats().misses).toBe(missesAfterFirst); // no new extraction: every matrix was a hit
    expect(Math.max(...(second.labels.get("tokens_L2") ?? []))).toBeLessThan(5);
    const again = await segment({ ...request, k: 3, cache });
    expect(again.labels).toEqual(first.labels);
  });
});

describe("segment() with features on disk", () => {
  const temp = testCacheDir();
  afterAll(() => temp.remove());

  it("gives the labels, inertia and scores of the in-memory path, from a cache folder or spilled past the memory budget, also when k-means fits a sample", async () => {
    for (const fitSampleSize of [undefined, 40]) {
      const options = { ...request, k: 4, ...(fitSampleSize === undefined ? {} : { fitSampleSize }) };
      const memoryCache = createFeatureCache();
      const inMemory = await segment({ ...options, cache: memoryCache });
      expect(memoryCache.stats().bytes).toBeGreaterThan(0);
      const spillParent = join(temp.path, "spill");
      const spilled = await segment({
        ...options,
        cache: createFeatureCache({ budgetBytes: 1, spillParent }),
      });
      const fromFolder = await segment({
        ...options,
        cache: createFeatureCache({ dir: join(temp.path, "cache") }),
      });
      const warm = await segment({
        ...options,
        cache: createFeatureCache({ dir: join(temp.path, "cache") }),
      });
      for (const other of [spilled, fromFolder, warm]) {
        expect(other.labels).toEqual(inMemory.labels);
        expect(other.inertia).toEqual(inMemory.inertia);
        expect(other.scores).toEqual(inMemory.scores);
      }
      // Spill folders carry this process's id: removed at its exit, or by the next run if it is killed.
      for (const name of readdirSync(spillParent)) expect(name).toContain(`.seglens-${process.pid}-`);
    }
  });
});

describe("segment() under maxMemory", () => {
  const temp = testCacheDir();
  afterAll(() => temp.remove());

  it("a limit with room for one image: one image per batch, the features kept on disk, the same labels", async () => {
    const { minimumBytes } = (await prepareRequest(request)).memoryPlan;
    const run = async (maxMemory: number | undefined) => {
      const done: number[] = [];
      const cache = createFeatureCache({ spillParent: join(temp.path, "spill") });
      const result = await segment({
        ...request,
        k: 3,
        cache,
        ...(maxMemory === undefined ? {} : { maxMemory }),
        onProgress: (p) => {
          if (p.stage === "inference") done.push(p.done);
        },
      });
      return { done, result, memoryBytes: cache.stats().bytes };
    };
    const tight = await run(minimumBytes + 1000);
    const free = await run(undefined);
    expect(tight.done).toEqual([1, 2, 3, 4, 5]);
    expect(free.done).toEqual([5]);
    expect(tight.memoryBytes).toBe(0); // the plan's cache budget (1,000 bytes) sent the set to disk
    expect(free.memoryBytes).toBeGreaterThan(0);
    expect(tight.result.labels).toEqual(free.result.labels);
  });
});
