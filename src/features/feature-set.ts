import type { TappedModel } from "../onnx/tapped-model";
import {
  type ExtractOptions,
  type ExtractReport,
  extractFeatures,
  type FeatureLayout,
} from "./extract-features";

/** Every requested feature array of one extraction, in memory: float32 `[images, tokens, hidden]` each. */
export interface FeatureSet {
  layout: FeatureLayout;
  /** By key (`q_L3`). */
  arrays: Map<string, Float32Array>;
  report: ExtractReport;
}

/** Runs {@link extractFeatures} and gathers the batches into whole arrays. */
export async function collectFeatures(model: TappedModel, options: ExtractOptions): Promise<FeatureSet> {
  const arrays = new Map<string, Float32Array>();
  const report = await extractFeatures(model, options, (batch, layout) => {
    const imageSize = layout.tokens * layout.hiddenSize;
    let array = arrays.get(batch.key);
    if (array === undefined) {
      array = new Float32Array(layout.numImages * imageSize);
      arrays.set(batch.key, array);
    }
    array.set(batch.data, batch.firstImage * imageSize);
  });
  return { layout: report.layout, arrays, report };
}
