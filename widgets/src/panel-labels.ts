// The labels around the panel grid: the layer header row, and each model's column of image names.
import type { DecodedFrame } from "./binary";
import { h, modelLabel } from "./dom";

/**
 * The text of layer column `l`'s header: the first model's block, and each other model's own block
 * where the models' numberings differ (`L3 · L6 · L2`).
 */
export function columnHead(frame: DecodedFrame, l: number): string {
  const layer = frame.layers[l] ?? l;
  const own = frame.models.map((_, m) => frame.model_layers?.[m]?.[l] ?? layer);
  const same = own.every((block) => block === own[0]);
  return same ? `L${own[0] ?? layer}` : own.map((block) => `L${block}`).join(" · ");
}

/**
 * A pca frame's note under layer column `l`'s header: the share of the variance the three
 * components explain, per model (`PC1–3 62%`); empty for the other lenses.
 */
export function explainedNote(frame: DecodedFrame, l: number): string {
  if (!frame.explained) return "";
  const shares = frame.models.map((_, m) => {
    const parts = frame.explained?.[m]?.[l] ?? [0, 0, 0];
    return `${Math.round(100 * parts.reduce((a, b) => a + b, 0))}%`;
  });
  return `PC1–3 ${shares.join(" · ")}`;
}

/** The header row: a corner over the image names, then one sticky header per layer column. */
export function columnHeads(doc: Document, frame: DecodedFrame): HTMLElement[] {
  const corner = h(doc, "div", { class: "seglens-corner", role: "columnheader" }, "block");
  return [
    corner,
    ...frame.layers.map((layer, l) =>
      h(
        doc,
        "div",
        { class: "seglens-layer-head", role: "columnheader", "data-layer": layer },
        columnHead(frame, l),
        // Filled per frame (layer-panels.ts): a rep change keeps the headers but not the shares.
        h(doc, "span", { class: "seglens-layer-note" }),
      ),
    ),
  ];
}

/**
 * A model's image-name column: a caption-high spacer (the panels' captions sit above their
 * canvases), then each shown image's number and name, placed beside its image by `placeCells`.
 */
export function imageLabels(
  doc: Document,
  frame: DecodedFrame,
  positions: readonly number[],
  imageNames: readonly string[],
  model: string,
): HTMLElement {
  const names = h(
    doc,
    "div",
    { class: "seglens-names" },
    ...positions.map((position) => {
      const index = frame.images[position] ?? position;
      const name = imageNames[index] ?? `image ${index + 1}`;
      return h(
        doc,
        "div",
        { class: "seglens-image-label", "data-image": index, title: `${modelLabel(model)} · ${name}` },
        `${index + 1}: ${name}`,
      );
    }),
  );
  return h(
    doc,
    "div",
    { class: "seglens-image-labels" },
    h(doc, "div", { class: "seglens-caption-space", "aria-hidden": "true" }, "\u00a0"),
    names,
  );
}
