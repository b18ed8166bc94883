export { EXPLORER_IDENTITY, ExplorerModel } from "./explorer-model";
export { ExplorerView } from "./explorer-view";
export { MODULE_NAME, MODULE_RANGE, MODULE_VERSION } from "./version";
