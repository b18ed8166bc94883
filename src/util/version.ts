import { readFileSync } from "node:fs";
import { join } from "node:path";

let version: string | undefined;

/** seglens' version, from package.json (two folders up from both src/util and dist/util). */
export function seglensVersion(): string {
  version ??= (
    JSON.parse(readFileSync(join(__dirname, "..", "..", "package.json"), "utf8")) as { version: string }
  ).version;
  return version;
}
