export { CancelledError, InputError, NetworkError, UnsupportedModelError } from "./errors";
export * from "./explorer/index";
export {
  type AttentionRows,
  type AttentionRowsOptions,
  extractAttentionRows,
} from "./features/attention-rows";
export {
  type ExtractOptions,
  type ExtractProgress,
  extractFeatures,
  type FeatureBatch,
  type FeatureLayout,
  imagePixels,
  type PixelSource,
  tensorPixels,
} from "./features/extract-features";
export { createFeatureCache, type FeatureCache } from "./features/feature-cache";
export { type FeatureRequest, type PreparedRequest, prepareRequest } from "./features/feature-request";
export { collectFeatures, type FeatureSet } from "./features/feature-set";
export { type FeaturesOptions, features } from "./features/features";
export { type NpyArray, readNpy, writeNpy } from "./features/npy";
export {
  type PatchFile,
  type PatchMatrix,
  type PatchSource,
  readPatches,
  type StoredDtype,
} from "./features/patch-store";
export { blocksAtDepths, matchingBlock } from "./features/relative-depth";
export { type Shard, type ShardInfo, shardRange } from "./features/shard";
export { createHubClient, type HubClient } from "./hub/hub-client";
export type { DownloadProgress } from "./hub/hub-download";
export { fetchHubModel, type HubModel } from "./hub/hub-model";
export { type HubSettings, hubSettingsFromEnv } from "./hub/hub-settings";
export * from "./images/index";
export { listImages } from "./images/list-images";
export { SAMPLE_IMAGES } from "./images/sample-images";
export * from "./kernel/index";
export { type KMeansResult, type KMeansRunOptions, kmeans, releaseKMeansSessions } from "./kmeans/kmeans";
export {
  createKMeansWorker,
  type KMeansFitOptions,
  type KMeansWorker,
  type KMeansWorkerOptions,
} from "./kmeans/kmeans-client";
export { KMEANS_DEFAULTS, type KMeansOptions } from "./kmeans/kmeans-options";
export { heatColour } from "./lenses/attention-colours";
export {
  attentionMap,
  displayLevels,
  type Head,
  type HeadChoice,
  parseHeads,
  type RowDims,
  shownHeads,
} from "./lenses/attention-maps";
export { type PatchRows, type PcaLayer, type PcaOptions, pcaLayer, pcaLayers } from "./lenses/pca";
export { type PcaMaps, type PcaMapsOptions, pcaMaps } from "./lenses/pca-request";
export { releasePcaSession } from "./lenses/pca-scatter-graph";
export { type Catalog, type CatalogEntry, loadCatalog } from "./models/catalog";
export { BUNDLED_MODEL, DEFAULT_MODEL, defaultModel, type ModelChoice } from "./models/default-model";
export { listModels, type ModelListing } from "./models/list-models";
export { estimateRunBytes, type MemoryPlan, planMemory } from "./models/memory-estimate";
export { type ResolvedModel, type ResolveOptions, resolveModel, variantFile } from "./models/resolve-model";
export { type AttentionModel, prepareAttentionModel } from "./onnx/attention-model";
export type { AttentionReduction } from "./onnx/attention-rows";
export { type BlockTaps, discoverTaps, type TapRef, type VitTaps } from "./onnx/discover-taps";
export { prepareTappedModel, type TappedModel } from "./onnx/tapped-model";
export {
  type FigurePanel,
  type FigureRow,
  type FigureSpec,
  figurePng,
  figureSvg,
  type LabelPanel,
} from "./render/figure";
export { type HeatOptions, paintHeat, paintLabels, paintPatchColours } from "./render/label-map";
export { clusterColour, PALETTE } from "./render/palette";
export { type PcaFigureLayout, pcaFigure } from "./render/pca-figure";
export { type FigureLayout, segmentationFigure } from "./render/segmentation-figure";
export { createRuntimeSession, type RawTensor, type RuntimeSession } from "./runtime/onnx-runtime";
export { type Clusterer, createClusterFn } from "./segmentation/cluster";
export {
  type LabelMaps,
  type MapScores,
  type MetricOptions,
  mapScores as metrics,
} from "./segmentation/metrics";
export { loadMasks, type Masks, type MiouScores, miou } from "./segmentation/miou";
export { writeProbeImages } from "./segmentation/positional-probe";
export {
  type ClusterFn,
  type LayerScores,
  type Segmentation,
  type SegmentOptions,
  type SegmentStoredOptions,
  type StoredSegmentation,
  segment,
  segmentStored,
} from "./segmentation/segment";
export {
  DEFAULT_K,
  DEFAULT_OPACITY,
  K_RANGE,
  type KMeansNormalize,
  REPS,
  type Rep,
  /** The explorer's older name of {@link Rep}, kept for code that imports it. */
  type Rep as Representation,
} from "./vocabulary";
