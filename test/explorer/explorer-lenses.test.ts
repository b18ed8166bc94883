import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";

import { describe, expect, it } from "vitest";
import { OptionRangeError, OptionTypeError } from "../../src/errors";
import type { ExplorerFrame } from "../../src/explorer/explorer-state";
import { explore } from "../../src/explorer/explorer-widget";
import { extractAttentionRows } from "../../src/features/attention-rows";
import { imagePixels } from "../../src/features/extract-features";
import { prepareRequest } from "../../src/features/feature-request";
import { heatColour } from "../../src/lenses/attention-colours";
import { attentionMap, displayLevels } from "../../src/lenses/attention-maps";
import { pcaMaps } from "../../src/lenses/pca-request";
import { loadSharp } from "../../src/util/load-sharp";
import { testCacheDir } from "../support/temp";
import { useWidgetKernel } from "../support/widgets";

const repo = resolve(".");
const tiny = { model: `${repo}/models/fixtures/dinov2-tf4`, images: [`${repo}/models/samples`] };

const { frontendUpdate } = useWidgetKernel();
const tick = () => new Promise((r) => setImmediate(r));

describe("the explorer's PCA and attention lenses on models/fixtures/dinov2-tf4 over the 5 sample images", () => {
  it("a lens switch shows each layer's PCA colours over the whole set: the library's pcaMaps, chained from the first shown layer", async () => {
    const widget = explore({ ...tiny, k: 4, precompute: false });
    await widget.idle();
    frontendUpdate(widget, { lens: "pca" });
    await tick();
    await widget.idle();
    const frame = widget.get("frame") as ExplorerFrame;
    expect(frame.lens).toBe("pca");
    expect(frame.labels).toBeUndefined();
    const layers = frame.layers;
    expect(frame.colors?.shape).toEqual([1, layers.length, 5, 4, 4, 3]);
    const reference = await pcaMaps({ ...tiny, reps: "tokens", layers: layers.join(",") });
    const colours = frame.colors?.buffer as Uint8Array;
    for (const [l, layer] of layers.entries()) {
      const expected = reference.layers.get(`tokens_L${layer}`);
      const perLayer = 5 * 16 * 3;
      expect([...colours.subarray(l * perLayer, (l + 1) * perLayer)]).toEqual([...(expected?.rgb ?? [])]);
      expect(frame.explained?.[0]?.[l]).toEqual(expected?.explainedVarianceRatio);
    }
    // Back to clusters: the kept clustering, labels again.
    frontendUpdate(widget, { lens: "clusters" });
    await tick();
    await widget.idle();
    expect(widget.get("frame")?.lens).toBeUndefined();
    expect(widget.get("frame")?.labels?.shape).toEqual([1, layers.length, 5, 4, 4]);
    widget.close();
  });

  it("the export follows the lens: a PNG of the PCA frame, titled so", async () => {
    const widget = explore({ ...tiny, lens: "pca", precompute: false });
    await widget.idle();
    expect(widget.get("frame")?.lens).toBe("pca");
    const dir = testCacheDir();
    try {
      const written = await widget.export(join(dir.path, "pca.png"));
      const { width, height } = await loadSharp()(readFileSync(written)).metadata();
      expect(width).toBeGreaterThan(96);
      expect(height).toBeGreaterThan(96);
    } finally {
      widget.close();
      dir.remove();
    }
  });

  it("the attention lens: the CLS row's heat per image, mean of heads, then one head; the heads count reaches the view", async () => {
    const widget = explore({ ...tiny, lens: "attention", precompute: false });
    await widget.idle();
    const frame = widget.get("frame") as ExplorerFrame;
    expect(frame).toMatchObject({ lens: "attention", head: "mean" });
    expect(widget.get("heads")).toBe(4);
    const layers = frame.layers;
    expect(frame.colors?.shape).toEqual([1, layers.length, 5, 4, 4, 3]);
    const request = await prepareRequest({ ...tiny, reps: ["tokens"] });
    const rows = await extractAttentionRows(request.tapped, {
      inputs: imagePixels(request.images, request.preprocess),
    });
    const expectColours = (shown: ExplorerFrame, head: number | "mean") => {
      const colours = shown.colors?.buffer as Uint8Array;
      for (const [l, layer] of layers.entries())
        for (let image = 0; image < 5; image++) {
          const levels = displayLevels(
            attentionMap(rows.rows.get(layer) as Float32Array, [5, 4, 16], image, head),
          );
          const from = (l * 5 + image) * 16 * 3;
          expect([...colours.subarray(from, from + 48)]).toEqual(
            [...levels].flatMap((level) => [...heatColour(level)]),
          );
        }
    };
    expectColours(frame, "mean");
    frontendUpdate(widget, { head: 2 });
    await tick();
    await widget.idle();
    expect(widget.get("frame")?.head).toBe(2);
    expectColours(widget.get("frame") as ExplorerFrame, 2);
    frontendUpdate(widget, { head: 4 });
    await tick();
    expect(widget.get("head")).toBe(2);
    expect(widget.get("view_error")).toMatch(/invalid head 4; expected "mean" or a head index 0..3/);
    widget.close();
  });

  it("refuses a lens or head it does not know, at the call and from the view", async () => {
    expect(() => explore({ ...tiny, lens: "umap" as never })).toThrow(OptionTypeError);
    expect(() => explore({ ...tiny, head: -1 })).toThrow(OptionRangeError);
    const widget = explore({ ...tiny, precompute: false });
    await widget.idle();
    frontendUpdate(widget, { lens: "tsne" });
    await tick();
    expect(widget.get("lens")).toBe("clusters");
    expect(widget.get("view_error")).toMatch(/invalid lens "tsne"; expected one of clusters, pca, attention/);
    widget.close();
  });
});
