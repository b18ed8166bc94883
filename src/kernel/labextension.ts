import { cpSync, existsSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { type InstallScope, jupyterDataDir } from "./kernelspec";

/** The prebuilt JupyterLab extension of the explorer widget, as `widgets/build.sh` writes it. */
export const LABEXTENSION_SOURCE = resolve(__dirname, "..", "..", "widgets", "labextension");

/** The labextension's name (design §4). */
export const LABEXTENSION_NAME = "seglens";

/** Options of {@link installLabextension}. */
export interface LabextensionOptions {
  scope: InstallScope;
  env?: NodeJS.ProcessEnv;
  /** The built extension; default {@link LABEXTENSION_SOURCE}. */
  source?: string;
}

/**
 * Copies the prebuilt extension to `<data dir>/labextensions/seglens`, where JupyterLab finds
 * prebuilt extensions; returns that folder, or undefined when the extension was never built.
 */
export function installLabextension(options: LabextensionOptions): string | undefined {
  const source = options.source ?? LABEXTENSION_SOURCE;
  if (!existsSync(join(source, "package.json"))) return undefined;
  const target = join(jupyterDataDir(options.scope, options.env), "labextensions", LABEXTENSION_NAME);
  rmSync(target, { recursive: true, force: true }); // no stale chunks of an older build
  cpSync(source, target, { recursive: true });
  return target;
}

/** Removes `<data dir>/labextensions/seglens`; returns it. */
export function uninstallLabextension(options: Omit<LabextensionOptions, "source">): string {
  const target = join(jupyterDataDir(options.scope, options.env), "labextensions", LABEXTENSION_NAME);
  rmSync(target, { recursive: true, force: true });
  return target;
}
