import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { InputError } from "../errors";

/** ONNX file variants as named in transformers.js-style repos (`onnx/model_<suffix>.onnx`). */
export const VARIANT_FILES: Readonly<Record<string, string>> = Object.freeze({
  fp32: "model.onnx",
  fp16: "model_fp16.onnx",
  q8: "model_quantized.onnx",
  int8: "model_int8.onnx",
  uint8: "model_uint8.onnx",
  q4: "model_q4.onnx",
  q4f16: "model_q4f16.onnx",
  bnb4: "model_bnb4.onnx",
});

/** Which file of a model folder to use. */
export interface FileChoice {
  /** A path inside the folder, e.g. `onnx/vision_model.onnx`. */
  file?: string;
  /** A variant name from {@link VARIANT_FILES}. */
  variant?: string;
}

/** A model on disk: the ONNX file to run and the configs found beside it. */
export interface LocalModel {
  /** The model argument as given. */
  id: string;
  onnxPath: string;
  /** The Hub-layout folder holding the configs, when there is one. */
  folder?: string;
  /** Parsed `config.json` (unvalidated JSON), when present. */
  config?: unknown;
  /** Parsed `preprocessor_config.json` (unvalidated JSON), when present. */
  preprocessor?: unknown;
}

/**
 * Resolves a local model argument: a Hub-layout folder (`config.json`, `preprocessor_config.json`,
 * `onnx/*.onnx`) or an `.onnx` file, whose configs are looked up in the parent of its `onnx/`
 * folder (README.md, `seglens features`). Returns undefined when `arg` is not an existing path.
 */
export function resolveLocalModel(arg: string, choice: FileChoice = {}): LocalModel | undefined {
  const path = resolve(arg);
  if (!existsSync(path)) return undefined;
  if (statSync(path).isDirectory()) {
    const onnxPath = chooseFile(path, choice, arg);
    checkRegularFile(onnxPath, arg);
    return { id: arg, onnxPath, folder: path, ...readConfigs(path) };
  }
  if (!path.endsWith(".onnx")) {
    throw new InputError(`model "${arg}" is neither a folder nor an .onnx file`);
  }
  if (choice.file !== undefined || choice.variant !== undefined) {
    throw new InputError(
      `--file and --variant choose a file inside a model folder; "${arg}" is already a file`,
    );
  }
  checkRegularFile(path, arg);
  const parent = dirname(path);
  const folder = basename(parent) === "onnx" ? dirname(parent) : parent;
  const configs = readConfigs(folder);
  const hasConfigs = configs.config !== undefined || configs.preprocessor !== undefined;
  return { id: arg, onnxPath: path, ...(hasConfigs ? { folder } : {}), ...configs };
}

function chooseFile(folder: string, choice: FileChoice, arg: string): string {
  if (choice.file !== undefined) {
    const file = join(folder, choice.file);
    if (!existsSync(file)) throw new InputError(`--file "${choice.file}" does not exist in "${arg}"`);
    return file;
  }
  const onnxDir = existsSync(join(folder, "onnx")) ? join(folder, "onnx") : folder;
  if (choice.variant !== undefined) {
    const name = VARIANT_FILES[choice.variant];
    if (name === undefined) {
      throw new InputError(
        `unknown --variant "${choice.variant}"; expected one of ${Object.keys(VARIANT_FILES).join(", ")}`,
      );
    }
    const file = join(onnxDir, name);
    if (!existsSync(file)) throw new InputError(`variant "${choice.variant}" (${name}) is not in "${arg}"`);
    return file;
  }
  if (existsSync(join(onnxDir, "model.onnx"))) return join(onnxDir, "model.onnx");
  const candidates = readdirSync(onnxDir).filter((f) => f.endsWith(".onnx"));
  if (candidates.length === 1) return join(onnxDir, candidates[0] as string);
  throw new InputError(
    candidates.length === 0
      ? `no .onnx file in "${arg}" (looked in ${onnxDir})`
      : `"${arg}" has several .onnx files (${candidates.join(", ")}); choose one with --file or --variant`,
  );
}

function readConfigs(folder: string): { config?: unknown; preprocessor?: unknown } {
  const out: { config?: unknown; preprocessor?: unknown } = {};
  const config = readJson(join(folder, "config.json"));
  const preprocessor = readJson(join(folder, "preprocessor_config.json"));
  if (config !== undefined) out.config = config;
  if (preprocessor !== undefined) out.preprocessor = preprocessor;
  return out;
}

/**
 * Refuses a model path that is not a regular file (a folder named .onnx, a FIFO, a device): reading
 * a FIFO would wait forever.
 */
function checkRegularFile(path: string, arg: string): void {
  if (!statSync(path).isFile()) throw new InputError(`model "${arg}": "${path}" is not a regular file`);
}

function readJson(path: string): unknown {
  if (!existsSync(path)) return undefined;
  if (!statSync(path).isFile()) throw new InputError(`"${path}" is not a regular file`);
  try {
    return JSON.parse(readFileSync(path, "utf8"));
  } catch (cause) {
    throw new InputError(`"${path}" is not valid JSON: ${(cause as Error).message}`, { cause });
  }
}
