import { copyFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { removeAbandonedTemps, tempPathFor } from "./temp-files";

/**
 * Writes `data` to `path` through a temporary file beside it and a rename, so readers (a notebook
 * showing the file, a watcher, a later run) never see half a file. The folder must exist. The
 * first write into a folder in a process also removes the temporary files that killed writers
 * left there.
 */
export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  intoPlace(path, (temporary) => writeFileSync(temporary, data));
}

/** Copies `source` to `path` through a temporary file and a rename, like {@link writeFileAtomic}. */
export function copyFileAtomic(source: string, path: string): void {
  intoPlace(path, (temporary) => copyFileSync(source, temporary));
}

/** Runs `write` on a temporary path beside `path`, then renames it into place; removes it on failure. */
export function intoPlace(path: string, write: (temporary: string) => void): void {
  cleanOnce(dirname(path));
  const temporary = tempPathFor(path);
  try {
    write(temporary);
    renameSync(temporary, path);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw error;
  }
}

const cleaned = new Set<string>();

function cleanOnce(dir: string): void {
  if (cleaned.has(dir)) return;
  cleaned.add(dir);
  removeAbandonedTemps(dir);
}
