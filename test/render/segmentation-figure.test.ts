import { describe, expect, it } from "vitest";
import type { PreparedRequest } from "../../src/features/feature-request";
import { createPreprocessConfig } from "../../src/images/preprocess-config";
import type { FigureSpec, LabelPanel } from "../../src/render/figure";
import { segmentationFigure } from "../../src/render/segmentation-figure";
import type { Segmentation } from "../../src/segmentation/segment";

const IMAGES = ["models/samples/coffee.png", "models/samples/chelsea.png"];

/**
 * A segmentation as `segment` returns it, over 2 × 2 grids: `labels` maps `rep_L<l>` to the labels
 * of every image (`[images, 2, 2]`, flattened).
 */
function fakeSegmentation(
  model: string,
  labels: Record<string, number[]>,
  options: { k?: number; depth?: number; images?: string[] } = {},
): Segmentation {
  const keys = Object.keys(labels);
  const request = {
    model: { id: model, onnxPath: `${model}.onnx` },
    images: options.images ?? IMAGES.slice(0, 1),
    preprocess: createPreprocessConfig({ resize: { mode: "exact", height: 8, width: 8 } }),
    layers: [...new Set(keys.map((key) => Number(key.split("_L")[1])))].sort((a, b) => a - b),
    reps: [...new Set(keys.map((key) => key.split("_")[0]))],
    tapped: { taps: { blocks: new Array(options.depth ?? 2) } },
  } as unknown as PreparedRequest; // only the fields the figure reads
  const scores = new Map(keys.map((key) => [key, { pb: 0.5, lc: 0.25, ba: -0.001 }]));
  return {
    request,
    grid: [2, 2],
    k: options.k ?? 3,
    labels: new Map(keys.map((key) => [key, Int32Array.from(labels[key] as number[])])),
    inertia: new Map(),
    scores,
    prefixTokens: 1,
    hiddenSize: 4,
  };
}

/** The labels drawn in row `r`, column `c`. */
function drawn(spec: FigureSpec, r: number, c: number): number[] {
  const panel = spec.rows[r]?.panels[c] as LabelPanel;
  return [...panel.labels];
}

describe("segmentationFigure with models side by side", () => {
  it("relabels the second model's clusters to match the first's, so equal partitions get equal colours", async () => {
    const a = fakeSegmentation("model-a", { tokens_L2: [0, 0, 1, 2] });
    const b = fakeSegmentation("model-b", { tokens_L2: [2, 2, 0, 1] }); // the same partition, numbered differently
    const spec = await segmentationFigure([a, b], {
      rows: "models",
      cols: "images",
      rep: "tokens",
      opacity: 1,
    });
    expect(spec.rows.map((r) => r.title)).toEqual(["model-a", "model-b"]);
    expect(drawn(spec, 1, 0)).toEqual(drawn(spec, 0, 0));
    expect(spec.rows[0]?.note).toBe("layer 2\nPB 0.50  LC 0.25\nBA 0.00");
    expect(spec.opacity).toBe(1);
  });

  it("matches models of different K too: shared clusters take the first model's ids, extra ones the ids after K", async () => {
    const a = fakeSegmentation("k2", { tokens_L2: [0, 0, 1, 1] }, { k: 2 });
    const b = fakeSegmentation("k3", { tokens_L2: [2, 2, 0, 1] }, { k: 3 });
    const spec = await segmentationFigure([a, b], { rows: "models", cols: "images", rep: "tokens" });
    const second = drawn(spec, 1, 0);
    expect(second.slice(0, 2)).toEqual([0, 0]);
    expect(second.slice(2).sort()).toEqual([1, 2]);
    expect(spec.title).toBe("models · tokens · K=2/3");
  });

  it("models × layers of different K: each model's colours matched once, at the deepest column", async () => {
    const a = fakeSegmentation("k2", { tokens_L1: [0, 1, 1, 1], tokens_L2: [0, 0, 1, 1] }, { k: 2 });
    const b = fakeSegmentation("k3", { tokens_L1: [1, 1, 0, 2], tokens_L2: [1, 1, 0, 2] }, { k: 3 });
    const spec = await segmentationFigure([a, b], { rows: "models", cols: "layers", rep: "tokens" });
    expect(drawn(spec, 1, 1).slice(0, 2)).toEqual([0, 0]);
    expect(drawn(spec, 1, 0)).toEqual(drawn(spec, 1, 1)); // one permutation for the whole row
  });
});

describe("segmentationFigure: models × representations", () => {
  it("a row per model at its block, a column per representation, colours matched to the first model's first representation", async () => {
    const a = fakeSegmentation("vit-s", { tokens_L4: [0, 0, 1, 2], k_L4: [1, 1, 2, 0] }, { depth: 4 });
    const b = fakeSegmentation("vit-l", { tokens_L8: [2, 2, 1, 0], k_L8: [0, 0, 1, 2] }, { depth: 8 });
    const spec = await segmentationFigure([a, b], { rows: "models", cols: "reps", rep: "tokens", image: 0 });
    expect(spec.columns).toEqual(["tokens", "k"]);
    expect(spec.rows.map((r) => [r.title, r.note])).toEqual([
      ["vit-s", "4 blocks"],
      ["vit-l", "8 blocks"],
    ]);
    for (const [r, c] of [
      [0, 1],
      [1, 0],
      [1, 1],
    ] as const)
      expect(drawn(spec, r, c)).toEqual([0, 0, 1, 2]);
    // Every panel names its model's own block and its representation's scores.
    expect(spec.rows[1]?.captions?.[1]).toEqual(["L8", "PB 0.50 LC 0.25", "BA 0.00"]);
    expect(spec.title).toBe("models × representations · coffee.png · K=3");
  });

  it('image "all": a block of model rows per image, each block headed by its image', async () => {
    const images = IMAGES;
    const a = fakeSegmentation("a", { tokens_L2: [0, 0, 1, 2, 2, 2, 1, 0] }, { images });
    const b = fakeSegmentation("b", { tokens_L2: [1, 1, 2, 0, 0, 0, 2, 1] }, { images });
    const spec = await segmentationFigure([a, b], {
      rows: "models",
      cols: "reps",
      rep: "tokens",
      image: "all",
    });
    expect(spec.rows.map((r) => [r.heading, r.title])).toEqual([
      ["coffee.png", "a"],
      [undefined, "b"],
      ["chelsea.png", "a"],
      [undefined, "b"],
    ]);
    expect(drawn(spec, 3, 0)).toEqual([2, 2, 1, 0]);
    expect(spec.photos).toHaveLength(2); // each image's photo once, however many panels show it
    expect(spec.rows[2]?.panels[0]).toMatchObject({ photo: 1 });
  });
});

describe("segmentationFigure: layers × representations", () => {
  it("each representation relabelled once to match the first at the deepest layer; every panel captioned with its scores", async () => {
    const s = fakeSegmentation("m", {
      tokens_L1: [0, 1, 1, 2],
      tokens_L2: [0, 0, 1, 2],
      q_L1: [2, 0, 0, 1],
      q_L2: [2, 2, 0, 1],
    });
    const spec = await segmentationFigure([s], { rows: "layers", cols: "reps", rep: "tokens" });
    expect(spec.columns).toEqual(["tokens", "q"]);
    expect(drawn(spec, 1, 1)).toEqual([0, 0, 1, 2]);
    expect(drawn(spec, 0, 1)).toEqual([0, 1, 1, 2]);
    expect(spec.rows[0]?.captions?.[1]).toEqual(["PB 0.50 LC 0.25", "BA 0.00"]);
  });
});
