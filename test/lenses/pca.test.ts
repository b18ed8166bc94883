import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { InputError, OptionRangeError } from "../../src/errors";
import { readNpy } from "../../src/features/npy";
import { type PatchRows, type PcaLayer, pcaLayer, pcaLayers } from "../../src/lenses/pca";
import { releasePcaSession } from "../../src/lenses/pca-scatter-graph";

afterAll(() => releasePcaSession());

const FIXTURES = "test/fixtures/pca";

interface ReferenceLayer {
  raw_components: number[][];
  components: number[][];
  explained_variance_ratio: number[];
  fitted: number;
}
interface ReferenceCase {
  shape: [layers: number, rows: number, dims: number];
  foreground: number | null;
  layers: ReferenceLayer[];
}
const references = JSON.parse(readFileSync(join(FIXTURES, "references.json"), "utf8")) as {
  numpy: string;
  cases: Record<string, ReferenceCase>;
};

/** The layers of a case, as the lens takes them (the tiny model's tokens without their CLS row). */
function layersOf(name: string): PatchRows[] {
  if (name === "dinov2-tf4") {
    return [0, 1, 2].map((l) => {
      const array = readNpy(`models/fixtures/dinov2-tf4/reference/tokens_L${l}.npy`);
      const [images, tokens, d] = array.dims as [number, number, number];
      const data = new Float32Array(images * (tokens - 1) * d);
      for (let i = 0; i < images; i++) {
        data.set(
          (array.data as Float32Array).subarray((i * tokens + 1) * d, (i + 1) * tokens * d),
          i * (tokens - 1) * d,
        );
      }
      return { data, dims: [images * (tokens - 1), d] as const };
    });
  }
  const file =
    name === "vit-small"
      ? "test/fixtures/kmeans/vit-small-tokens-L6.npy"
      : join(FIXTURES, `${name.replace("-foreground", "")}.npy`);
  const array = readNpy(file);
  const data = array.data as Float32Array;
  const [layers, rows, d] = (array.dims.length === 2 ? [1, ...array.dims] : array.dims) as [
    number,
    number,
    number,
  ];
  return Array.from({ length: layers }, (_, l) => ({
    data: data.subarray(l * rows * d, (l + 1) * rows * d),
    dims: [rows, d] as const,
  }));
}

const dot = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  let s = 0;
  for (let j = 0; j < a.length; j++) s += (a[j] as number) * (b[j] as number);
  return s;
};
const row = (layer: PcaLayer, c: number): Float64Array => {
  const d = layer.dims[1];
  return layer.components.subarray(c * d, (c + 1) * d);
};

describe("pcaLayers against numpy's SVD", () => {
  for (const [name, reference] of Object.entries(references.cases)) {
    for (const engine of ["js", "onnxruntime"] as const)
      it(`${name}, ${engine}: components match numpy's up to sign, then exactly under the sign rule; variance ratios to 1e-5; RGB within 1 level`, async () => {
        const options =
          reference.foreground === null ? { engine } : { engine, foreground: reference.foreground };
        const result = await pcaLayers(layersOf(name), options);
        const rgb = readNpy(join(FIXTURES, `${name}-rgb.npy`));
        const [, rows] = reference.shape;
        expect(rgb.dims).toEqual([reference.shape[0], rows, 3]);
        for (const [l, expected] of reference.layers.entries()) {
          const layer = result[l] as PcaLayer;
          expect(layer.fitted.reduce((s, f) => s + f, 0)).toBe(expected.fitted);
          for (let c = 0; c < 3; c++) {
            const ratio = expected.explained_variance_ratio[c] as number;
            expect(Math.abs((layer.explainedVarianceRatio[c] as number) - ratio)).toBeLessThan(1e-5);
            if (ratio === 0) {
              expect(row(layer, c).every((v) => v === 0)).toBe(true);
              continue;
            }
            expect(Math.abs(dot(row(layer, c), expected.raw_components[c] as number[]))).toBeGreaterThan(
              1 - 1e-6,
            );
            expect(dot(row(layer, c), expected.components[c] as number[])).toBeGreaterThan(1 - 1e-6);
          }
          const want = (rgb.data as Uint8Array).subarray(l * rows * 3, (l + 1) * rows * 3);
          let worst = 0;
          for (let i = 0; i < want.length; i++)
            worst = Math.max(worst, Math.abs((layer.rgb[i] as number) - (want[i] as number)));
          expect(worst).toBeLessThanOrEqual(1);
        }
      });
  }

  it("the fixtures do flip: numpy's own signs change between some consecutive layers, so the chained rule is exercised", async () => {
    let flips = 0;
    for (const reference of Object.values(references.cases)) {
      for (let l = 1; l < reference.layers.length; l++) {
        for (let c = 0; c < 3; c++) {
          const before = (reference.layers[l - 1] as ReferenceLayer).raw_components[c] as number[];
          const now = (reference.layers[l] as ReferenceLayer).raw_components[c] as number[];
          if (dot(before, now) < -0.5) flips++;
        }
      }
    }
    expect(flips).toBeGreaterThan(0);
  });
});

/** Every value of `x` negated: the same principal axes, every projection reversed. */
function negated(x: PatchRows): PatchRows {
  return { data: x.data.map((v) => -v), dims: x.dims };
}

describe("pcaLayer's component signs", () => {
  const [x] = layersOf("planted") as [PatchRows];

  it("a layer whose vectors are the previous layer's negated keeps its colours: each component follows the previous layer's", async () => {
    // The scatter matrices are equal, so only the chained sign rule can tell the two layers apart.
    const [first, second] = (await pcaLayers([x, negated(x)])) as [PcaLayer, PcaLayer];
    expect(Buffer.from(second.rgb).equals(Buffer.from(first.rgb))).toBe(true);
    for (let c = 0; c < 3; c++) expect(dot(row(second, c), row(first, c))).toBeCloseTo(-1, 9);
  });

  it("a layer skewed the other way still follows the previous layer: the chain wins over the first layer's rule", async () => {
    // One strong direction: values right-skewed in the first layer, their logarithm (increasing,
    // so the same order, but left-skewed) in the second.
    const n = 200;
    const layer = (value: (t: number) => number): PatchRows => {
      const data = new Float32Array(n * 4);
      for (let i = 0; i < n; i++)
        data.set([value((i + 1) / n), 0.01 * Math.sin(i), 0.01 * Math.cos(i), 0], i * 4);
      return { data, dims: [n, 4] };
    };
    const [first, second] = (await pcaLayers([
      layer((t) => 10 * t ** 3),
      layer((t) => Math.log(10 * t ** 3 + 0.05)),
    ])) as [PcaLayer, PcaLayer];
    expect((await pcaLayer(layer((t) => Math.log(10 * t ** 3 + 0.05)))).rgb[0]).toBe(255); // alone: flipped by its skew
    expect(second.rgb[0]).toBe(first.rgb[0]); // the smallest values stay dark in both layers
    expect(second.rgb[0]).toBe(0);
  });

  it("the first layer's rule depends on the data alone: negated vectors give the same colours", async () => {
    expect(Buffer.from((await pcaLayer(negated(x))).rgb).equals(Buffer.from((await pcaLayer(x)).rgb))).toBe(
      true,
    );
  });

  it("the first layer's components have positively skewed projections", async () => {
    const layer = await pcaLayer(x);
    for (let c = 0; c < 3; c++) {
      let m3 = 0;
      for (let r = 0; r < layer.dims[0]; r++) m3 += (layer.projections[r * 3 + c] as number) ** 3;
      expect(m3).toBeGreaterThan(0);
    }
  });

  it("in foreground mode, the foreground stays on the same side when the next layer is negated", async () => {
    const [first, second] = (await pcaLayers([x, negated(x)], { foreground: 0.5 })) as [PcaLayer, PcaLayer];
    expect(Buffer.from(second.fitted).equals(Buffer.from(first.fitted))).toBe(true);
    expect(Buffer.from(second.rgb).equals(Buffer.from(first.rgb))).toBe(true);
  });
});

describe("pcaLayer's foreground mode", () => {
  const [x] = layersOf("planted") as [PatchRows];

  it("colours only the patches above the threshold of the first pass; the background is black", async () => {
    const layer = await pcaLayer(x, { foreground: 0.5 });
    const kept = layer.fitted.reduce((s, f) => s + f, 0);
    expect(kept).toBeGreaterThan(0);
    expect(kept).toBeLessThan(layer.dims[0]);
    for (let r = 0; r < layer.dims[0]; r++) {
      if (layer.fitted[r] === 0) expect([...layer.rgb.subarray(r * 3, r * 3 + 3)]).toEqual([0, 0, 0]);
    }
  });

  it("refuses a threshold outside 0..1, and one that keeps fewer than 2 patches, naming the value", async () => {
    await expect(pcaLayer(x, { foreground: 1 })).rejects.toThrow(OptionRangeError);
    await expect(pcaLayer(x, { foreground: -0.1 })).rejects.toThrow(
      /foreground threshold "-0.1" is out of range/,
    );
    await expect(pcaLayer(x, { foreground: 0.999999 })).rejects.toThrow(
      /foreground threshold "0.999999" keeps 1 of 392 patches/,
    );
  });
});

describe("pcaLayer on degenerate input", () => {
  it("constant vectors: no component, ratios 0, every patch black", async () => {
    const layer = await pcaLayer({ data: new Float32Array(40 * 8).fill(3), dims: [40, 8] });
    expect(layer.explainedVarianceRatio).toEqual([0, 0, 0]);
    expect(layer.components.every((v) => v === 0)).toBe(true);
    expect(layer.rgb.every((v) => v === 0)).toBe(true);
  });

  it("fewer than 3 directions with variance: the missing component is zero and its channel black", async () => {
    const layer = await pcaLayer(layersOf("rank2")[0] as PatchRows);
    expect(layer.explainedVarianceRatio[2]).toBe(0);
    for (let r = 0; r < layer.dims[0]; r++) expect(layer.rgb[r * 3 + 2]).toBe(0);
  });

  it("refuses fewer than 2 rows, and rows that do not fill their dims", async () => {
    await expect(pcaLayer({ data: new Float32Array(8), dims: [1, 8] })).rejects.toThrow(InputError);
    await expect(pcaLayer({ data: new Float32Array(7), dims: [2, 4] })).rejects.toThrow(
      /7 values do not make \[2, 4\]/,
    );
  });

  it("refuses consecutive layers over different patches", async () => {
    const a = { data: new Float32Array(40).map((_, i) => Math.sin(i)), dims: [10, 4] as const };
    const b = { data: new Float32Array(36).map((_, i) => Math.cos(i)), dims: [9, 4] as const };
    await expect(pcaLayers([a, b])).rejects.toThrow(/same patches: 10 rows, then 9/);
  });
});

describe("pcaLayer on the feature cache's shared memory", () => {
  it("rows over a SharedArrayBuffer (as the cache and the explorer hold them) give the same bytes on both engines", async () => {
    const x = layersOf("vit-small")[0] as PatchRows;
    const shared = new Float32Array(new SharedArrayBuffer(x.data.byteLength));
    shared.set(x.data);
    for (const engine of ["js", "onnxruntime"] as const) {
      const plain = await pcaLayer(x, { engine });
      const fromShared = await pcaLayer({ data: shared, dims: x.dims }, { engine });
      expect(Buffer.from(fromShared.rgb).equals(Buffer.from(plain.rgb))).toBe(true);
    }
  });
});

describe("pcaLayer's determinism", () => {
  for (const engine of ["js", "onnxruntime"] as const) {
    it(`${engine}: the same rows give the same bytes, also for a real-size layer (784 × 384, the subspace iteration)`, async () => {
      const x = layersOf("vit-small")[0] as PatchRows;
      const once = await pcaLayer(x, { engine });
      const again = await pcaLayer({ data: x.data.slice(), dims: x.dims }, { engine });
      expect(Buffer.from(again.rgb).equals(Buffer.from(once.rgb))).toBe(true);
      expect(Buffer.from(again.components.buffer).equals(Buffer.from(once.components.buffer))).toBe(true);
    });
  }
});
