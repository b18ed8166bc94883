import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { InputError, OptionRangeError, OptionTypeError } from "../../src/errors";
import { createExplorerEngine } from "../../src/explorer/explorer-engine";
import { shownBlocks } from "../../src/explorer/explorer-layers";
import type { BinaryArray } from "../../src/explorer/explorer-state";
import { ExplorerWidget, explore } from "../../src/explorer/explorer-widget";
import { blocksAtDepths } from "../../src/features/relative-depth";
import { testCacheDir } from "../support/temp";
import { writeTestVit } from "../support/test-vit";
import { useWidgetKernel } from "../support/widgets";

// Models of different depth side by side in the explorer: a 6-block random ViT (made by the graph
// builder) and the bundled 2-block DINOv2, matched by relative depth.
const temp = testCacheDir();
const shallow = resolve("models/fixtures/dinov2-tf4");
const images = [resolve("models/samples")];
let deep: string;

beforeAll(() => {
  deep = writeTestVit(join(temp.path, "vit-6-blocks"));
});
afterAll(() => temp.remove());
const { comms } = useWidgetKernel();

const request = (models: string[], layerRange?: [number, number], depths?: number[]) => ({
  models,
  k: 3,
  rep: "tokens" as const,
  layerRange,
  ...(depths === undefined ? {} : { depths }),
  normalize: "l2" as const,
});

describe("explorer engine: models of any depth side by side", () => {
  it("layers are the first model's; the other shows the block at the same relative depth, in its own numbering", async () => {
    const engine = createExplorerEngine({ images, frameCacheSize: 0 });
    const signal = new AbortController().signal;
    try {
      const result = await engine.compute(request([deep, shallow]), signal, () => undefined);
      expect(result.layerBounds).toEqual([1, 6]);
      expect(result.frame.layers).toEqual([1, 2, 3, 4, 5, 6]);
      expect(result.frame.model_layers).toEqual([
        [1, 2, 3, 4, 5, 6],
        [1, 1, 1, 1, 2, 2],
      ]);
      expect((result.frame.labels as BinaryArray<"uint8">).shape).toEqual([2, 6, 5, 4, 4]);
      // The range names the first model's blocks; the shallower model is never out of range.
      const part = await engine.compute(request([deep, shallow], [4, 6]), signal, () => undefined);
      expect(part.frame.model_layers).toEqual([
        [4, 5, 6],
        [1, 2, 2],
      ]);
      // Shallow first: its 2 blocks map to blocks 3 and 6 of the deeper model.
      const swapped = await engine.compute(request([shallow, deep]), signal, () => undefined);
      expect(swapped.frame.model_layers).toEqual([
        [1, 2],
        [3, 6],
      ]);
      // Out of range for the first model stays an error.
      await expect(engine.compute(request([shallow, deep], [1, 3]), signal, () => undefined)).rejects.toThrow(
        InputError,
      );
    } finally {
      await engine.dispose();
    }
  });

  it("depths [0.25, 1] show each model's own blocks at those fractions: blocks 1, 2 of the 2-block model beside 2, 6 of the 6-block one", async () => {
    const engine = createExplorerEngine({ images, frameCacheSize: 0 });
    const signal = new AbortController().signal;
    try {
      const result = await engine.compute(
        request([shallow, deep], undefined, [0.25, 1]),
        signal,
        () => undefined,
      );
      // round(0.25 · 6) = 2 (block 1 of the first model maps to block 3 by relative depth, not 2).
      expect(result.frame.layers).toEqual([1, 2]);
      expect(result.frame.model_layers).toEqual([
        [1, 2],
        [2, 6],
      ]);
      expect(result.layerRange).toEqual([1, 2]);
      expect((result.frame.labels as BinaryArray<"uint8">).shape).toEqual([2, 2, 5, 4, 4]);
      const deepFirst = await engine.compute(
        request([deep, shallow], undefined, [0.25, 0.5, 0.75, 1]),
        signal,
        () => undefined,
      );
      expect(deepFirst.frame.layers).toEqual(blocksAtDepths([0.25, 0.5, 0.75, 1], 6));
      expect(deepFirst.frame.model_layers).toEqual([
        [2, 3, 5, 6],
        [1, 1, 2, 2],
      ]);
      expect(deepFirst.layerRange).toEqual([2, 6]);
    } finally {
      await engine.dispose();
    }
  });
});

describe("shownBlocks(depths, selection)", () => {
  it("fractions: ViT-S (12) beside ViT-L (24) at [0.25, 0.5, 0.75, 1] shows blocks 3, 6, 9, 12 and 6, 12, 18, 24", () => {
    expect(shownBlocks([12, 24], { depths: [1, 0.5, 0.75, 0.25] })).toEqual({
      layers: [3, 6, 9, 12],
      modelLayers: [
        [3, 6, 9, 12],
        [6, 12, 18, 24],
      ],
    });
  });

  it("fractions falling on one block of a shallow first model make one column, at the smallest fraction", () => {
    expect(shownBlocks([2, 12], { depths: [0.25, 0.5, 0.75, 1] })).toEqual({
      layers: [1, 2],
      modelLayers: [
        [1, 2],
        [3, 9],
      ],
    });
  });

  it("fractions win over a range; a range beyond the first model's depth is an InputError", () => {
    expect(shownBlocks([12], { range: [1, 2], depths: [1] }).layers).toEqual([12]);
    expect(() => shownBlocks([12, 24], { range: [10, 13] })).toThrow(
      /invalid layer_range \[10, 13\]; expected 1 ≤ first ≤ last ≤ 12/,
    );
  });
});

/** A control change as the view sends it; resolves when the explorer has computed it. */
async function fromView(widget: ExplorerWidget, state: Record<string, unknown>): Promise<void> {
  comms().handle("comm_msg", { comm_id: widget.modelId, data: { method: "update", state } }, {}, []);
  await new Promise((r) => setImmediate(r)); // front-end changes reach the widget in the next turn
  await widget.idle();
}

describe("explore({ depth })", () => {
  it("shows each model's blocks at the fractions; the range control spans them, and a range picked there replaces them", async () => {
    const widget = explore({ model: [shallow, deep], images, k: 3, depth: [0.25, 1], precompute: false });
    await widget.idle();
    expect(widget.get("status")).toEqual({ kind: "ready" });
    expect(widget.get("frame")?.model_layers).toEqual([
      [1, 2],
      [2, 6],
    ]);
    expect(widget.get("layer_range")).toEqual([1, 2]);
    // Another K keeps the fractions.
    await fromView(widget, { k: 4 });
    expect(widget.get("frame")?.k).toBe(4);
    expect(widget.get("frame")?.model_layers).toEqual([
      [1, 2],
      [2, 6],
    ]);
    // The range, as the view sends it: blocks 2..2 of the first model, others by relative depth.
    await fromView(widget, { layer_range: [2, 2] });
    expect(widget.get("frame")?.model_layers).toEqual([[2], [6]]);
    widget.close();
  });

  it("depth with layers is refused at the call, naming both; depth 0, 1.5 or [] too", () => {
    expect(() => new ExplorerWidget({ model: shallow, images, layers: [1, 2], depth: [0.5] })).toThrow(
      /invalid options: layers \[1,2\] and depth \[0\.5\] given together; expected one of them/,
    );
    expect(() => explore({ model: shallow, images, depth: [0, 1] })).toThrow(OptionRangeError);
    expect(() => explore({ model: shallow, images, depth: [1.5] })).toThrow(/invalid depth entry 1\.5/);
    expect(() => explore({ model: shallow, images, depth: [] })).toThrow(OptionTypeError);
  });
});
