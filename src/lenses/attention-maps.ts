import { InputError } from "../errors";

/** Which heads a view shows: their mean, every head, or the heads listed (0-based). */
export type HeadChoice = "mean" | "all" | readonly number[];

/** One shown head: its 0-based index, or the mean over all heads. */
export type Head = number | "mean";

/** The layout of one layer's reduced attention: float32 `[images, heads, patches]`, C order. */
export type RowDims = readonly [images: number, heads: number, patches: number];

/**
 * Parses a head choice as written on the command line: `mean`, `all`, or comma-separated 0-based
 * head numbers (`0,3`). The numbers are checked against the model later ({@link shownHeads}).
 */
export function parseHeads(spec: string): HeadChoice {
  const trimmed = spec.trim();
  if (trimmed === "mean" || trimmed === "all") return trimmed;
  const heads: number[] = [];
  for (const part of trimmed.split(",").map((p) => p.trim())) {
    if (!/^\d{1,4}$/.test(part))
      throw new InputError(
        `invalid --heads entry "${part}"; expected mean, all, or head numbers from 0 (e.g. 0,3)`,
      );
    const head = Number(part);
    if (!heads.includes(head)) heads.push(head);
  }
  return heads;
}

/** The heads `choice` shows in a model with `heads` heads, in order; a head past the last is an InputError. */
export function shownHeads(choice: HeadChoice, heads: number): Head[] {
  if (choice === "mean") return ["mean"];
  if (choice === "all") return Array.from({ length: heads }, (_, h) => h);
  const outside = choice.find((h) => h >= heads);
  if (outside !== undefined)
    throw new InputError(
      `--heads "${choice.join(",")}" names head ${outside}; the model has heads 0..${heads - 1}`,
    );
  return [...choice];
}

/**
 * One image's attention map over the patch grid (`gh·gw` values, row-major): one head's row, or
 * the mean of every head's row. `rows` is one layer's `[images, heads, patches]`, as
 * `extractAttentionRows` gives it and as the explorer holds it.
 */
export function attentionMap(rows: Float32Array, dims: RowDims, image: number, head: Head): Float32Array {
  const [images, heads, patches] = dims;
  if (rows.length !== images * heads * patches)
    throw new RangeError(`rows hold ${rows.length} values, not [${dims.join(", ")}]`);
  if (image < 0 || image >= images) throw new RangeError(`image ${image} is not in 0..${images - 1}`);
  const base = image * heads * patches;
  if (head !== "mean") {
    if (head < 0 || head >= heads) throw new RangeError(`head ${head} is not in 0..${heads - 1}`);
    return rows.slice(base + head * patches, base + (head + 1) * patches);
  }
  const mean = new Float32Array(patches);
  for (let h = 0; h < heads; h++)
    for (let p = 0; p < patches; p++) (mean[p] as number) += rows[base + h * patches + p] as number;
  for (let p = 0; p < patches; p++) (mean[p] as number) /= heads;
  return mean;
}

/**
 * A map scaled for display, per map: its minimum → 0, its maximum → 255, linear between
 * (rounded). Probabilities differ by orders of magnitude between layers and heads, so one scale
 * for all would leave most maps black; a flat map (max = min) is all 0.
 */
export function displayLevels(map: Float32Array): Uint8Array {
  let low = Number.POSITIVE_INFINITY;
  let high = Number.NEGATIVE_INFINITY;
  for (const value of map) {
    if (value < low) low = value;
    if (value > high) high = value;
  }
  const levels = new Uint8Array(map.length);
  const span = high - low;
  if (!(span > 0)) return levels;
  for (let i = 0; i < map.length; i++) levels[i] = Math.round((255 * ((map[i] as number) - low)) / span);
  return levels;
}
