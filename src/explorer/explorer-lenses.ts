/**
 * The explorer's other lenses: one setting's colour per patch over the whole image set — the
 * first three principal components as RGB, or attention as a heat map — computed once from what
 * the engine keeps (the features, the attention rows) and cut into page frames as clusterings are.
 */
import { basename } from "node:path";
import { type AttentionRows, extractAttentionRows } from "../features/attention-rows";
import { imagePixels } from "../features/extract-features";
import type { PatchSource } from "../features/feature-cache";
import { readPatches } from "../features/patch-store";
import { heatColour } from "../lenses/attention-colours";
import { attentionMap, displayLevels } from "../lenses/attention-maps";
import { type PcaLayer, pcaLayer } from "../lenses/pca";
import { commonGrid, resampleLabels } from "../segmentation/label-grid";
import { checkSignal, untilAborted } from "../util/abortable";
import type { Page } from "../util/paging";
import type { Lens } from "../vocabulary";
import type { ExplorerProgress, ModelFeatures } from "./explorer-features";
import type { ClusteringInput } from "./explorer-frames";
import type { AttentionHead, ExplorerFrame } from "./explorer-state";

/** A lens's colours of the whole image set: what its page frames are cut from. */
export interface LensMaps extends ClusteringInput {
  lens: Exclude<Lens, "clusters">;
  /** `rgb[m][l]`: uint8 `[images · gh · gw, 3]` of model m in column l, on its own grid. */
  rgb: Uint8Array[][];
  /** PCA: each component's share of the variance, per model and column. */
  explained?: [number, number, number][][];
  /** Attention: the head shown. */
  head?: AttentionHead;
}

/** What a lens needs beside its data: the setting and each model's grid and blocks, as a clustering. */
export type LensInput = ClusteringInput;

/** Bytes the maps hold, for the engine's cache budget. */
export function lensMapsBytes(maps: LensMaps): number {
  return maps.rgb.reduce((sum, columns) => sum + columns.reduce((s, c) => s + c.length, 0), 0);
}

/**
 * The PCA lens of a setting: per model, one joint PCA per shown layer over the whole image set,
 * in column order so each component keeps its sign from layer to layer. `sources[m][l]` are the
 * patch rows of model m in column l. Stops between layers when `signal` aborts.
 */
export async function pcaLensMaps(
  input: LensInput,
  sources: PatchSource[][],
  signal: AbortSignal,
): Promise<LensMaps> {
  const rgb: Uint8Array[][] = [];
  const explained: [number, number, number][][] = [];
  for (const columns of sources) {
    const layers: PcaLayer[] = [];
    for (const source of columns) {
      checkSignal(signal);
      layers.push(await pcaLayer(readPatches(source), {}, layers.at(-1)));
    }
    rgb.push(layers.map((layer) => layer.rgb));
    explained.push(layers.map((layer) => layer.explainedVarianceRatio));
  }
  return { ...input, lens: "pca", rgb, explained };
}

/**
 * The attention lens of a setting: per model and column, each image's attention over the patches
 * from `rows[m]` (the model's reduced attention, see `extractAttentionRows`) — `head`, or the mean
 * over the heads (also for a model without that head) — scaled min..max per map and coloured as
 * heat. Layer 0, the embeddings, has no attention: its maps stay black.
 */
export function attentionLensMaps(input: LensInput, rows: AttentionRows[], head: AttentionHead): LensMaps {
  const rgb = rows.map((attention, m) => {
    const cells = attention.grid[0] * attention.grid[1];
    const dims = [attention.numImages, attention.heads, cells] as const;
    const shown = head !== "mean" && head < attention.heads ? head : "mean";
    return (input.modelLayers[m] as number[]).map((block) => {
      const out = new Uint8Array(input.numImages * cells * 3);
      const layerRows = attention.rows.get(block);
      if (layerRows === undefined) return out;
      for (let image = 0; image < attention.numImages; image++) {
        const levels = displayLevels(attentionMap(layerRows, dims, image, shown));
        for (let p = 0; p < cells; p++) out.set(heatColour(levels[p] as number), (image * cells + p) * 3);
      }
      return out;
    });
  });
  return { ...input, lens: "attention", rgb, head };
}

/**
 * The frame of one page: the page's colours of every model and column on the common grid, RGB
 * uint8 `[models, layers, page images, gh, gw, 3]`, with null scores.
 */
export function lensPageFrame(maps: LensMaps, page: Page): ExplorerFrame {
  const { grids, layers, models } = maps;
  const [gh, gw] = commonGrid(grids);
  const count = page.end - page.start;
  const perMap = count * gh * gw;
  const buffer = new Uint8Array(models.length * layers.length * perMap * 3);
  maps.rgb.forEach((columns, m) => {
    const grid = grids[m] as [number, number];
    const cells = grid[0] * grid[1];
    columns.forEach((rgb, l) => {
      // One int per patch, so the label resampler moves whole colours.
      const packed = new Int32Array(count * cells);
      for (let p = 0, from = page.start * cells * 3; p < packed.length; p++, from += 3)
        packed[p] =
          (rgb[from] as number) | ((rgb[from + 1] as number) << 8) | ((rgb[from + 2] as number) << 16);
      const shown = resampleLabels(packed, count, grid, [gh, gw]);
      let to = (m * layers.length + l) * perMap * 3;
      for (const colour of shown) {
        buffer[to++] = colour & 0xff;
        buffer[to++] = (colour >> 8) & 0xff;
        buffer[to++] = (colour >> 16) & 0xff;
      }
    });
  });
  return {
    models: [...models],
    rep: maps.rep,
    k: maps.k,
    lens: maps.lens,
    layers: [...layers],
    images: Array.from({ length: count }, (_, i) => page.start + i),
    grid: [gh, gw],
    model_grids: grids.map(([h, w]) => [h, w]),
    model_layers: maps.modelLayers.map((blocks) => [...blocks]),
    colors: { dtype: "uint8", shape: [models.length, layers.length, count, gh, gw, 3], buffer },
    metrics: models.map(() => layers.map(() => ({ pb: null, lc: null, ba: null }))),
    ...(maps.explained === undefined
      ? {}
      : { explained: maps.explained.map((c) => c.map(([a, b, c3]) => [a, b, c3])) }),
    ...(maps.head === undefined ? {} : { head: maps.head }),
    provisional: false,
  };
}

/** Each model's attention rows over the image set (see {@link createAttentionSource}). */
export interface AttentionSource {
  get(
    model: string,
    set: ModelFeatures,
    signal: AbortSignal,
    progress: ExplorerProgress,
  ): Promise<AttentionRows>;
  clear(): void;
}

/**
 * Each model's attention rows over the image set, extracted when the attention lens first needs
 * them (a forward pass of the model's attention variant) and kept; a failed or stopped extraction
 * is started again by the next request.
 */
export function createAttentionSource(): AttentionSource {
  const kept = new Map<string, Promise<AttentionRows>>();
  return {
    get(model, set, signal, progress) {
      let rows = kept.get(model);
      if (rows === undefined) {
        const started = extractAttentionRows(set.request.tapped, {
          inputs: imagePixels(set.request.images, set.request.preprocess),
          prefixTokens: set.prefixTokens,
          signal,
          onProgress: ({ done, total }) =>
            progress({
              kind: "loading",
              stage: "lens",
              done,
              total,
              detail: `attention of ${basename(model)}: ${done} of ${total} images`,
            }),
        });
        started.catch(() => {
          if (kept.get(model) === started) kept.delete(model);
        });
        kept.set(model, started);
        rows = started;
      }
      return untilAborted(rows, signal);
    },
    clear: () => kept.clear(),
  };
}
