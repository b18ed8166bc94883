import {
  copyFileSync,
  existsSync,
  linkSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  realpathSync,
  statSync,
} from "node:fs";
import { basename, dirname, join, posix, relative } from "node:path";
import { InputError } from "../errors";
import { parseOnnxModel } from "../onnx/onnx-graph";
import { sha256 } from "../util/sha256";
import { intoPlace } from "../util/write-file-atomic";
import { segments } from "./hub-cache";

/**
 * The external weight files an ONNX file names, as repo paths beside `repoPath` (its own path in
 * the repo): the distinct `location`s of its initializers, e.g. `onnx/model.onnx_data` for
 * `onnx/model.onnx`. Reading the graph is exact where guessing is not: transformers.js splits
 * large weights into `model.onnx_data`, `model.onnx_data_1`, …, other exporters write `model.data`
 * or one file per tensor; a probe for `<file>_data` would miss those and cost a request per file.
 */
export function externalDataFiles(onnxFile: string, repoPath: string): string[] {
  const graph = parseOnnxModel(readFileSync(onnxFile), onnxFile);
  const locations = new Set<string>();
  for (const init of graph.initializers.values()) {
    if (init.location !== undefined) locations.add(init.location);
  }
  const folder = posix.dirname(repoPath);
  return [...locations].sort().map((location) => {
    const path = posix.normalize(folder === "." ? location : `${folder}/${location}`);
    if (path.startsWith("../") || posix.isAbsolute(location)) {
      throw new InputError(
        `"${repoPath}" names a weights file outside its folder ("${location}"); seglens loads only files beside the model`,
      );
    }
    segments(path);
    return path;
  });
}

/**
 * A path to `onnxPath` that onnxruntime accepts with its external data. onnxruntime (1.2x)
 * resolves links and refuses a data file whose real path lies outside the model's folder ("External
 * data path escapes model directory"), which is exactly huggingface_hub's layout: snapshot files
 * are links to `../../blobs/<sha256>`. For such a model this returns the same file in `linksDir`,
 * beside its data files, all as hard links to the blobs (copies where the file systems differ), so
 * nothing is duplicated and the Hub cache stays untouched. Other models are returned as they are.
 */
export function loadableModelPath(onnxPath: string, linksDir: string): string {
  const folder = dirname(onnxPath);
  const entries = readdirSync(folder);
  // Cheap exits before reading the graph: no links, or nothing beside .onnx files to be data.
  if (!entries.some((f) => lstatSync(join(folder, f)).isSymbolicLink())) return onnxPath;
  if (entries.every((f) => f.endsWith(".onnx"))) return onnxPath;
  const realFolder = realpathSync(folder);
  const data = externalDataFiles(onnxPath, basename(onnxPath));
  const escaping = data.some((d) => !isInside(realpathSync(join(folder, d)), realFolder));
  if (!escaping) return onnxPath;
  const target = join(linksDir, sha256(realpathSync(onnxPath)).slice(0, 24));
  for (const file of [basename(onnxPath), ...data]) {
    linkOrCopy(realpathSync(join(folder, file)), join(target, ...file.split("/")));
  }
  return join(target, basename(onnxPath));
}

function linkOrCopy(source: string, destination: string): void {
  if (existsSync(destination) && statSync(destination).ino === statSync(source).ino) return;
  mkdirSync(dirname(destination), { recursive: true });
  // rename(2) replaces a stale file atomically; a concurrent run ends with the same content.
  intoPlace(destination, (temporary) => {
    try {
      linkSync(source, temporary);
    } catch (cause) {
      if ((cause as NodeJS.ErrnoException).code !== "EXDEV") throw cause;
      copyFileSync(source, temporary);
    }
  });
}

function isInside(path: string, folder: string): boolean {
  const rel = relative(folder, path);
  return rel !== "" && !rel.startsWith("..") && !rel.startsWith("/");
}
