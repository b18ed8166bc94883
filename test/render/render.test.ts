import { createHash } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { createRgbImage } from "../../src/images/rgb-image";
import { type FigureSpec, figurePng, figureSize, figureSvg } from "../../src/render/figure";
import { paintLabels } from "../../src/render/label-map";
import { clusterColour, PALETTE } from "../../src/render/palette";
import { loadSharp } from "../../src/util/load-sharp";

const grid = [2, 3] as const;
const labels = Int32Array.from([0, 1, 2, 3, 4, 5]);
const grey = createRgbImage(20, 30, new Uint8Array(20 * 30 * 3).fill(100));

function pixel(image: { data: Uint8Array; dims: [number, number, 3] }, y: number, x: number): number[] {
  const o = (y * image.dims[1] + x) * 3;
  return [...image.data.subarray(o, o + 3)];
}

describe("palette", () => {
  it("has 32 distinct colours, pairwise at least 40 apart in RGB", () => {
    expect(PALETTE).toHaveLength(32);
    for (let i = 0; i < 32; i++)
      for (let j = i + 1; j < 32; j++) {
        const [a, b] = [PALETTE[i] as readonly number[], PALETTE[j] as readonly number[]];
        expect(Math.hypot(...a.map((v, c) => v - (b[c] as number))), `${i} vs ${j}`).toBeGreaterThan(40);
      }
  });
});

describe("paintLabels", () => {
  it("paints each pixel with its patch's cluster colour (nearest upsampling) at opacity 1", () => {
    const painted = paintLabels(labels, grid, grey, { opacity: 1 });
    expect(painted.dims).toEqual([20, 30, 3]);
    expect(pixel(painted, 0, 0)).toEqual([...clusterColour(0)]);
    expect(pixel(painted, 9, 29)).toEqual([...clusterColour(2)]);
    expect(pixel(painted, 10, 10)).toEqual([...clusterColour(4)]);
  });
  it("blends colour and photo by the opacity, and fades clusters other than the highlighted one", () => {
    const half = paintLabels(labels, grid, grey, { opacity: 0.5 });
    expect(pixel(half, 0, 0)).toEqual(clusterColour(0).map((v) => Math.round(0.5 * 100 + 0.5 * v)));
    const lit = paintLabels(labels, grid, grey, { opacity: 1, highlight: 1 });
    expect(pixel(lit, 0, 15)).toEqual([...clusterColour(1)]);
    expect(pixel(lit, 0, 0)).toEqual(clusterColour(0).map((v) => Math.round(0.85 * 100 + 0.15 * v)));
  });
});

const spec: FigureSpec = {
  title: "tiny <model> · tokens · K=6",
  columns: ["a.png", "b.png", "c.png"],
  rows: [1, 2].map((l) => ({
    title: `L${l}`,
    note: "PB 0.10 LC 0.90\nBA 0.00",
    panels: [0, 1, 2].map((i) =>
      paintLabels(
        labels.map((v) => (v + i + l) % 6),
        grid,
        grey,
        { opacity: 1 },
      ),
    ),
  })),
  k: 6,
  panelSize: 60,
  footnote: "random weights",
};

describe("figures", () => {
  it("the SVG has one embedded image per panel, escaped titles, and matches the snapshot", async () => {
    const svg = await figureSvg(spec);
    expect(svg.match(/<image /g)).toHaveLength(6);
    expect(svg).toContain("tiny &#60;model&#62; · tokens · K=6");
    // Normalized: embedded PNGs replaced by a short hash of their bytes.
    const normalized = svg.replace(
      /base64,([^"]+)/g,
      (_, b64: string) => `sha256:${createHash("sha256").update(b64).digest("hex").slice(0, 12)}`,
    );
    const path = "test/render/output/figure.svg";
    if (!existsSync(path)) writeFileSync(path, normalized);
    const expected = readFileSync(path, "utf8");
    if (expected !== normalized) writeFileSync(path.replace(".svg", "-changed.svg"), normalized);
    expect(normalized).toBe(expected);
  });

  it("the PNG has the figure's size and each panel's centre shows its cluster's colour", async () => {
    const png = await figurePng(spec);
    const { data, info } = await loadSharp()(png).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    expect([info.width, info.height]).toEqual(figureSize(spec));
    // Panel (row 0, column 0) is 2 × 3 patches; its top-left patch has label (0 + 0 + 1) % 6 = 1.
    const x = 12 + 150 + 5;
    const y = 12 + 30 + 20 + 5;
    const o = (y * info.width + x) * 3;
    expect([...data.subarray(o, o + 3)]).toEqual([...clusterColour(1)]);
  });
});

describe("figures of label maps (vector panels over photos embedded once)", () => {
  const photos = [grey, createRgbImage(20, 30, new Uint8Array(20 * 30 * 3).fill(200))];
  const vectorSpec = (opacity: number): FigureSpec => ({
    title: "vector",
    columns: ["a.png", "b.png"],
    rows: [1, 2].map((l) => ({
      title: `layer ${l}`,
      panels: [0, 1].map((photo) => ({ labels: labels.map((v) => (v + l) % 6), grid, photo })),
    })),
    k: 6,
    panelSize: 60,
    photos,
    opacity,
  });
  // The centre of patch (py, px) of the panel at (row, column): panels are 60 px, 4 px apart.
  const centre = (row: number, column: number, py: number, px: number) => [
    12 + 150 + column * 64 + px * 20 + 10,
    12 + 30 + 20 + row * 64 + py * 30 + 15,
  ];

  async function rasterPixel(spec: FigureSpec, [x, y]: number[]): Promise<number[]> {
    const png = await figurePng(spec);
    const { data, info } = await loadSharp()(png).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    const o = ((y as number) * info.width + (x as number)) * 3;
    return [...data.subarray(o, o + 3)];
  }

  it("each photo is one JPEG in <defs>, panels refer to it with <use>, each cluster is one path", async () => {
    const svg = await figureSvg(vectorSpec(0.6));
    const defs = /<defs>([\s\S]*?)<\/defs>/.exec(svg)?.[1] ?? "";
    expect(defs.match(/<image id="photo-\d" [^>]*href="data:image\/jpeg;base64,/g)).toHaveLength(2);
    expect(svg.match(/<image /g)).toHaveLength(2);
    expect(svg.match(/<use href="#photo-0" /g)).toHaveLength(2);
    expect(svg.match(/<use href="#photo-1" /g)).toHaveLength(2);
    expect(svg.match(/fill-opacity="0.6"/g)).toHaveLength(4);
    // 6 clusters in a 2 × 3 map, each its own path, in every one of the 4 panels.
    expect(svg.match(/<path fill="#[0-9a-f]{6}" d="M[\d hvz-]+"\/>/g)).toHaveLength(24);
  });

  it("rasterized, a patch shows (1 − opacity) · photo + opacity · its cluster's colour", async () => {
    // Row 0 (l = 1) column 1 (photo 200): patch (1, 2) has label (5 + 1) % 6 = 0.
    const at = centre(0, 1, 1, 2);
    const blend = (opacity: number, photo: number) =>
      clusterColour(0).map((v) => (1 - opacity) * photo + opacity * v);
    for (const opacity of [0, 0.6, 1]) {
      const got = await rasterPixel(vectorSpec(opacity), at);
      blend(opacity, 200).forEach((v, c) => {
        expect(
          Math.abs((got[c] as number) - v),
          `opacity ${opacity}: ${got} vs ${blend(opacity, 200)}`,
        ).toBeLessThanOrEqual(3);
      });
    }
    // Row 1 (l = 2) column 0 (photo 100): patch (0, 0) has label 2.
    const got = await rasterPixel(vectorSpec(0.6), centre(1, 0, 0, 0));
    clusterColour(2).forEach((v, c) => {
      expect(Math.abs((got[c] as number) - (0.4 * 100 + 0.6 * v))).toBeLessThanOrEqual(3);
    });
  });

  it("opacity 0 draws no path (the photo only); a panel without a photo is drawn on white", async () => {
    expect(await figureSvg(vectorSpec(0))).not.toContain("<path");
    const white: FigureSpec = { ...vectorSpec(1), photos: [] };
    for (const row of white.rows) for (const panel of row.panels) delete (panel as { photo?: number }).photo;
    const svg = await figureSvg(white);
    expect(svg).not.toContain("<image");
    expect(await rasterPixel(white, centre(0, 0, 0, 0))).toEqual([...clusterColour(1)]);
  });
});
