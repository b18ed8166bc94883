/** The widget module's name, as in `_model_module` / `_view_module`. */
export const MODULE_NAME = "seglens";

/** The package version, injected at build from the root package.json. */
export const MODULE_VERSION: string = __SEGLENS_VERSION__;

/** The semver range the models carry in `_model_module_version` / `_view_module_version`. */
export const MODULE_RANGE = `^${MODULE_VERSION}`;
