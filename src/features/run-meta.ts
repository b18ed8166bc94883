import type { ConversionIdentity } from "../convert/ensure-converted-model";
import { runtimeVersion } from "../runtime/onnx-runtime";
import { sha256Files } from "../util/sha256";
import { seglensVersion } from "../util/version";
import type { Rep } from "../vocabulary";
import type { PreparedRequest } from "./feature-request";

/**
 * The `meta.json` fields every output folder shares: a file format others read (README.md,
 * `seglens features`; ARCHITECTURE.md): fields may be added, never renamed or removed.
 */
export interface RunMeta {
  model: string;
  num_layers: number;
  layers: number[];
  reps: Rep[];
  prefix_tokens: number;
  grid: [number, number];
  patch_size: number;
  hidden_size: number;
  images: string[];
  /**
   * In the meta.json of one shard of a list (`features --shard i/N`): which shard, of how many, and
   * the length of the whole list; `images` are the list's from floor(index·images_total/count) on.
   */
  shard?: { index: number; count: number; images_total: number };
  input_size: [number, number];
  provenance: {
    seglens: string;
    onnxruntime: string;
    node: string;
    model_file: string;
    model_sha256: string;
    hub_repo: string | null;
    hub_commit: string | null;
    /** For a model seglens converted from a checkpoint: the converter's version and the source. */
    conversion?: ConversionIdentity;
    preprocessing: unknown;
    image_sha256: string[];
  };
}

/** Shapes of the run that only the model's output tells. */
export interface RunShape {
  grid: [number, number];
  prefixTokens: number;
  hiddenSize: number;
}

/** meta.json's shared fields for `request`. */
export async function runMeta(request: PreparedRequest, shape: RunShape): Promise<RunMeta> {
  const { tapped } = request;
  return {
    model: request.model.id,
    num_layers: tapped.taps.blocks.length,
    layers: request.layers,
    reps: request.reps,
    prefix_tokens: shape.prefixTokens,
    grid: shape.grid,
    patch_size: tapped.taps.patchSize ?? 0,
    hidden_size: shape.hiddenSize,
    images: request.images,
    ...(request.shard === undefined
      ? {}
      : {
          shard: {
            index: request.shard.index,
            count: request.shard.count,
            images_total: request.shard.imagesTotal,
          },
        }),
    input_size: [...request.preprocess.outputSize],
    provenance: {
      seglens: seglensVersion(),
      onnxruntime: runtimeVersion(),
      node: process.version,
      model_file: tapped.sourcePath,
      model_sha256: tapped.sha256,
      hub_repo: request.model.hub?.repo ?? null,
      hub_commit: request.model.hub?.commit ?? null,
      ...(request.model.conversion === undefined ? {} : { conversion: request.model.conversion }),
      preprocessing: request.preprocess,
      image_sha256: await sha256Files(request.images),
    },
  };
}

/** How seglens writes its JSON files: two-space indented, with a final newline. */
export function jsonText(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}
