import { describe, expect, it } from "vitest";
import { createFeatureCache } from "../../src/features/feature-cache";
import { prepareRequest } from "../../src/features/feature-request";
import { features } from "../../src/features/features";
import { segment } from "../../src/segmentation/segment";

// An RGBA and a grey+alpha image: dropping the alpha and compositing on white give other pixels.
const request = {
  model: "models/fixtures/dinov2-tf4",
  images: ["test/fixtures/images/rgba.png", "test/fixtures/images/la.png"],
  reps: "tokens",
  layers: "2",
};

describe("the decoding options of a request", () => {
  it("default alpha 'drop' and orientation 'stored' are part of the preprocessing as applied", async () => {
    const prepared = await prepareRequest(request);
    expect(prepared.preprocess).toMatchObject({ alpha: "drop", orientation: "stored" });
    const white = await prepareRequest({ ...request, alpha: "white", orientation: "exif" });
    expect(white.preprocess).toMatchObject({ alpha: "white", orientation: "exif" });
  });

  it("alpha 'white' gives other features than the default for images with transparency", async () => {
    const dropped = await features({ ...request, threads: 1 });
    const onWhite = await features({ ...request, alpha: "white", threads: 1 });
    expect(onWhite.arrays.get("tokens_L2")).not.toEqual(dropped.arrays.get("tokens_L2"));
  });

  it("segment() with another alpha misses the feature cache the first run filled", async () => {
    const cache = createFeatureCache();
    await segment({ ...request, k: 2, cache, threads: 1 });
    const misses = cache.stats().misses;
    await segment({ ...request, k: 3, cache, threads: 1 });
    expect(cache.stats().misses).toBe(misses); // same options: a hit
    await segment({ ...request, k: 2, alpha: "white", cache, threads: 1 });
    expect(cache.stats().misses).toBeGreaterThan(misses);
    const afterWhite = cache.stats().misses;
    await segment({ ...request, k: 2, orientation: "exif", cache, threads: 1 });
    expect(cache.stats().misses).toBeGreaterThan(afterWhite);
  });
});
