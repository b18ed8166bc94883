import { IJupyterWidgetRegistry } from "@jupyter-widgets/base";
import { ExplorerModel, ExplorerView, MODULE_NAME, MODULE_VERSION } from "./index";

/**
 * The JupyterLab plugin: registers the widget module "seglens" (ExplorerModel, ExplorerView) with
 * ipywidgets' registry. Typed structurally, so the extension needs no @jupyterlab/application.
 */
const plugin = {
  id: "seglens:explorer",
  description: "The seglens explorer widget.",
  requires: [IJupyterWidgetRegistry],
  autoStart: true,
  activate(_app: unknown, registry: IJupyterWidgetRegistry): void {
    registry.registerWidget({
      name: MODULE_NAME,
      version: MODULE_VERSION,
      exports: { ExplorerModel, ExplorerView },
    });
  },
};

export default plugin;
