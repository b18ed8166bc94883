import { renameSync, writeFileSync } from "node:fs";

/**
 * Writes `data` to `path` through a temporary file beside it and a rename, so readers (a notebook
 * showing the file, a watcher) never see half a file. The folder must exist.
 */
export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, data);
  renameSync(temporary, path);
}
