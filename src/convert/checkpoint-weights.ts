import { UnsupportedModelError } from "../errors";
import type { Architecture } from "./architecture";
import { resampleTable } from "./resample-table";
import type { Float32Tensor, VitSpec, WeightSource } from "./vit-spec";

/** What the converter needs of an opened checkpoint (safetensors or a PyTorch pickle). */
export interface TensorStore {
  keys(): readonly string[];
  read(key: string): Promise<Float32Tensor>;
}

/** How a checkpoint's position table is laid out and resampled. */
export interface TableLayout {
  /** The grid the stored table was trained on; default: the spec's grid. */
  grid?: readonly [rows: number, columns: number];
  antialias: boolean;
}

/**
 * Presents `store` under the canonical names of `VitSpec`, via the candidate paths of `names`:
 * finds the prefix the checkpoint nests the model under, flattens token parameters (`[1, 1, d]` →
 * `[d]`), resamples the position table to the spec's grid, and splits fused gate/up projections.
 */
export function checkpointWeights(
  store: TensorStore,
  architecture: Architecture,
  spec: VitSpec,
  label: string,
): WeightSource {
  const { names } = architecture;
  const keys = new Set(store.keys());
  const prefix = architecture.prefix ?? findPrefix(keys, names, label);
  const table: TableLayout = {
    ...(architecture.tableGrid === undefined ? {} : { grid: architecture.tableGrid }),
    antialias: architecture.tableResample === "bicubic-antialias",
  };
  /** The first candidate the file has (a module counts when it has a weight). */
  const find = (
    candidates: readonly string[] | undefined,
    layer: string | undefined,
    suffix = "",
  ): string | undefined => {
    for (const candidate of candidates ?? []) {
      const key = prefix + (layer === undefined ? candidate : candidate.replaceAll("{l}", layer));
      if (keys.has(key + suffix)) return key;
    }
    return undefined;
  };

  const readTensor = async (name: string): Promise<Float32Tensor | undefined> => {
    const direct = find(names.tensors[name], undefined);
    if (direct !== undefined) return store.read(direct);
    const match = /^(?:blocks\.(\d+)\.)?([a-z_0-9]+)\.(weight|bias)$/.exec(name);
    if (match === null) return undefined;
    const [, layer, module, part] = match as unknown as [string, string | undefined, string, string];
    const key = find(names.modules[module], layer, ".weight");
    if (key !== undefined) return keys.has(`${key}.${part}`) ? store.read(`${key}.${part}`) : undefined;
    if (module === "mlp_in" || module === "mlp_gate")
      return fusedPart(names.fusedGateUp, layer, part, module === "mlp_gate" ? 0 : 1, 2);
    const third = ["q", "k", "v"].indexOf(module);
    if (third >= 0) return fusedPart(names.fusedQkv, layer, part, third, 3);
    return undefined;
  };

  // Fused projections, split along the output axis: timm's qkv ([q; k; v]) and DINOv2-g's SwiGLU
  // in transformers 4 ([gate; up]).
  const fusedPart = async (
    candidates: readonly string[] | undefined,
    layer: string | undefined,
    part: string,
    index: number,
    count: number,
  ) => {
    const key = find(candidates, layer, ".weight");
    if (key === undefined || !keys.has(`${key}.${part}`)) return undefined;
    const fused = await store.read(`${key}.${part}`);
    const rows = (fused.dims[0] as number) / count;
    const width = fused.data.length / (fused.dims[0] as number);
    const start = index * rows * width;
    return { dims: [rows, ...fused.dims.slice(1)], data: fused.data.slice(start, start + rows * width) };
  };

  return {
    async read(name) {
      const tensor = await readTensor(name);
      if (tensor === undefined) return undefined;
      if (name === "cls" || name === "registers") {
        return { dims: [tensor.data.length / spec.hiddenSize, spec.hiddenSize], data: tensor.data };
      }
      if (name === "position") return positionTable(tensor, spec, table, label);
      return tensor;
    },
  };
}

/** The position table on the spec's grid: `[(1 +) rows·columns, d]`. */
function positionTable(
  tensor: Float32Tensor,
  spec: VitSpec,
  table: TableLayout,
  label: string,
): Float32Tensor {
  const d = spec.hiddenSize;
  const rows = tensor.data.length / d;
  const clsRows = spec.positionTable?.coversCls ? 1 : 0;
  const from = table.grid ?? spec.grid;
  if (rows !== clsRows + from[0] * from[1]) {
    throw new UnsupportedModelError(
      `${label}: the position table has ${rows} rows; a ${from.join("×")} grid${clsRows ? " plus the class token" : ""} needs ${clsRows + from[0] * from[1]}`,
    );
  }
  const patches = resampleTable(tensor.data.subarray(clsRows * d), from, spec.grid, d, table.antialias);
  const data = new Float32Array((clsRows + spec.grid[0] * spec.grid[1]) * d);
  data.set(tensor.data.subarray(0, clsRows * d));
  data.set(patches, clsRows * d);
  return { dims: [data.length / d, d], data };
}

/** The prefix under which the checkpoint holds the model: the one in front of the patch embedding. */
function findPrefix(keys: ReadonlySet<string>, names: Architecture["names"], label: string): string {
  const patch = names.modules.patch ?? [];
  for (const key of keys) {
    for (const candidate of patch) {
      const suffix = `${candidate}.weight`;
      if (key.endsWith(suffix)) return key.slice(0, key.length - suffix.length);
    }
  }
  throw new UnsupportedModelError(
    `${label}: found no patch embedding (${patch.map((c) => `…${c}.weight`).join(" or ")}) among the checkpoint's ${keys.size} tensors`,
  );
}
