import { copyFileSync, mkdirSync, readdirSync, readFileSync, utimesSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { InputError, UnsupportedModelError } from "../../src/errors";
import { addGraphOutputs } from "../../src/onnx/add-outputs";
import { discoverTaps, tapTensors } from "../../src/onnx/discover-taps";
import { parseOnnxModel } from "../../src/onnx/onnx-graph";
import { prepareTappedModel } from "../../src/onnx/tapped-model";
import { listFixtures } from "../support/fixtures";
import { testCacheDir } from "../support/temp";

const cacheDir = testCacheDir();
afterAll(() => cacheDir.remove());

describe("discoverTaps on every fixture export", () => {
  const cases = listFixtures()
    .filter((f) => f.references !== false)
    .flatMap((f) => Object.entries(f.variants).map(([variant, file]) => ({ ...f, variant, file })));
  it.each(cases)("$id $variant: one tap set per block, hidden size and patch size from the graph", (f) => {
    const graph = parseOnnxModel(readFileSync(join(f.dir, f.file)));
    const taps = discoverTaps(graph, f.id);
    expect(taps.blocks).toHaveLength(f.num_layers);
    expect(taps.hiddenSize).toBe(f.hidden_size);
    expect(taps.patchSize).toBe(f.patch_size);
    const names = tapTensors(taps);
    // Distinct tensors per block (tokens, q, k, v), except a fused qkv output, which serves q, k and v.
    expect(names.length).toBe(1 + f.num_layers * (taps.fusedQkv ? 2 : 4));
  });
});

describe("graph editing", () => {
  const file = "models/fixtures/vit-tf4/onnx/model.onnx";

  it("addGraphOutputs keeps every original byte and appends only the new outputs", () => {
    const bytes = readFileSync(file);
    const edited = addGraphOutputs(bytes, ["a", "b"]);
    const graph = parseOnnxModel(edited);
    const original = parseOnnxModel(bytes);
    expect(graph.outputs.map((o) => o.name)).toEqual([...original.outputs.map((o) => o.name), "a", "b"]);
    expect(graph.nodes.length).toBe(original.nodes.length);
    // The graph field grew by exactly the two ValueInfoProtos (2 × (tag, length, name field of 3 bytes)).
    expect(edited.length - bytes.length).toBeGreaterThanOrEqual(10);
    expect(edited.length - bytes.length).toBeLessThanOrEqual(12);
  });

  it("prepareTappedModel writes the edited graph to seglens' cache, never beside the source", () => {
    const tapped = prepareTappedModel(file, { cacheDir: cacheDir.path });
    expect(tapped.path.startsWith(cacheDir.path)).toBe(true);
    const outputs = parseOnnxModel(readFileSync(tapped.path)).outputs.map((o) => o.name);
    for (const name of tapTensors(tapped.taps)) expect(outputs).toContain(name);
  });

  it("the edited graph does not output the attention probabilities, which no feature is read from", () => {
    const tapped = prepareTappedModel(file, { cacheDir: cacheDir.path });
    const attention = tapped.taps.blocks.map((b) => b.attention);
    expect(attention.every((name) => name !== undefined)).toBe(true);
    const outputs = parseOnnxModel(readFileSync(tapped.path)).outputs.map((o) => o.name);
    for (const name of attention) expect(outputs).not.toContain(name);
  });
});

describe("prepareTappedModel's memory of models seen before", () => {
  it("a second call returns the same result without reading the model; a changed file is read again", () => {
    const dir = join(cacheDir.path, "memo");
    mkdirSync(dir);
    const copy = join(dir, "model.onnx");
    copyFileSync("models/fixtures/vit-tf4/onnx/model.onnx", copy);
    const first = prepareTappedModel(copy, { cacheDir: join(dir, "graphs") });
    expect(prepareTappedModel(copy, { cacheDir: join(dir, "graphs") })).toEqual(first);
    // Same path, new contents (and mtime): the memo no longer applies.
    copyFileSync("models/fixtures/dinov2-tf4/onnx/model.onnx", copy);
    utimesSync(copy, new Date(), new Date(Date.now() + 5000));
    const changed = prepareTappedModel(copy, { cacheDir: join(dir, "graphs") });
    expect(changed.sha256).not.toBe(first.sha256);
    expect(changed.path).not.toBe(first.path);
  });
});

describe("prepareTappedModel and graphs an earlier version made", () => {
  it("a memo pointing at a graph that also outputs the attention probabilities is not used", () => {
    const dir = join(cacheDir.path, "earlier");
    const graphs = join(dir, "graphs");
    mkdirSync(dir);
    const copy = join(dir, "model.onnx");
    copyFileSync("models/fixtures/vit-tf4/onnx/model.onnx", copy);
    const current = prepareTappedModel(copy, { cacheDir: graphs });
    // What an earlier version left: a graph with the attention outputs too, remembered as it was.
    const attention = current.taps.blocks.map((b) => b.attention as string);
    const earlier = join(graphs, "earlier", "model.onnx");
    mkdirSync(dirname(earlier));
    writeFileSync(earlier, addGraphOutputs(readFileSync(copy), [...tapTensors(current.taps), ...attention]));
    const [memo] = readdirSync(join(graphs, "index"));
    writeFileSync(join(graphs, "index", memo as string), JSON.stringify({ ...current, path: earlier }));
    const again = prepareTappedModel(copy, { cacheDir: graphs });
    expect(again.path).toBe(current.path);
    const outputs = parseOnnxModel(readFileSync(again.path)).outputs.map((o) => o.name);
    for (const name of attention) expect(outputs).not.toContain(name);
  });
});

describe("models seglens refuses", () => {
  it("a CNN classifier: UnsupportedModelError saying no self-attention was found", () => {
    expect(() =>
      prepareTappedModel("test/fixtures/onnx/not-a-vit.onnx", { cacheDir: cacheDir.path }),
    ).toThrow(UnsupportedModelError);
    expect(() =>
      prepareTappedModel("test/fixtures/onnx/not-a-vit.onnx", { cacheDir: cacheDir.path }),
    ).toThrow(/does not look like a vision transformer: found no self-attention/);
  });

  it("an MAE export with in-graph random masking: refused, naming the random masking", () => {
    expect(() =>
      prepareTappedModel("models/fixtures/vitmae-masking-tf4/onnx/model.onnx", { cacheDir: cacheDir.path }),
    ).toThrow(/in-graph random masking/);
  });

  it("a file that is not ONNX: UnsupportedModelError naming the file", () => {
    const path = join(cacheDir.path, "garbage.onnx");
    writeFileSync(path, "this is not a protobuf \u00ff\u00ff\u00ff");
    expect(() => prepareTappedModel(path, { cacheDir: cacheDir.path })).toThrow(UnsupportedModelError);
    expect(() => prepareTappedModel(path, { cacheDir: cacheDir.path })).toThrow(/garbage\.onnx/);
  });

  it("a missing file: InputError naming it", () => {
    expect(() => prepareTappedModel("nope/model.onnx")).toThrow(InputError);
    expect(() => prepareTappedModel("nope/model.onnx")).toThrow(/cannot read model file "nope\/model.onnx"/);
  });
});
