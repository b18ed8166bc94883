import { UnsupportedModelError } from "../errors";
import type { Architecture } from "./architecture";

/** What the timm reader needs of a checkpoint: names and shapes, without reading data. */
export interface ShapeIndex {
  keys(): readonly string[];
  info(key: string): { dims: number[] };
}

/** Options of {@link timmArchitecture}. */
export interface TimmOptions {
  /** The prefix the ViT's names carry in the file (`state_dict/module.base_encoder.`); default: found. */
  prefix?: string;
  /** Attention heads (shapes cannot tell); default hidden size / 64, as in ViT-S/B/L. */
  heads?: number;
  /** LayerNorm epsilon; default 1e-6 (timm's and the DINO family's). */
  normEps?: number;
}

/**
 * A timm-structured ViT (`patch_embed.proj`, `cls_token`, `pos_embed`, `blocks.N.attn.qkv`, …), the
 * layout of timm's Hub repos and of the research checkpoints built on it (DINO, iBOT, MoCo v3,
 * Mugs, SimDINO). timm configs often name only the architecture, so the spec is read from the
 * tensor shapes: width and patch size from the patch embedding, depth from the blocks, MLP width
 * from `fc1`, registers from `reg_token`, and whether the position table covers the class token
 * from its row count.
 */
export function timmArchitecture(index: ShapeIndex, options: TimmOptions, label: string): Architecture {
  const keys = new Set(index.keys());
  const prefix = options.prefix ?? findTimmPrefix(keys, label);
  const has = (name: string) => keys.has(prefix + name);
  const dims = (name: string) => (has(name) ? index.info(prefix + name).dims : undefined);
  const patch = dims("patch_embed.proj.weight") as number[];
  const [hiddenSize, , patchSize] = patch as [number, number, number];
  let depth = 0;
  while (has(`blocks.${depth}.norm1.weight`)) depth++;
  const fc1 = dims("blocks.0.mlp.fc1.weight");
  if (depth === 0 || fc1 === undefined || !has("blocks.0.attn.qkv.weight")) {
    throw new UnsupportedModelError(
      `${label}: not a timm-style ViT: expected blocks.N.norm1, blocks.N.attn.qkv and blocks.N.mlp.fc1 under "${prefix}"`,
    );
  }
  const tableRows = dims("pos_embed")?.[1];
  const cls = has("cls_token");
  const registers = dims("reg_token")?.[1] ?? 0;
  const tableSide = tableRows === undefined ? undefined : tableGridSide(tableRows, cls, label);
  const layerScale = has("blocks.0.ls1.gamma") || has("blocks.0.gamma_1");
  const heads = options.heads ?? hiddenSize / 64;
  if (!Number.isInteger(heads) || hiddenSize % heads !== 0) {
    throw new UnsupportedModelError(`${label}: cannot split width ${hiddenSize} into ${heads} heads`);
  }
  const tensors: Record<string, readonly string[]> = {
    cls: ["cls_token"],
    registers: ["reg_token"],
    position: ["pos_embed"],
  };
  for (let l = 0; l < depth; l++) {
    tensors[`blocks.${l}.ls1.weight`] = [`blocks.${l}.ls1.gamma`, `blocks.${l}.gamma_1`];
    tensors[`blocks.${l}.ls2.weight`] = [`blocks.${l}.ls2.gamma`, `blocks.${l}.gamma_2`];
  }
  return {
    spec: {
      depth,
      hiddenSize,
      heads,
      mlpSize: fc1[0] as number,
      patchSize,
      cls,
      registers,
      ...(tableSide === undefined ? {} : { positionTable: { coversCls: tableSide.coversCls } }),
      preNorm: has("norm_pre.weight"),
      finalNorm: has("norm.weight"),
      normEps: options.normEps ?? 1e-6,
      activation: "gelu",
      mlp: "plain",
      layerScale,
    },
    names: {
      modules: {
        patch: ["patch_embed.proj"],
        pre_norm: ["norm_pre"],
        norm: ["norm"],
        norm1: ["blocks.{l}.norm1"],
        proj: ["blocks.{l}.attn.proj"],
        norm2: ["blocks.{l}.norm2"],
        mlp_in: ["blocks.{l}.mlp.fc1"],
        mlp_out: ["blocks.{l}.mlp.fc2"],
      },
      tensors,
      fusedQkv: ["blocks.{l}.attn.qkv"],
    },
    ...(tableSide === undefined ? {} : { tableGrid: [tableSide.side, tableSide.side] as [number, number] }),
    prefix,
    // timm resamples with antialiasing when it loads a table of another size (resample_abs_pos_embed).
    tableResample: "bicubic-antialias",
  };
}

/** Rows = side² (patches only, timm's `no_embed_class`) or side² + 1 (the class token too). */
function tableGridSide(rows: number, cls: boolean, label: string): { side: number; coversCls: boolean } {
  const patchesOnly = Math.round(Math.sqrt(rows));
  if (patchesOnly * patchesOnly === rows) return { side: patchesOnly, coversCls: false };
  const withCls = Math.round(Math.sqrt(rows - 1));
  if (cls && withCls * withCls === rows - 1) return { side: withCls, coversCls: true };
  throw new UnsupportedModelError(`${label}: a position table of ${rows} rows fits no square patch grid`);
}

function findTimmPrefix(keys: ReadonlySet<string>, label: string): string {
  const suffix = "patch_embed.proj.weight";
  const prefixes = [...keys].filter((key) => key.endsWith(suffix)).map((key) => key.slice(0, -suffix.length));
  if (prefixes.length === 0) {
    throw new UnsupportedModelError(
      `${label}: found no "patch_embed.proj.weight": not a timm-style ViT checkpoint`,
    );
  }
  // Several encoders in one file (MoCo v3: base and momentum; DINO-style training checkpoints:
  // student and teacher): the teacher is the model these methods evaluate, MoCo v3 evaluates the
  // base encoder. The catalog names the prefix where it knows it.
  const rank = (prefix: string) => (/teacher/.test(prefix) ? 0 : /student|momentum/.test(prefix) ? 2 : 1);
  return [...prefixes].sort((a, b) => rank(a) - rank(b))[0] as string;
}
