import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { seglensCacheDir } from "../util/cache-dir";
import { writeFileAtomic } from "../util/write-file-atomic";
import { appendToGraph } from "./add-outputs";
import {
  type AttentionReduction,
  attentionRowAdditions,
  attentionRowsName,
  reductionFor,
} from "./attention-rows";
import { parseOnnxModel } from "./onnx-graph";
import type { TappedModel } from "./tapped-model";

/**
 * A model file's attention variant: a copy of the original graph that also outputs, per block, the
 * attention reduced to one row per head over the patch keys (see `AttentionReduction`). It is a
 * copy apart from the tapped model, so the tokens/q/k/v graph, its cache entry and its speed stay
 * as they are; it does not output the taps.
 */
export interface AttentionModel {
  sourcePath: string;
  sha256: string;
  /** The edited copy, in seglens' cache. */
  path: string;
  inputName: string;
  externalDataDir?: string;
  prefixTokens: number;
  reduction: AttentionReduction;
  /** Per block (index = layer − 1), the output holding `[batch, heads, patches]` float32. */
  rows: string[];
}

/** Options of {@link prepareAttentionModel}. */
export interface AttentionModelOptions {
  /** Prefix tokens of the model's sequence (CLS first, then registers); 0 for none. */
  prefixTokens: number;
  /** Where edited graphs go; default `<seglens cache>/graphs`. */
  cacheDir?: string;
}

// Bumped when the appended nodes change, so an older copy is not used.
const VARIANT_VERSION = 1;

/**
 * The attention variant of `tapped`'s original model, written once per model file and prefix
 * count (`graphs/<sha256>-attention-p<prefix>-v<n>/model.onnx`); a copy already there is used
 * without reading the model again. Throws UnsupportedModelError when a block's attention Softmax
 * was not found.
 */
export function prepareAttentionModel(tapped: TappedModel, options: AttentionModelOptions): AttentionModel {
  const { prefixTokens } = options;
  const graphsDir = options.cacheDir ?? join(seglensCacheDir(), "graphs");
  const folder = join(
    graphsDir,
    `${tapped.sha256.slice(0, 24)}-attention-p${prefixTokens}-v${VARIANT_VERSION}`,
  );
  const path = join(folder, "model.onnx");
  const rows = tapped.taps.blocks.map((_, i) => attentionRowsName(i + 1));
  if (!existsSync(path)) {
    const bytes = readFileSync(tapped.sourcePath);
    const graph = parseOnnxModel(bytes, tapped.sourcePath);
    const additions = attentionRowAdditions(tapped.taps, {
      prefixTokens,
      opset: graph.opset,
      label: tapped.sourcePath,
    });
    mkdirSync(folder, { recursive: true });
    writeFileAtomic(path, appendToGraph(bytes, additions));
  }
  const model: AttentionModel = {
    sourcePath: tapped.sourcePath,
    sha256: tapped.sha256,
    path,
    inputName: tapped.inputName,
    prefixTokens,
    reduction: reductionFor(prefixTokens),
    rows,
  };
  if (tapped.externalDataDir !== undefined) model.externalDataDir = tapped.externalDataDir;
  return model;
}
