import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import {
  createExplorerEngine,
  type ExplorerRequest,
  type ExplorerResult,
} from "../../src/explorer/explorer-engine";
import {
  type ClusteringInput,
  clusteringOf,
  firstLayersFrame,
  pageFrame,
} from "../../src/explorer/explorer-frames";
import type { BinaryArray, ExplorerFrame } from "../../src/explorer/explorer-state";
import { createRandom } from "../../src/util/random";

/** Three columns of seeded labels for 2 images on a 3 × 4 grid, K = 4. */
function threeColumns(): { input: ClusteringInput; fits: Int32Array[] } {
  const random = createRandom(7);
  const fits = [0, 1, 2].map(() => Int32Array.from({ length: 2 * 12 }, () => random.int(4)));
  const input: ClusteringInput = {
    models: ["m"],
    rep: "tokens",
    k: 4,
    layers: [1, 2, 3],
    modelLayers: [[1, 2, 3]],
    grids: [[3, 4]],
    numImages: 2,
  };
  return { input, fits };
}
const page = { index: 0, count: 1, start: 0, end: 2 };

describe("firstLayersFrame", () => {
  it("sends once, when the leading columns are fitted: their labels as the whole clustering aligns them, the rest zero", () => {
    const { input, fits } = threeColumns();
    const sent: ExplorerFrame[] = [];
    const collector = firstLayersFrame(input, page, (frame) => sent.push(frame));
    collector.fitted(0, 1, fits[1] as Int32Array); // column 2 first: nothing leads yet
    expect(sent).toEqual([]);
    collector.fitted(0, 0, fits[0] as Int32Array);
    collector.fitted(0, 2, fits[2] as Int32Array);
    expect(sent).toHaveLength(1);
    const partial = sent[0] as ExplorerFrame;
    expect(partial).toMatchObject({
      provisional: true,
      layers_ready: 2,
      layers: [1, 2, 3],
      model_layers: [[1, 2, 3]],
    });
    expect((partial.labels as BinaryArray<"uint8">).shape).toEqual([1, 3, 2, 3, 4]);
    const whole = pageFrame(clusteringOf(input, [fits], { scores: false }), page);
    const labels = (partial.labels as BinaryArray<"uint8">).buffer as Uint8Array;
    expect([...labels.subarray(0, 48)]).toEqual([
      ...((whole.labels as BinaryArray<"uint8">).buffer as Uint8Array).subarray(0, 48),
    ]);
    expect([...labels.subarray(48)]).toEqual(new Array(24).fill(0));
    expect(partial.metrics[0]).toHaveLength(3);
    expect(partial.metrics.flat().every((m) => m.pb === null && m.lc === null && m.ba === null)).toBe(true);
  });

  it("sends nothing when the last column is among the first fitted: the whole frame follows at once", () => {
    const { input, fits } = threeColumns();
    const sent: ExplorerFrame[] = [];
    const collector = firstLayersFrame(input, page, (frame) => sent.push(frame));
    collector.fitted(0, 2, fits[2] as Int32Array);
    collector.fitted(0, 1, fits[1] as Int32Array);
    collector.fitted(0, 0, fits[0] as Int32Array);
    expect(sent).toEqual([]);
  });

  it("with two models, a column leads only once both models have fitted it", () => {
    const { input, fits } = threeColumns();
    const two = {
      ...input,
      models: ["a", "b"],
      modelLayers: [
        [1, 2, 3],
        [1, 2, 3],
      ],
      grids: [
        [3, 4],
        [3, 4],
      ] as [number, number][],
    };
    const sent: ExplorerFrame[] = [];
    const collector = firstLayersFrame(two, page, (frame) => sent.push(frame));
    collector.fitted(0, 0, fits[0] as Int32Array);
    expect(sent).toEqual([]);
    collector.fitted(1, 0, fits[1] as Int32Array);
    expect(sent.map((f) => [f.layers_ready, (f.labels as BinaryArray<"uint8">).shape])).toEqual([
      [1, [2, 3, 2, 3, 4]],
    ]);
  });
});

describe("the engine's first picture, on models/fixtures/dinov2-tf4 over the 5 sample images", () => {
  const repo = resolve(".");
  const request: ExplorerRequest = {
    models: [`${repo}/models/fixtures/dinov2-tf4`],
    k: 3,
    rep: "tokens",
    layerRange: undefined,
    normalize: "l2",
    provisional: true,
  };
  const signal = new AbortController().signal;

  it("a cold start sends at most one partial frame, its leading columns those of the quick frame; features kept: none", async () => {
    const engine = createExplorerEngine({ images: [`${repo}/models/samples`] });
    try {
      const partials: ExplorerResult[] = [];
      // Which k-means thread finishes first is up to the machine: a partial frame is sent only when
      // the first column leads, so the check holds for whichever frames arrive.
      const quick = await engine.compute(
        request,
        signal,
        () => undefined,
        (r) => partials.push(r),
      );
      expect(quick.frame.provisional).toBe(true);
      expect(quick.frame.layers_ready).toBeUndefined();
      expect(partials.length).toBeLessThanOrEqual(1);
      for (const { frame } of partials) {
        const ready = frame.layers_ready as number;
        expect(ready).toBeGreaterThanOrEqual(1);
        expect(ready).toBeLessThan(frame.layers.length);
        expect((frame.labels as BinaryArray<"uint8">).shape).toEqual(
          (quick.frame.labels as BinaryArray<"uint8">).shape,
        );
        const [, , n, gh, gw] = (frame.labels as BinaryArray<"uint8">).shape as number[];
        const cut = ready * (n as number) * (gh as number) * (gw as number);
        const labels = (frame.labels as BinaryArray<"uint8">).buffer as Uint8Array;
        expect([...labels.subarray(0, cut)]).toEqual([
          ...((quick.frame.labels as BinaryArray<"uint8">).buffer as Uint8Array).subarray(0, cut),
        ]);
        expect(labels.subarray(cut).every((label) => label === 0)).toBe(true);
      }
      const warm: ExplorerResult[] = [];
      await engine.compute(
        { ...request, k: 4 },
        signal,
        () => undefined,
        (r) => warm.push(r),
      );
      expect(warm).toEqual([]);
    } finally {
      await engine.dispose();
    }
  });
});
