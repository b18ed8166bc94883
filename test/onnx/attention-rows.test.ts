import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { UnsupportedModelError } from "../../src/errors";
import { appendToGraph } from "../../src/onnx/add-outputs";
import { prepareAttentionModel } from "../../src/onnx/attention-model";
import { attentionRowAdditions } from "../../src/onnx/attention-rows";
import { discoverTaps, tapTensors } from "../../src/onnx/discover-taps";
import { parseOnnxModel } from "../../src/onnx/onnx-graph";
import { prepareTappedModel } from "../../src/onnx/tapped-model";
import { checkAttentionRows } from "../support/attention-reference";
import { listFixtures } from "../support/fixtures";
import { testCacheDir } from "../support/temp";

// Probabilities in 0..1: fp32 differs from PyTorch by rounding; fp16 and int8 compute in lower precision.
const TOLERANCE: Record<string, number> = { fp32: 1e-5, fp16: 2e-3, q8: 0.05 };

const cacheDir = testCacheDir();
afterAll(() => cacheDir.remove());

const cases = listFixtures()
  .filter((f) => f.references !== false)
  .flatMap((f) => Object.entries(f.variants).map(([variant, file]) => ({ ...f, variant, file })));

describe("the attention variant on every fixture export", () => {
  it.each(cases)("$id $variant ($family): every block's rows match PyTorch's softmax", async (f) => {
    await checkAttentionRows(join(f.dir, f.file), f.dir, {
      prefixTokens: f.prefix_tokens,
      numLayers: f.num_layers,
      tolerance: TOLERANCE[f.variant] as number,
      cacheDir: cacheDir.path,
    });
  });
});

describe("the attention variant beside the tapped model", () => {
  const file = "models/fixtures/vit-tf4/onnx/model.onnx";

  it("is a copy of its own: the tapped model's graph, outputs and path stay as they were", () => {
    const dir = join(cacheDir.path, "apart");
    const before = prepareTappedModel(file, { cacheDir: dir });
    const tappedBytes = readFileSync(before.path);
    const variant = prepareAttentionModel(before, { prefixTokens: 1, cacheDir: dir });
    const after = prepareTappedModel(file, { cacheDir: dir });
    expect(after).toEqual(before);
    expect(readFileSync(after.path).equals(tappedBytes)).toBe(true);
    const original = parseOnnxModel(readFileSync(file)).outputs.map((o) => o.name);
    expect(parseOnnxModel(tappedBytes).outputs.map((o) => o.name)).toEqual([
      ...original,
      ...tapTensors(before.taps),
    ]);
    expect(variant.path).not.toBe(before.path);
    expect(parseOnnxModel(readFileSync(variant.path)).outputs.map((o) => o.name)).toEqual([
      ...original,
      ...variant.rows,
    ]);
  });

  it("keeps every byte of the original graph and appends nodes, constants and outputs after it", () => {
    const bytes = readFileSync(file);
    const graph = parseOnnxModel(bytes);
    const additions = attentionRowAdditions(discoverTaps(graph), { prefixTokens: 1, opset: 14, label: file });
    const edited = parseOnnxModel(appendToGraph(bytes, additions));
    expect(edited.nodes.slice(0, graph.nodes.length)).toEqual(graph.nodes);
    expect(edited.nodes.length).toBe(graph.nodes.length + 3 * 2);
    expect(edited.initializers.size).toBe(graph.initializers.size + 4);
  });

  it("differs per prefix count and is not written twice", () => {
    const dir = join(cacheDir.path, "prefix");
    const tapped = prepareTappedModel(file, { cacheDir: dir });
    const one = prepareAttentionModel(tapped, { prefixTokens: 1, cacheDir: dir });
    const none = prepareAttentionModel(tapped, { prefixTokens: 0, cacheDir: dir });
    expect(none.path).not.toBe(one.path);
    expect(none.reduction).toBe("patch-mean");
    expect(one.reduction).toBe("cls");
    const again = prepareAttentionModel(tapped, { prefixTokens: 1, cacheDir: dir });
    expect(again).toEqual(one);
  });

  it("a model whose blocks have no explicit Softmax: UnsupportedModelError naming the model and the blocks", () => {
    const tapped = prepareTappedModel(file, { cacheDir: cacheDir.path });
    const taps = { ...tapped.taps, blocks: tapped.taps.blocks.map(({ attention: _, ...block }) => block) };
    const call = () =>
      prepareAttentionModel({ ...tapped, taps }, { prefixTokens: 1, cacheDir: join(cacheDir.path, "none") });
    expect(call).toThrow(UnsupportedModelError);
    expect(call).toThrow(/vit-tf4\/onnx\/model\.onnx": found no attention Softmax in blocks 1, 2 of 2/);
  });
});
