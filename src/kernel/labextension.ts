import { cpSync, existsSync, renameSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { type InstallScope, jupyterDataDir } from "./kernelspec";

/** The prebuilt JupyterLab extension of the explorer widget, as `widgets/build.sh` writes it. */
export const LABEXTENSION_SOURCE = resolve(__dirname, "..", "..", "widgets", "labextension");

/** The labextension's name, as `widgets/package.json` names it. */
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
  // Copied beside the target, then swapped in by renames: a JupyterLab serving the extension (or a
  // second install running at the same time) never sees a half-copied folder, and no stale chunks
  // of an older build remain.
  const fresh = `${target}.installing-${process.pid}-${Date.now()}`;
  cpSync(source, fresh, { recursive: true });
  const olds: string[] = [];
  for (let attempt = 0; ; attempt++) {
    const old = `${target}.old-${process.pid}-${attempt}`;
    try {
      if (existsSync(target)) {
        renameSync(target, old);
        olds.push(old);
      }
      renameSync(fresh, target);
      for (const folder of olds) rmSync(folder, { recursive: true, force: true });
      return target;
    } catch (error) {
      // Another install put its copy in place between our two renames: swap again.
      const code = (error as NodeJS.ErrnoException).code;
      if (attempt >= 5 || (code !== "ENOTEMPTY" && code !== "EEXIST" && code !== "ENOENT")) {
        rmSync(fresh, { recursive: true, force: true });
        throw error;
      }
    }
  }
}

/** Removes `<data dir>/labextensions/seglens`; returns it. */
export function uninstallLabextension(options: Omit<LabextensionOptions, "source">): string {
  const target = join(jupyterDataDir(options.scope, options.env), "labextensions", LABEXTENSION_NAME);
  rmSync(target, { recursive: true, force: true });
  return target;
}
