import { mkdirSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { runtimeVersion } from "../models/onnx-runtime";
import { sha256File } from "../util/sha256";
import { seglensVersion } from "../util/version";
import { type ExtractProgress, type ExtractReport, extractFeatures, imagePixels } from "./extract-features";
import type { PreparedRequest } from "./feature-request";
import { createNpyFeatureSink } from "./npy-feature-sink";
import type { Rep } from "./selection";

/** `DIR/meta.json` of `seglens features` (design §6 ⚑). */
export interface FeaturesMeta {
  model: string;
  num_layers: number;
  layers: number[];
  reps: Rep[];
  prefix_tokens: number;
  grid: [number, number];
  patch_size: number;
  hidden_size: number;
  images: string[];
  input_size: [number, number];
  provenance: {
    seglens: string;
    onnxruntime: string;
    node: string;
    model_file: string;
    model_sha256: string;
    hub_repo: string | null;
    hub_commit: string | null;
    preprocessing: unknown;
    image_sha256: string[];
  };
}

/** Options of {@link writeFeatures}. */
export interface WriteFeaturesOptions {
  threads?: number;
  ep?: "cpu" | "cuda";
  signal?: AbortSignal;
  onProgress?: (progress: ExtractProgress) => void;
}

/**
 * Extracts the features of `request` into `outDir`: one preallocated `<rep>_L<l>.npy` per
 * (representation, layer), filled batch by batch, then `meta.json`, written last, so a folder with
 * a meta.json is complete.
 */
export async function writeFeatures(
  request: PreparedRequest,
  outDir: string,
  options: WriteFeaturesOptions = {},
): Promise<{ meta: FeaturesMeta; report: ExtractReport }> {
  mkdirSync(outDir, { recursive: true });
  const output = createNpyFeatureSink(outDir);
  let report: ExtractReport;
  try {
    report = await extractFeatures(
      request.tapped,
      {
        inputs: imagePixels(request.images, request.preprocess),
        layers: request.layers,
        reps: request.reps,
        ...(request.prefixTokens === undefined ? {} : { prefixTokens: request.prefixTokens }),
        ...options,
      },
      output.sink,
    );
  } finally {
    output.close();
  }
  const { layout } = report;
  const meta: FeaturesMeta = {
    model: request.model.id,
    num_layers: layout.numLayers,
    layers: layout.layers,
    reps: layout.reps,
    prefix_tokens: layout.prefixTokens,
    grid: layout.grid,
    patch_size: layout.patchSize,
    hidden_size: layout.hiddenSize,
    images: request.images,
    input_size: layout.inputSize,
    provenance: {
      seglens: seglensVersion(),
      onnxruntime: runtimeVersion(),
      node: process.version,
      model_file: request.tapped.sourcePath,
      model_sha256: request.tapped.sha256,
      hub_repo: request.model.hub?.repo ?? null,
      hub_commit: request.model.hub?.commit ?? null,
      preprocessing: request.preprocess,
      image_sha256: await Promise.all(request.images.map(sha256File)),
    },
  };
  const temporary = join(outDir, `meta.json.${process.pid}.tmp`);
  writeFileSync(temporary, `${JSON.stringify(meta, null, 2)}\n`);
  renameSync(temporary, join(outDir, "meta.json"));
  return { meta, report };
}
