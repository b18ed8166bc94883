import { UnsupportedModelError } from "../errors";
import type { GraphAdditions } from "./add-outputs";
import type { VitTaps } from "./discover-taps";
import { int64TensorProto, nodeProto } from "./onnx-builder";
import { OnnxDataType } from "./onnx-graph";

/**
 * How a block's attention probabilities `[batch, heads, tokens, tokens]` are reduced to one row
 * per head over the patch keys, `[batch, heads, patches]`:
 * - `"cls"`: the CLS token's row (query 0), for models whose first prefix token is a CLS token;
 * - `"patch-mean"`: the mean of the patch queries' rows, for models without prefix tokens.
 * Either way the prefix keys' columns (CLS, registers) are dropped, not renormalized.
 */
export type AttentionReduction = "cls" | "patch-mean";

/** The reduction that fits a model with `prefixTokens` prefix tokens (CLS first, then registers). */
export function reductionFor(prefixTokens: number): AttentionReduction {
  return prefixTokens > 0 ? "cls" : "patch-mean";
}

/** The graph output holding block `layer`'s reduced attention (1-based). */
export function attentionRowsName(layer: number): string {
  return `seglens/attention_rows_L${layer}`;
}

// Slice's end "to the last element": onnxruntime clamps it to the axis length.
const TO_END = Number.MAX_SAFE_INTEGER;

/**
 * The nodes that reduce every block's attention Softmax inside the graph, so the full
 * `[batch, heads, tokens, tokens]` tensor never leaves onnxruntime (at ViT-L/16 on 448 px it is
 * 39 MB per image and block). The rows are cast to float32, so fp16 variants give float32 too;
 * a Cast to the type a tensor already has is removed by onnxruntime's graph optimizer.
 * `label` names the model in errors.
 */
export function attentionRowAdditions(
  taps: VitTaps,
  options: { prefixTokens: number; opset: number; label: string },
): GraphAdditions {
  const { prefixTokens, opset, label } = options;
  if (!Number.isInteger(prefixTokens) || prefixTokens < 0)
    throw new RangeError(`prefixTokens must be a whole number ≥ 0, got ${prefixTokens}`);
  const missing = taps.blocks.flatMap((block, i) => (block.attention === undefined ? [i + 1] : []));
  if (missing.length > 0) {
    throw new UnsupportedModelError(
      `"${label}": found no attention Softmax in block${missing.length > 1 ? "s" : ""} ${missing.join(", ")} of ${taps.blocks.length} (the graph computes attention in a fused operator, or without an explicit Softmax after q·kᵀ), so its attention maps cannot be read; tokens, q, k, v still can`,
    );
  }
  const reduction = reductionFor(prefixTokens);
  // Shared int64 constants, added on first use.
  const constants = new Map<string, Uint8Array>();
  const c = (name: string, values: number[], dims?: number[]) => {
    const full = `seglens/attention_rows/${name}`;
    if (!constants.has(full)) constants.set(full, int64TensorProto(full, values, dims));
    return full;
  };
  const nodes: Uint8Array[] = [];
  const outputs: string[] = [];
  taps.blocks.forEach((block, i) => {
    const layer = i + 1;
    const t = (step: string) => `seglens/attention_rows_L${layer}/${step}`;
    const node = (op: string, inputs: string[], output: string, attributes = {}) =>
      nodes.push(nodeProto(output, op, inputs, [output], attributes));
    const probs = block.attention as string;
    const out = attentionRowsName(layer);
    if (reduction === "cls") {
      // Query 0's row, then the patch keys: a few floats per head are copied, never the whole map.
      node("Gather", [probs, c("first", [0], [])], t("row"), { axis: 2 });
      node(
        "Slice",
        [t("row"), c("start", [prefixTokens]), c("end", [TO_END]), c("axis2", [2])],
        t("patches"),
      );
      node("Cast", [t("patches")], out, { to: OnnxDataType.FLOAT });
    } else {
      // Widened before the mean, so fp16 variants average in float32.
      const patches = prefixTokens === 0 ? probs : t("patches");
      if (prefixTokens > 0)
        node(
          "Slice",
          [
            probs,
            c("starts2", [prefixTokens, prefixTokens]),
            c("ends2", [TO_END, TO_END]),
            c("axes23", [2, 3]),
          ],
          patches,
        );
      node("Cast", [patches], t("float"), { to: OnnxDataType.FLOAT });
      // ReduceMean takes its axes as an attribute before opset 18 and as an input from 18 on.
      if (opset >= 18) node("ReduceMean", [t("float"), c("axis2", [2])], out, { keepdims: 0 });
      else node("ReduceMean", [t("float")], out, { axes: [2], keepdims: 0 });
    }
    outputs.push(out);
  });
  return { nodes, initializers: [...constants.values()], outputs };
}
