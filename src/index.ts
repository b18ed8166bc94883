export { CancelledError, InputError, NetworkError, UnsupportedModelError } from "./errors";
export * from "./images/index";
export { listImages } from "./images/list-images";
export { SAMPLE_IMAGES } from "./images/sample-images";
export * from "./kernel/index";
export { type Catalog, type CatalogEntry, loadCatalog } from "./models/catalog";
export { BUNDLED_MODEL, DEFAULT_MODEL, defaultModel, type ModelChoice } from "./models/default-model";
export { createHubClient, type HubClient } from "./models/hub-client";
export type { DownloadProgress } from "./models/hub-download";
export { fetchHubModel, type HubModel } from "./models/hub-model";
export { type HubSettings, hubSettingsFromEnv } from "./models/hub-settings";
export { listModels, type ModelListing } from "./models/list-models";
export { estimateRunBytes } from "./models/memory-estimate";
export { createRuntimeSession, type RawTensor, type RuntimeSession } from "./models/onnx-runtime";
export { type ResolvedModel, type ResolveOptions, resolveModel, variantFile } from "./models/resolve-model";
export { type BlockTaps, discoverTaps, type TapRef, type VitTaps } from "./onnx/discover-taps";
export { prepareTappedModel, type TappedModel } from "./onnx/tapped-model";
export { type Clusterer, createClusterFn } from "./protocol/cluster";
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
export {
  createFeatureCache,
  type FeatureCache,
  type PatchMatrix,
  patchMatrix,
} from "./protocol/feature-cache";
export { type FeatureRequest, prepareRequest } from "./protocol/feature-request";
export { collectFeatures, type FeatureSet } from "./protocol/feature-set";
export { type FeaturesOptions, features } from "./protocol/features";
export { type KMeansResult, type KMeansRunOptions, kmeans, releaseKMeansSessions } from "./protocol/kmeans";
export {
  createKMeansWorker,
  type KMeansFitOptions,
  type KMeansWorker,
  type KMeansWorkerOptions,
} from "./protocol/kmeans-client";
export { KMEANS_DEFAULTS, type KMeansNormalize, type KMeansOptions } from "./protocol/kmeans-options";
export { type LabelMaps, type MapScores, type MetricOptions, mapScores as metrics } from "./protocol/metrics";
export { loadMasks, type Masks, type MiouScores, miou } from "./protocol/miou";
export { type NpyArray, readNpy, writeNpy } from "./protocol/npy";
export { writeProbeImages } from "./protocol/positional-probe";
export { blocksAtDepths, matchingBlock } from "./protocol/relative-depth";
export {
  type ClusterFn,
  type LayerScores,
  type Segmentation,
  type SegmentOptions,
  segment,
} from "./protocol/segment";
export { REPS, type Rep } from "./protocol/selection";
export {
  type FigurePanel,
  type FigureRow,
  type FigureSpec,
  figurePng,
  figureSvg,
  type LabelPanel,
} from "./render/figure";
export { paintLabels } from "./render/label-map";
export { clusterColour, PALETTE } from "./render/palette";
export { type FigureLayout, segmentationFigure } from "./render/segmentation-figure";
export * from "./widget/index";
