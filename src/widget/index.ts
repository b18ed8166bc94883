export { type BufferPath, putBuffers, removeBuffers } from "./buffer-paths";
export {
  liveWidgets,
  WIDGET_PROTOCOL_VERSION,
  Widget,
  type WidgetChange,
  type WidgetEvents,
  type WidgetSpec,
} from "./widget";
