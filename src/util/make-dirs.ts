import { mkdirSync, statSync } from "node:fs";
import { dirname, resolve } from "node:path";

/**
 * `mkdir -p`: makes `dir` and its missing parents, one level at a time. Node's own
 * `mkdir(dir, { recursive: true })` never returns where a parent exists but refuses a child with
 * ENOENT, as procfs does: on Node 20.20, `/proc/x/y` spins at 100 % CPU, sync and async alike
 * (the walk steps back on ENOENT and forward on EEXIST; Bun's copy of it, oven-sh/bun#40600).
 * Here such a path fails with that ENOENT; a file in the way fails with ENOTDIR or EEXIST.
 */
export function makeDirs(dir: string): void {
  const missing: string[] = [];
  for (let current = resolve(dir); ; current = dirname(current)) {
    try {
      if (statSync(current).isDirectory()) break;
      throw Object.assign(new Error(`ENOTDIR: not a directory, mkdir '${current}'`), {
        code: "ENOTDIR",
        path: current,
      });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
      missing.push(current);
      if (dirname(current) === current) break;
    }
  }
  for (const path of missing.reverse()) {
    try {
      mkdirSync(path);
    } catch (error) {
      // Another process made it meanwhile: fine, as with `recursive`.
      if ((error as NodeJS.ErrnoException).code !== "EEXIST" || !statSync(path).isDirectory()) throw error;
    }
  }
}
