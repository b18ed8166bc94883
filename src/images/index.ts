export { decodeImage, MAX_IMAGE_PIXELS } from "./decode-image";
export {
  ALPHA_MODES,
  type AlphaMode,
  DEFAULT_DECODE_OPTIONS,
  type DecodeOptions,
  ORIENTATIONS,
  type Orientation,
} from "./decode-options";
export {
  type PreprocessedBatch,
  type PreprocessedImage,
  preprocessBatch,
  preprocessImage,
} from "./preprocess";
export {
  type CropSize,
  createPreprocessConfig,
  DEFAULT_PREPROCESS_CONFIG,
  IMAGENET_NORMALIZATION,
  type Normalization,
  type PreprocessConfig,
  type PreprocessConfigOptions,
  type ResizeSpec,
  type Rgb,
  resizedSize,
  withInputSize,
} from "./preprocess-config";
export { type PreprocessOverrides, preprocessConfigFromHub } from "./preprocess-config-from-hub";
export { type ResampleOptions, resample } from "./resample";
export { PIL_RESAMPLE_FILTERS, type ResampleFilter, resampleFilterFromPil } from "./resample-filter";
export { createRgbImage, type RgbImage } from "./rgb-image";
