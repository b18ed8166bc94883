/** `seglens figure --lens attention`: heat maps of each layer's attention over the images. */
import { basename } from "node:path";
import { InputError } from "../errors";
import { type AttentionRows, extractAttentionRows } from "../features/attention-rows";
import { imagePixels } from "../features/extract-features";
import { prepareRequest } from "../features/feature-request";
import { decodeImage } from "../images/decode-image";
import { modelView } from "../images/preprocess";
import { type HeadChoice, shownHeads } from "../lenses/attention-maps";
import { attentionFigure } from "../render/attention-figure";
import type { FigureSpec } from "../render/figure";
import { downloadOptions, requestFromFlags } from "./features-command";
import type { FigureFlags } from "./figure-plan";
import { createProgressBar } from "./progress-bar";

/**
 * Refuses what an attention figure cannot draw, before any model is loaded: it has one layout,
 * layers × images (--reps and the clustering flags do not apply and are not read).
 */
export function checkAttentionFlags(flags: FigureFlags): void {
  if (flags.rows !== "layers" || flags.cols !== "images") {
    throw new InputError(
      `--lens attention draws layers × images: --rows "${flags.rows}" --cols "${flags.cols}" is not available; use the defaults (--rows layers --cols images)`,
    );
  }
}

/** The figure of `flags` with the attention lens; `footnote` marks tiny test models. */
export async function attentionFigureSpec(
  flags: FigureFlags & { model: string },
  signal: AbortSignal,
  footnote: (onnxPath: string) => string | undefined,
): Promise<FigureSpec> {
  const bar = createProgressBar();
  const request = requestFromFlags({ ...flags, reps: "tokens" });
  const prepared = await prepareRequest(request, downloadOptions(bar, signal));
  const layers = prepared.layers.filter((l) => l > 0);
  if (layers.length === 0) {
    throw new InputError(
      `--lens attention needs blocks from 1 up; ${flags.depth === undefined ? `--layers "${flags.layers}"` : `--depth "${flags.depth.join(",")}"`} names only layer 0, the embeddings, which have no attention`,
    );
  }
  if (layers.length < prepared.layers.length)
    process.stderr.write("note: layer 0 (the embeddings) has no attention: the figure leaves its row out\n");
  const prefixTokens = prepared.prefixTokens ?? prepared.model.catalog?.prefix_tokens;
  const set: AttentionRows = await extractAttentionRows(prepared.tapped, {
    inputs: imagePixels(prepared.images, prepared.preprocess),
    layers,
    budgetBytes: prepared.memoryPlan.batchBudgetBytes,
    signal,
    onProgress: ({ done, total }) => bar.update(done, total, "images"),
    ...(prefixTokens === undefined ? {} : { prefixTokens }),
    ...(flags.threads === undefined ? {} : { threads: flags.threads }),
    ...(flags.ep === undefined ? {} : { ep: flags.ep }),
  });
  bar.finish();
  const heads = shownHeads((flags.heads ?? "mean") as HeadChoice, set.heads);
  const photos = await Promise.all(
    prepared.images.map(async (path) =>
      modelView(await decodeImage(path, prepared.preprocess), prepared.preprocess),
    ),
  );
  const note = footnote(prepared.model.onnxPath);
  return attentionFigure(set, {
    model: basename(prepared.model.id),
    images: prepared.images,
    photos,
    heads,
    opacity: flags.opacity,
    ...(note === undefined ? {} : { footnote: note }),
  });
}
