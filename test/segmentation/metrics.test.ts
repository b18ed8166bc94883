import { describe, expect, it } from "vitest";
import { InputError } from "../../src/errors";
import {
  borderArtifact,
  type LabelMaps,
  locality,
  mapScores,
  positionalBias,
} from "../../src/segmentation/metrics";
import { createRandom } from "../../src/util/random";

/** Label maps for `n` images of h × w from a function of (image, y, x). */
function maps(
  n: number,
  h: number,
  w: number,
  k: number,
  label: (img: number, y: number, x: number) => number,
): LabelMaps {
  const labels = new Int32Array(n * h * w);
  for (let img = 0; img < n; img++)
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) labels[(img * h + y) * w + x] = label(img, y, x);
  return { labels, dims: [n, h, w], k };
}

const random = createRandom(7);
const noise = maps(8, 14, 14, 6, () => random.int(6));

describe("positional bias", () => {
  it("labels that are a function of position alone (same map in every image) score PB = 1", () => {
    expect(positionalBias(maps(8, 14, 14, 6, (_, y, x) => (y * 3 + x) % 6))).toBeCloseTo(1, 10);
  });
  it("random labels over 8 images score PB ≈ 0 thanks to the permutation baseline", () => {
    expect(Math.abs(positionalBias(noise))).toBeLessThan(0.05);
  });
  it("labels that follow image content, not position (a different half per image), score PB well below 1", () => {
    const content = maps(8, 14, 14, 2, (img, y, x) => (img % 2 === 0 ? (x < 7 ? 0 : 1) : y < 7 ? 0 : 1));
    expect(positionalBias(content)).toBeLessThan(0.6);
  });
  it("a single cluster everywhere scores 0 rather than 0/0", () => {
    expect(positionalBias(maps(2, 4, 4, 3, () => 1))).toBe(0);
  });
});

describe("border artifact", () => {
  it("a cluster on exactly the outermost ring scores BA = 1", () => {
    const ring = maps(4, 6, 6, 3, (_, y, x) => (y === 0 || x === 0 || y === 5 || x === 5 ? 2 : (x + y) % 2));
    expect(borderArtifact(ring)).toBeCloseTo(1, 10);
  });
  it("random labels score BA ≈ 0", () => {
    expect(Math.abs(borderArtifact(noise))).toBeLessThan(0.05);
  });
  it("a 2 × 2 grid has no interior: BA = 0", () => {
    expect(borderArtifact(maps(3, 2, 2, 2, (img) => img % 2))).toBe(0);
  });
});

describe("locality", () => {
  it("two solid halves per image score LC close to 1", () => {
    expect(locality(maps(4, 14, 14, 2, (_, __, x) => (x < 7 ? 0 : 1)))).toBeGreaterThan(0.85);
  });
  it("a checkerboard (no neighbour agrees) scores LC < 0", () => {
    expect(locality(maps(4, 14, 14, 2, (_, y, x) => (x + y) % 2))).toBeLessThan(-0.9);
  });
  it("random labels score LC ≈ 0", () => {
    expect(Math.abs(locality(noise))).toBeLessThan(0.05);
  });
});

describe("mapScores", () => {
  it("is deterministic for a seed and validates labels", () => {
    expect(mapScores(noise, { seed: 3 })).toEqual(mapScores(noise, { seed: 3 }));
    expect(() => mapScores({ labels: Int32Array.from([0, 7]), dims: [1, 1, 2], k: 6 })).toThrow(InputError);
    expect(() => mapScores({ labels: Int32Array.from([0, 1]), dims: [1, 2, 2], k: 6 })).toThrow(/not 1×2×2/);
  });
});
