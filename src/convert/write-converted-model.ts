import { closeSync, openSync, renameSync, rmSync, writeFileSync, writeSync } from "node:fs";
import { dirname, join } from "node:path";
import { UnsupportedModelError } from "../errors";
import type { ExternalWeights } from "../onnx/onnx-builder";
import { makeDirs } from "../util/make-dirs";
import { removeAbandonedTemps, tempPathFor } from "../util/temp-files";
import type { Architecture } from "./architecture";
import { buildVitGraph } from "./build-vit-graph";
import { checkpointWeights, type TensorStore } from "./checkpoint-weights";
import type { VitSpec } from "./vit-spec";

/** The weights file beside a converted graph. */
export const CONVERTED_DATA_FILE = "model.onnx_data";

/** Options of {@link writeConvertedModel}. */
export interface WriteConvertedOptions {
  /** The patch grid to build for; default the grid of the checkpoint's position table. */
  grid?: [rows: number, columns: number];
  /** `config.json` to write beside the graph; default one describing the spec. */
  config?: unknown;
  /** `preprocessor_config.json` to write beside the graph. */
  preprocessor: unknown;
  /** Names the model in messages. */
  label: string;
  /** A JSON file written into the folder with the rest (what it was converted from). */
  marker?: { name: string; content: unknown };
  /** Stops the conversion between blocks; nothing is left behind. */
  signal?: AbortSignal;
  /** Told how many of the model's blocks are converted: 0 once the embeddings are, then after each block. */
  onProgress?: (progress: ConvertProgress) => void;
}

/** How far a conversion is: `done` of `total` transformer blocks written. */
export interface ConvertProgress {
  done: number;
  total: number;
}

/**
 * Converts an opened checkpoint into a model folder in Hub layout — `config.json`,
 * `preprocessor_config.json`, `onnx/model.onnx` with its weights in `onnx/model.onnx_data` — that
 * seglens then loads like any other. Built in a sibling folder and renamed into place when
 * complete, so `folder` is either absent or whole; returns the spec that was built.
 */
export async function writeConvertedModel(
  store: TensorStore,
  architecture: Architecture,
  folder: string,
  options: WriteConvertedOptions,
): Promise<VitSpec> {
  const grid = options.grid ?? architecture.tableGrid;
  if (grid === undefined) {
    throw new UnsupportedModelError(
      `${options.label}: no input grid given and the checkpoint has no position table to take it from`,
    );
  }
  const spec: VitSpec = { ...architecture.spec, grid };
  // Built under seglens' temporary name beside the folder, so a killed conversion's leftovers are
  // recognised (by their dead writer) and removed by the next one.
  removeAbandonedTemps(dirname(folder));
  const partial = tempPathFor(folder);
  makeDirs(join(partial, "onnx"));
  try {
    const data = openSync(join(partial, "onnx", CONVERTED_DATA_FILE), "w");
    let graph: Uint8Array;
    try {
      const weights = checkpointWeights(store, architecture, spec, options.label);
      graph = await buildVitGraph(spec, weights, {
        name: options.label,
        external: appendingTo(data),
        ...(options.signal === undefined ? {} : { signal: options.signal }),
        ...(options.onProgress === undefined
          ? {}
          : { onBlocks: (done: number, total: number) => options.onProgress?.({ done, total }) }),
      });
    } finally {
      closeSync(data);
    }
    writeFileSync(join(partial, "onnx", "model.onnx"), graph);
    writeFileSync(
      join(partial, "config.json"),
      `${JSON.stringify(options.config ?? specConfig(spec), null, 2)}\n`,
    );
    writeFileSync(
      join(partial, "preprocessor_config.json"),
      `${JSON.stringify(options.preprocessor, null, 2)}\n`,
    );
    if (options.marker !== undefined) {
      writeFileSync(
        join(partial, options.marker.name),
        `${JSON.stringify(options.marker.content, null, 2)}\n`,
      );
    }
    rmSync(folder, { recursive: true, force: true });
    renameSync(partial, folder);
  } catch (error) {
    rmSync(partial, { recursive: true, force: true });
    throw error;
  }
  return spec;
}

/** Appends weights to an open file, each at a 64-byte aligned offset. */
function appendingTo(fd: number): ExternalWeights {
  let offset = 0;
  const padding = new Uint8Array(64);
  return {
    location: CONVERTED_DATA_FILE,
    append(bytes) {
      const pad = (64 - (offset % 64)) % 64;
      if (pad > 0) writeSync(fd, padding, 0, pad);
      const start = offset + pad;
      let written = 0;
      while (written < bytes.byteLength) written += writeSync(fd, bytes, written, bytes.byteLength - written);
      offset = start + bytes.byteLength;
      return start;
    },
  };
}

/** A transformers-style `config.json` for a converted checkpoint that came without one. */
function specConfig(spec: VitSpec): Record<string, unknown> {
  return {
    model_type: "vit",
    hidden_size: spec.hiddenSize,
    num_hidden_layers: spec.depth,
    num_attention_heads: spec.heads,
    intermediate_size: spec.mlpSize,
    patch_size: spec.patchSize,
    image_size: spec.grid[0] * spec.patchSize,
    num_register_tokens: spec.registers,
  };
}
