import { existsSync, readdirSync, statSync } from "node:fs";
import { extname, join, resolve } from "node:path";
import { InputError } from "../errors";

/** File endings a directory contributes to `--images` (README.md, `seglens features`). */
export const IMAGE_EXTENSIONS = Object.freeze([".png", ".jpg", ".jpeg", ".webp", ".tif", ".tiff"]);

/**
 * Expands image arguments into absolute file paths: files as given, directories as their image
 * files sorted by name (not recursive). Order is kept: it becomes axis 0 of every array.
 */
export function listImages(args: readonly string[]): string[] {
  const files: string[] = [];
  for (const arg of args) {
    const path = resolve(arg);
    if (!existsSync(path)) throw new InputError(`image "${arg}" does not exist`);
    if (!statSync(path).isDirectory()) {
      files.push(path);
      continue;
    }
    const found = readdirSync(path)
      .filter((name) => IMAGE_EXTENSIONS.includes(extname(name).toLowerCase()))
      .sort()
      .map((name) => join(path, name));
    if (found.length === 0) {
      throw new InputError(`directory "${arg}" has no images (${IMAGE_EXTENSIONS.join(" ")})`);
    }
    files.push(...found);
  }
  if (files.length === 0) throw new InputError("no images given");
  return files;
}
