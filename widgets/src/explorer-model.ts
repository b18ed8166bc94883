import { DOMWidgetModel, type ISerializers } from "@jupyter-widgets/base";
import type { ExplorerIdentity } from "../../src/explorer/explorer-state";
import { decodeFrame, decodeImages, encodeFrame, encodeImages } from "./binary";
import { STATE_DEFAULTS } from "./read-state";
import { MODULE_NAME, MODULE_RANGE } from "./version";

/** The explorer's module identity; the kernel sends the same values. */
export const EXPLORER_IDENTITY: Readonly<ExplorerIdentity> = Object.freeze({
  _model_module: MODULE_NAME,
  _model_module_version: MODULE_RANGE,
  _model_name: "ExplorerModel",
  _view_module: MODULE_NAME,
  _view_module_version: MODULE_RANGE,
  _view_name: "ExplorerView",
});

/**
 * The explorer's front-end model: defaults for every synced field and the binary deserializers of
 * `frame` (label maps) and `images` (RGB).
 */
export class ExplorerModel extends DOMWidgetModel {
  override defaults() {
    return { ...super.defaults(), ...EXPLORER_IDENTITY, ...STATE_DEFAULTS, images: null, frame: null };
  }

  static override serializers: ISerializers = {
    ...DOMWidgetModel.serializers,
    frame: { deserialize: decodeFrame, serialize: encodeFrame },
    images: { deserialize: decodeImages, serialize: encodeImages },
  };
}
