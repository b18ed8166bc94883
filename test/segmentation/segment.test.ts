import { describe, expect, it } from "vitest";
import { createFeatureCache } from "../../src/features/feature-cache";
import { segment } from "../../src/segmentation/segment";

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
