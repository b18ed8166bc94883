import { InputError } from "../errors";
import { makeDirs } from "./make-dirs";

/** Makes the output folder `dir` (and its parents); a file in the way or no permission is an InputError naming it. */
export function makeOutputDir(dir: string): void {
  try {
    makeDirs(dir);
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    const reason = code === "EEXIST" || code === "ENOTDIR" ? "a file is in the way" : (code ?? String(cause));
    throw new InputError(`cannot use --out "${dir}" as an output folder: ${reason}`, { cause });
  }
}
