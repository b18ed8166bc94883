import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { sessionOptions, tensorPixels } from "../../src/features/extract-features";
import { collectFeatures } from "../../src/features/feature-set";
import { addGraphOutputs } from "../../src/onnx/add-outputs";
import { prepareTappedModel } from "../../src/onnx/tapped-model";
import { createRuntimeSession } from "../../src/runtime/onnx-runtime";
import { REPS } from "../../src/vocabulary";
import { compare, listFixtures, reference } from "../support/fixtures";
import { testCacheDir } from "../support/temp";

// Allowed max |seglens − PyTorch| relative to max(1, max |reference|), per file variant.
// fp32 is the bound the README's accuracy table states; fp16 and int8 compute inside in lower precision.
const TOLERANCE: Record<string, number> = { fp32: 1e-4, fp16: 5e-3, q8: 0.1 };

const cacheDir = testCacheDir();
const fixtures = listFixtures().filter((f) => f.references !== false);
afterAll(() => cacheDir.remove());

describe.each(fixtures)("fixture $id ($family, $exporter)", (fixture) => {
  const pixels = reference(fixture.dir, "pixel_values");
  const variants = Object.entries(fixture.variants).filter(([variant]) => variant in TOLERANCE);

  it.each(variants)("%s: tokens, q, k, v of every layer match PyTorch", async (variant, file) => {
    const tapped = prepareTappedModel(join(fixture.dir, file), { cacheDir: cacheDir.path });
    const set = await collectFeatures(tapped, {
      inputs: tensorPixels(pixels.data, pixels.dims as [number, number, number, number]),
      layers: Array.from({ length: fixture.num_layers + 1 }, (_, l) => l),
      threads: 1,
    });
    expect(set.layout.prefixTokens).toBe(fixture.prefix_tokens);
    expect(set.layout.grid).toEqual(fixture.grid);
    expect(set.layout.hiddenSize).toBe(fixture.hidden_size);
    const bound = TOLERANCE[variant] as number;
    for (const rep of REPS) {
      for (let layer = rep === "tokens" ? 0 : 1; layer <= fixture.num_layers; layer++) {
        const key = `${rep}_L${layer}`;
        const actual = set.arrays.get(key);
        expect(actual, key).toBeDefined();
        const { maxAbsDiff, maxAbsRef } = compare(actual as Float32Array, reference(fixture.dir, key).data);
        expect(maxAbsDiff, `${key} max abs error`).toBeLessThanOrEqual(bound * Math.max(1, maxAbsRef));
      }
    }
  });

  it("fp32: attention probabilities match PyTorch where the reference has them", async () => {
    const tapped = prepareTappedModel(join(fixture.dir, fixture.variants.fp32 as string), {
      cacheDir: cacheDir.path,
    });
    const names = tapped.taps.blocks.map((b) => b.attention);
    expect(names.every((n) => n !== undefined)).toBe(true);
    // The edited graph does not output them (nothing reads them): a copy of the original that does.
    const copy = join(cacheDir.path, `${fixture.id}-attention.onnx`);
    writeFileSync(copy, addGraphOutputs(readFileSync(tapped.sourcePath), names as string[]));
    const session = await createRuntimeSession(copy, {
      ...sessionOptions(tapped, { threads: 1 }),
      externalDataDir: dirname(tapped.sourcePath),
    });
    try {
      const out = await session.run(
        { [tapped.inputName]: { type: "float32", data: pixels.data, dims: pixels.dims } },
        names as string[],
      );
      names.forEach((name, i) => {
        let expected: Float32Array;
        try {
          expected = reference(fixture.dir, `attn_L${i + 1}`).data;
        } catch {
          return; // This fixture's references have no attention maps.
        }
        const { maxAbsDiff } = compare(out[name as string]?.data as Float32Array, expected);
        expect(maxAbsDiff).toBeLessThanOrEqual(1e-4);
      });
    } finally {
      await session.dispose();
    }
  });
});
