export { CancelledError, InputError, NetworkError, UnsupportedModelError } from "./errors";
export * from "./images/index";
export { listImages } from "./images/list-images";
export { createRuntimeSession, type RawTensor, type RuntimeSession } from "./models/onnx-runtime";
export { type BlockTaps, discoverTaps, type TapRef, type VitTaps } from "./onnx/discover-taps";
export { prepareTappedModel, type TappedModel } from "./onnx/tapped-model";
export {
  type ExtractOptions,
  type ExtractProgress,
  extractFeatures,
  type FeatureBatch,
  type FeatureLayout,
  imagePixels,
  type PixelSource,
  tensorPixels,
} from "./protocol/extract-features";
export { type FeatureRequest, prepareRequest } from "./protocol/feature-request";
export { collectFeatures, type FeatureSet } from "./protocol/feature-set";
export { type FeaturesOptions, features } from "./protocol/features";
export { type NpyArray, readNpy, writeNpy } from "./protocol/npy";
export { REPS, type Rep } from "./protocol/selection";
