import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { InputError } from "../../src/errors";
import { extractAttentionRows } from "../../src/features/attention-rows";
import { tensorPixels } from "../../src/features/extract-features";
import { prepareTappedModel } from "../../src/onnx/tapped-model";
import { expectedRows } from "../support/attention-reference";
import { compare, listFixtures, reference } from "../support/fixtures";
import { testCacheDir } from "../support/temp";

const cacheDir = testCacheDir();
afterAll(() => cacheDir.remove());

// One of each kind: CLS, CLS + 4 registers (with RoPE), no prefix token.
const fixtures = listFixtures().filter((f) => ["vit-tf4", "dinov3-tf4", "siglip-tf4"].includes(f.id));

describe.each(fixtures)("extractAttentionRows on $id", (fixture) => {
  const pixels = reference(fixture.dir, "pixel_values");
  const inputs = () => tensorPixels(pixels.data, pixels.dims as [number, number, number, number]);
  const tapped = () =>
    prepareTappedModel(join(fixture.dir, fixture.variants.fp32 as string), { cacheDir: cacheDir.path });

  it("counts the prefix tokens itself, batches the images, and matches PyTorch for every layer", async () => {
    const set = await extractAttentionRows(tapped(), {
      inputs: inputs(),
      threads: 1,
      graphsDir: cacheDir.path,
      // One image per batch, so rows are put together from several batches.
      budgetBytes: 1,
    });
    expect(set.batchSize).toBe(1);
    expect(set.prefixTokens).toBe(fixture.prefix_tokens);
    expect(set.reduction).toBe(fixture.prefix_tokens > 0 ? "cls" : "patch-mean");
    expect(set.heads).toBe(fixture.num_heads);
    expect(set.grid).toEqual(fixture.grid);
    expect(set.layers).toEqual([1, 2]);
    for (const layer of set.layers) {
      const expected = expectedRows(reference(fixture.dir, `attn_L${layer}`), fixture.prefix_tokens);
      const { maxAbsDiff } = compare(set.rows.get(layer) as Float32Array, expected);
      expect(maxAbsDiff, `layer ${layer}`).toBeLessThanOrEqual(1e-5);
    }
  });

  it("reads only the layers asked for (each once), with the prefix count given", async () => {
    const set = await extractAttentionRows(tapped(), {
      inputs: inputs(),
      layers: [2, 2],
      prefixTokens: fixture.prefix_tokens,
      threads: 1,
      graphsDir: cacheDir.path,
    });
    expect([...set.rows.keys()]).toEqual([2]);
    expect(set.rows.get(2)?.length).toBe(2 * fixture.num_heads * fixture.grid[0] * fixture.grid[1]);
  });
});

describe("extractAttentionRows refuses", () => {
  it("a prefix count the model does not have, saying how many it has", async () => {
    const fixture = fixtures[0] as (typeof fixtures)[number];
    const pixels = reference(fixture.dir, "pixel_values");
    const tapped = prepareTappedModel(join(fixture.dir, "onnx/model.onnx"), { cacheDir: cacheDir.path });
    const run = extractAttentionRows(tapped, {
      inputs: tensorPixels(pixels.data, pixels.dims as [number, number, number, number]),
      prefixTokens: 3,
      graphsDir: cacheDir.path,
    });
    await expect(run).rejects.toThrow(InputError);
    await expect(run).rejects.toThrow(
      "--prefix-tokens 3 does not match the model: block 1's attention has 21 keys for a 4×4 grid of 16 patches, so 5 prefix tokens",
    );
  });

  it("layer 0 (the embeddings) and layers past the last block, saying which blocks have attention", async () => {
    const fixture = fixtures[0] as (typeof fixtures)[number];
    const pixels = reference(fixture.dir, "pixel_values");
    const tapped = prepareTappedModel(join(fixture.dir, "onnx/model.onnx"), { cacheDir: cacheDir.path });
    for (const layer of [0, 3]) {
      const run = extractAttentionRows(tapped, {
        inputs: tensorPixels(pixels.data, pixels.dims as [number, number, number, number]),
        layers: [layer],
      });
      await expect(run).rejects.toThrow(InputError);
      await expect(run).rejects.toThrow(`layer ${layer} has no attention: choose blocks 1..2`);
    }
  });
});
