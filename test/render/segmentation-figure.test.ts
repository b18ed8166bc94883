import { describe, expect, it } from "vitest";
import type { PreparedRequest } from "../../src/features/feature-request";
import { createPreprocessConfig } from "../../src/images/preprocess-config";
import { segmentationFigure } from "../../src/render/segmentation-figure";
import type { Segmentation } from "../../src/segmentation/segment";

function fakeSegmentation(model: string, labels: number[]): Segmentation {
  const request = {
    model: { id: model, onnxPath: `${model}.onnx` },
    images: ["models/samples/coffee.png"],
    preprocess: createPreprocessConfig({ resize: { mode: "exact", height: 8, width: 8 } }),
    layers: [2],
    reps: ["tokens"],
  } as unknown as PreparedRequest; // only the fields the figure reads
  const scores = new Map([["tokens_L2", { pb: 0.5, lc: 0.25, ba: -0.001 }]]);
  return {
    request,
    grid: [2, 2],
    k: 3,
    labels: new Map([["tokens_L2", Int32Array.from(labels)]]),
    inertia: new Map(),
    scores,
    prefixTokens: 1,
    hiddenSize: 4,
  };
}

describe("segmentationFigure with models side by side", () => {
  it("relabels the second model's clusters to match the first's, so equal partitions get equal colours", async () => {
    const a = fakeSegmentation("model-a", [0, 0, 1, 2]);
    const b = fakeSegmentation("model-b", [2, 2, 0, 1]); // the same partition, numbered differently
    const spec = await segmentationFigure([a, b], {
      rows: "models",
      cols: "images",
      rep: "tokens",
      opacity: 1,
    });
    expect(spec.rows.map((r) => r.title)).toEqual(["model-a", "model-b"]);
    expect(spec.rows[1]?.panels[0]?.data).toEqual(spec.rows[0]?.panels[0]?.data);
    expect(spec.rows[0]?.note).toBe("layer 2\nPB 0.50  LC 0.25\nBA 0.00");
  });
});
