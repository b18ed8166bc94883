import type { Rep } from "../vocabulary";

/** The dims of one feature array: `[images, tokens, hidden]`. */
export type Dims3 = [images: number, tokens: number, hidden: number];

/** Progress of an extraction, in images. */
export interface ExtractProgress {
  stage: "inference";
  done: number;
  total: number;
  /** Of the `done` images, those read from the journal (finished by an earlier run). */
  journaled: number;
}

/** Shapes shared by every feature array of one extraction. */
export interface FeatureLayout {
  numImages: number;
  numLayers: number;
  layers: number[];
  reps: Rep[];
  /** Sequence length: prefix tokens + gh·gw patches. */
  tokens: number;
  prefixTokens: number;
  grid: [height: number, width: number];
  patchSize: number;
  hiddenSize: number;
  inputSize: [height: number, width: number];
}

/** One batch of one feature array: `data` is float32 `[images, tokens, hiddenSize]`, C order. */
export interface FeatureBatch {
  key: string;
  rep: Rep;
  layer: number;
  firstImage: number;
  data: Float32Array;
  dims: Dims3;
}

/** Receives batches as they are computed (e.g. to write them to preallocated .npy files). */
export type FeatureSink = (batch: FeatureBatch, layout: FeatureLayout) => void | Promise<void>;

/** What an extraction did. */
export interface ExtractReport {
  layout: FeatureLayout;
  batchSize: number;
  /** Time spent inside onnxruntime's run(), summed over batches. */
  inferenceMs: number;
  wallMs: number;
  /** Images read from the journal (finished by an earlier run) rather than computed. */
  journaledImages: number;
}
