import { existsSync, mkdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { InputError } from "../errors";
import { seglensCacheDir } from "../util/cache-dir";
import { sha256 } from "../util/sha256";
import { writeFileAtomic } from "../util/write-file-atomic";
import { addGraphOutputs } from "./add-outputs";
import { discoverTaps, tapTensors, type VitTaps } from "./discover-taps";
import { type OnnxGraph, parseOnnxModel } from "./onnx-graph";

/** A model file prepared for seglens: its taps found and exposed as graph outputs. */
export interface TappedModel {
  /** The original model file. */
  sourcePath: string;
  /** sha256 of the original model file. */
  sha256: string;
  /** The edited model (all taps are outputs), in seglens' cache. */
  path: string;
  taps: VitTaps;
  /** The model's own input name (pixel_values for Hub exports). */
  inputName: string;
  /** The folder of the original's external weight files, when it has any (see `RuntimeSessionOptions`). */
  externalDataDir?: string;
}

/** Options of {@link prepareTappedModel}. */
export interface PrepareOptions {
  /** Where edited graphs go; default `<seglens cache>/graphs`. */
  cacheDir?: string;
}

/**
 * Reads `onnxPath`, discovers its taps and writes (once per model file) a copy whose graph outputs
 * them. The copy lives in seglens' own folder, never in the Hub cache, which Python tools share and
 * which may be read-only. External weight files stay where they are; sessions are told their folder.
 * What was found is remembered by path, size and modification time, so a model seen before is not
 * read again (reading and hashing ViT-B takes ~0.6 s).
 */
export function prepareTappedModel(onnxPath: string, options: PrepareOptions = {}): TappedModel {
  const sourcePath = resolve(onnxPath);
  const graphsDir = options.cacheDir ?? join(seglensCacheDir(), "graphs");
  const memo = memoFile(graphsDir, sourcePath);
  const remembered = memo === undefined ? undefined : recall(memo);
  if (remembered !== undefined) return remembered;
  const tapped = tapModel(onnxPath, sourcePath, graphsDir);
  if (memo !== undefined) {
    mkdirSync(dirname(memo), { recursive: true });
    const remember: Memo = { outputs: TAPPED_OUTPUTS, model: tapped };
    writeFileAtomic(memo, JSON.stringify(remember));
  }
  return tapped;
}

/**
 * Which tensors edited graphs output (see `tapTensors`). A memo of another kind points at a graph
 * with other outputs, such as the attention probabilities earlier versions added, and is not used.
 */
const TAPPED_OUTPUTS = "embeddings,tokens,q,k,v";

/** What is remembered of a model file: the kind of edited graph, and the result. */
interface Memo {
  outputs: string;
  model: TappedModel;
}

/** Where what was found about a model file is remembered: keyed by its path, size and mtime. */
function memoFile(graphsDir: string, sourcePath: string): string | undefined {
  if (!existsSync(sourcePath)) return undefined;
  const { size, mtimeMs } = statSync(sourcePath);
  return join(graphsDir, "index", `${sha256(`${sourcePath}\n${size}\n${mtimeMs}`).slice(0, 32)}.json`);
}

function recall(memo: string): TappedModel | undefined {
  if (!existsSync(memo)) return undefined;
  const remembered = JSON.parse(readFileSync(memo, "utf8")) as Partial<Memo>; // written by this module
  const tapped = remembered.outputs === TAPPED_OUTPUTS ? remembered.model : undefined;
  return tapped !== undefined && existsSync(tapped.path) ? tapped : undefined;
}

function tapModel(onnxPath: string, sourcePath: string, graphsDir: string): TappedModel {
  let bytes: Buffer;
  try {
    bytes = readFileSync(sourcePath);
  } catch (cause) {
    throw new InputError(
      `cannot read model file "${onnxPath}": ${(cause as NodeJS.ErrnoException).code ?? cause}`,
      {
        cause,
      },
    );
  }
  const graph = parseOnnxModel(bytes, onnxPath);
  const taps = discoverTaps(graph, onnxPath);
  const input = graph.inputs.find((i) => !graph.initializers.has(i.name));
  if (input === undefined) throw new InputError(`"${onnxPath}" has no graph input to feed images to`);
  const existing = new Set(graph.outputs.map((o) => o.name));
  const added = tapTensors(taps).filter((name) => !existing.has(name));
  const hash = sha256(bytes);
  const folder = join(graphsDir, `${hash.slice(0, 24)}-${sha256(added.join("\n")).slice(0, 8)}`);
  const path = join(folder, "model.onnx");
  if (!existsSync(path)) {
    mkdirSync(folder, { recursive: true });
    writeFileAtomic(path, addGraphOutputs(bytes, added));
  }
  const tapped: TappedModel = { sourcePath, sha256: hash, path, taps, inputName: input.name };
  const externalDataDir = checkExternalData(graph, dirname(sourcePath));
  if (externalDataDir !== undefined) tapped.externalDataDir = externalDataDir;
  return tapped;
}

/** The folder holding the model's external weight files, after checking they are all there. */
function checkExternalData(graph: OnnxGraph, sourceDir: string): string | undefined {
  const locations = new Set<string>();
  for (const init of graph.initializers.values())
    if (init.location !== undefined) locations.add(init.location);
  for (const location of locations) {
    const file = resolve(sourceDir, location);
    if (!existsSync(file)) {
      throw new InputError(
        `the model's weights file "${file}" is missing; it must sit beside the .onnx file`,
      );
    }
  }
  return locations.size === 0 ? undefined : sourceDir;
}
