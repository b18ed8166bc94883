export { type BufferPath, putBuffers, removeBuffers } from "../kernel/ipywidgets/buffer-paths";
export { type IntSliderOptions, type IntSliderState, intSlider } from "../kernel/ipywidgets/int-slider";
export {
  liveWidgets,
  type ViewChecks,
  WIDGET_PROTOCOL_VERSION,
  Widget,
  type WidgetChange,
  type WidgetEvents,
  type WidgetOptions,
  type WidgetRejection,
  type WidgetSpec,
} from "../kernel/ipywidgets/widget";
export {
  createExplorerEngine,
  type ExplorerEngine,
  type ExplorerRequest,
  type ExplorerResult,
} from "./explorer-engine";
export { NoFrameError } from "./explorer-export";
export { EXPLORE_DEFAULTS, EXPLORER_LIMITS, type ExploreOptions } from "./explorer-options";
export type { ExplorerWidgetState } from "./explorer-publish";
export type {
  ExplorerFrame,
  ExplorerKernelMessage,
  ExplorerState,
  ExplorerStatus,
  ExplorerViewMessage,
  ExportFormat,
  LayerMetrics,
} from "./explorer-state";
export { ExplorerWidget, explore, explorerSpec } from "./explorer-widget";
