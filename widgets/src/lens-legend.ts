// What a colour frame's colours mean, below the panels where the cluster legend sits for clusters.
import { heatColour } from "../../src/lenses/attention-colours";
import type { DecodedFrame } from "./binary";
import { h } from "./dom";

/** The legend of the `pca` and `attention` lenses; hidden for clusters. */
export interface LensLegend {
  readonly element: HTMLElement;
  update(frame: DecodedFrame | null): void;
}

/** The attention colour bar as a CSS gradient: the kernel's heat colours, low to high. */
const HEAT_GRADIENT = `linear-gradient(to right, ${[0, 64, 128, 191, 255]
  .map((level) => `rgb(${heatColour(level).join(", ")})`)
  .join(", ")})`;

/** The head an attention frame shows, in words. */
export function headText(head: DecodedFrame["head"]): string {
  return head === undefined || head === "mean" ? "mean over heads" : `head ${head}`;
}

/** Builds the legend. */
export function createLensLegend(doc: Document): LensLegend {
  const text = h(doc, "span", { class: "seglens-lens-text" });
  const bar = h(doc, "span", { class: "seglens-heat-bar", role: "img", "aria-label": "low to high" });
  bar.style.background = HEAT_GRADIENT;
  const scale = h(doc, "span", { class: "seglens-heat" }, "low", bar, "high");
  const element = h(doc, "div", { class: "seglens-lens-legend", hidden: true }, text, scale);
  return {
    element,
    update(frame) {
      const lens = frame?.lens ?? "clusters";
      element.hidden = lens === "clusters";
      element.dataset.lens = lens;
      scale.hidden = lens !== "attention";
      text.textContent =
        lens === "pca"
          ? "PCA over the image set: red, green, blue = components 1, 2, 3"
          : lens === "attention"
            ? // The CLS token's row, or the patch queries' mean for models without CLS: the view cannot tell.
              `Attention over the patches (${headText(frame?.head)}), each map scaled min..max:`
            : "";
    },
  };
}
