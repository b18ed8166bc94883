import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A fresh temporary folder for one test file's cache; `remove()` deletes it. */
export function testCacheDir(): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), "seglens-test-"));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}
