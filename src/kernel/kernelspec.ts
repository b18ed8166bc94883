/**
 * `seglens install` / `uninstall` (README.md, Jupyter): the kernelspec `seglens` under
 * `<data dir>/kernels/seglens`, with absolute paths to node and the kernel entry.
 * Data dirs follow Jupyter's rules: `--prefix P` → `P/share/jupyter`, `--sys-prefix` → the
 * Python's `sys.prefix/share/jupyter`, `--user` → `$JUPYTER_DATA_DIR` or the XDG data dir.
 */
import { execFileSync } from "node:child_process";
import { rmSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join, resolve } from "node:path";
import { InputError } from "../errors";
import { makeDirs } from "../util/make-dirs";

/** Where to install: one of Jupyter's three scopes. */
export type InstallScope =
  | { kind: "user" }
  | { kind: "sys-prefix"; python?: string }
  | { kind: "prefix"; prefix: string };

/** The kernel's name, directory name and display name. */
export const KERNEL_NAME = "seglens";
export const KERNEL_DISPLAY_NAME = "TypeScript (seglens)";

/** The Jupyter data dir for a scope. */
export function jupyterDataDir(scope: InstallScope, env: NodeJS.ProcessEnv = process.env): string {
  switch (scope.kind) {
    case "prefix":
      return join(resolve(scope.prefix), "share", "jupyter");
    case "sys-prefix": {
      const python = scope.python ?? env.PYTHON ?? "python3";
      try {
        const prefix = execFileSync(python, ["-c", "import sys; print(sys.prefix)"], {
          encoding: "utf8",
        }).trim();
        return join(prefix, "share", "jupyter");
      } catch (error) {
        throw new InputError(
          `--sys-prefix: could not run "${python}" to find sys.prefix; set PYTHON or use --prefix`,
          {
            cause: error,
          },
        );
      }
    }
    case "user": {
      if (env.JUPYTER_DATA_DIR) return resolve(env.JUPYTER_DATA_DIR);
      if (process.platform === "darwin") return join(homedir(), "Library", "Jupyter");
      return join(env.XDG_DATA_HOME || join(homedir(), ".local", "share"), "jupyter");
    }
    default: {
      const never: never = scope;
      throw new InputError(`invalid install scope: ${JSON.stringify(never)}`);
    }
  }
}

/**
 * glibc's allocator settings for the kernel process, read once at its start (other C libraries
 * ignore them). Features, model outputs and k-means samples are blocks of 1–32 MB allocated again
 * on every batch and fit; by default glibc maps each afresh, and first touches of fresh pages are
 * slow (on the 2-core development VM they doubled the 48 taps' cost over the plain forward pass,
 * and a K change's provisional k-means took a median of 69–94 ms instead of 44–51). Kept in the
 * heap instead, they are reused; the kernel's peak memory grew by ~25 MB.
 * What is fresh all the same (the model's weights as the session opens, an image set's features)
 * comes in transparent huge pages where the system offers them on request (`madvise`, the usual
 * Linux default): 2 MB a fault instead of 4 KB. Touching 236 MB of features (16 ViT-S images, 49
 * taps) took 160,032 faults and 776 ms of CPU, and 2,775 faults and 386 ms with them.
 */
export const KERNEL_ALLOCATOR_ENV = Object.freeze({
  MALLOC_MMAP_THRESHOLD_: "33554432",
  MALLOC_TRIM_THRESHOLD_: "1073741824",
  GLIBC_TUNABLES: "glibc.malloc.hugetlb=1",
});

/** kernel.json for this installation: absolute node path and kernel entry in dist/. */
export function kernelJson(kernelEntry: string, nodePath: string = process.execPath): object {
  return {
    argv: [nodePath, kernelEntry, "{connection_file}"],
    env: { ...KERNEL_ALLOCATOR_ENV },
    display_name: KERNEL_DISPLAY_NAME,
    language: "typescript",
    interrupt_mode: "signal",
    metadata: { debugger: false },
  };
}

/** Options of {@link installKernelspec}. */
export interface InstallOptions {
  scope: InstallScope;
  /** The compiled kernel entry; defaults to this package's `dist/kernel/kernel-main.js`. */
  kernelEntry?: string;
  env?: NodeJS.ProcessEnv;
}

/** Writes `<data dir>/kernels/seglens/kernel.json`; returns the kernelspec directory. */
export function installKernelspec(options: InstallOptions): string {
  const dir = join(jupyterDataDir(options.scope, options.env), "kernels", KERNEL_NAME);
  const entry = options.kernelEntry ?? resolve(__dirname, "..", "..", "dist", "kernel", "kernel-main.js");
  makeDirs(dir);
  writeFileSync(join(dir, "kernel.json"), `${JSON.stringify(kernelJson(entry), null, 2)}\n`);
  return dir;
}

/** Removes the kernelspec directory; returns it. */
export function uninstallKernelspec(options: Omit<InstallOptions, "kernelEntry">): string {
  const dir = join(jupyterDataDir(options.scope, options.env), "kernels", KERNEL_NAME);
  rmSync(dir, { recursive: true, force: true });
  return dir;
}
