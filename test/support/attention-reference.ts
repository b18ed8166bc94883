import { dirname } from "node:path";
import { expect } from "vitest";
import { sessionOptions } from "../../src/features/extract-features";
import { prepareAttentionModel } from "../../src/onnx/attention-model";
import { prepareTappedModel } from "../../src/onnx/tapped-model";
import { createRuntimeSession } from "../../src/runtime/onnx-runtime";
import { compare, reference } from "./fixtures";

/**
 * What the attention lens should read from PyTorch's softmax `attn` `[b, h, t, t]`: with prefix
 * tokens, the CLS query's row over the patch keys; without, the mean of the patch queries' rows
 * over the patch keys. `[b, h, t − prefix]`.
 */
export function expectedRows(attn: { data: Float32Array; dims: number[] }, prefix: number): Float32Array {
  const [b, h, t] = attn.dims as [number, number, number, number];
  const patches = t - prefix;
  const out = new Float32Array(b * h * patches);
  for (let bh = 0; bh < b * h; bh++) {
    const map = attn.data.subarray(bh * t * t, (bh + 1) * t * t);
    for (let key = 0; key < patches; key++) {
      if (prefix > 0) out[bh * patches + key] = map[prefix + key] as number;
      else {
        let sum = 0;
        for (let query = 0; query < t; query++) sum += map[query * t + key] as number;
        out[bh * patches + key] = sum / t;
      }
    }
  }
  return out;
}

/**
 * Runs `onnxPath`'s attention variant on the reference `pixel_values` of `referenceDir` and checks
 * every block's rows against PyTorch's `attn_L<l>` within `tolerance` (absolute: probabilities).
 */
export async function checkAttentionRows(
  onnxPath: string,
  referenceDir: string,
  options: { prefixTokens: number; numLayers: number; tolerance: number; cacheDir: string },
): Promise<void> {
  const tapped = prepareTappedModel(onnxPath, { cacheDir: options.cacheDir });
  const model = prepareAttentionModel(tapped, {
    prefixTokens: options.prefixTokens,
    cacheDir: options.cacheDir,
  });
  expect(model.rows).toHaveLength(options.numLayers);
  const pixels = reference(referenceDir, "pixel_values");
  const session = await createRuntimeSession(model.path, {
    ...sessionOptions(tapped, { threads: 1 }),
    ...(model.externalDataDir === undefined ? {} : { externalDataDir: dirname(tapped.sourcePath) }),
  });
  try {
    const out = await session.run(
      { [model.inputName]: { type: "float32", data: pixels.data, dims: pixels.dims } },
      model.rows,
    );
    model.rows.forEach((name, i) => {
      const attn = reference(referenceDir, `attn_L${i + 1}`);
      const [b, h, t] = attn.dims as [number, number, number];
      const actual = out[name];
      expect(actual?.type, name).toBe("float32");
      expect(actual?.dims, name).toEqual([b, h, t - options.prefixTokens]);
      const { maxAbsDiff } = compare(actual?.data as Float32Array, expectedRows(attn, options.prefixTokens));
      expect(maxAbsDiff, `attn_L${i + 1} max abs error`).toBeLessThanOrEqual(options.tolerance);
    });
  } finally {
    await session.dispose();
  }
}
