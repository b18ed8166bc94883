/**
 * A label map as vector shapes: per cluster, one SVG path made of the map's cells. Cells of one
 * cluster are merged into rectangles — horizontal runs of equal labels, stacked while the run below
 * covers exactly the same columns — so a 14 × 14 map of 6 clusters is a few dozen rectangles, not
 * 196 squares. Coordinates are in patches (cell (y, x) is the unit square at x, y).
 */

interface OpenRect {
  label: number;
  x: number;
  y: number;
  width: number;
  height: number;
}

/** Horizontal runs of equal labels in row `y`: [start column, end column (exclusive), label]. */
function runs(labels: Int32Array, y: number, width: number): [number, number, number][] {
  const out: [number, number, number][] = [];
  const row = y * width;
  let start = 0;
  for (let x = 1; x <= width; x++) {
    if (x === width || labels[row + x] !== labels[row + start]) {
      out.push([start, x, labels[row + start] as number]);
      start = x;
    }
  }
  return out;
}

/** The rectangles covering each cluster's cells, in order of their top-left corner. */
export function labelRectangles(
  labels: Int32Array,
  grid: readonly [height: number, width: number],
): OpenRect[] {
  const [height, width] = grid;
  if (labels.length !== height * width) {
    throw new RangeError(`label map of ${labels.length} cells for a ${height}×${width} grid`);
  }
  const done: OpenRect[] = [];
  let open = new Map<string, OpenRect>();
  for (let y = 0; y < height; y++) {
    const next = new Map<string, OpenRect>();
    for (const [x0, x1, label] of runs(labels, y, width)) {
      const key = `${label},${x0},${x1}`;
      const above = open.get(key);
      if (above !== undefined) {
        above.height++;
        open.delete(key);
        next.set(key, above);
      } else next.set(key, { label, x: x0, y, width: x1 - x0, height: 1 });
    }
    done.push(...open.values());
    open = next;
  }
  done.push(...open.values());
  return done.sort((a, b) => a.y - b.y || a.x - b.x);
}

/**
 * Per cluster id present in `labels` (row-major, `grid` cells), the `d` attribute of one SVG path
 * covering its cells, in patch units; clusters in increasing id order.
 *
 * @example
 * labelPaths(Int32Array.from([0, 0, 1, 1]), [2, 2]); // Map { 0 => "M0 0h1v2h-1z", 1 => "M1 0h1v2h-1z" }
 */
export function labelPaths(
  labels: Int32Array,
  grid: readonly [height: number, width: number],
): Map<number, string> {
  const parts = new Map<number, string[]>();
  for (const r of labelRectangles(labels, grid)) {
    const d = `M${r.x} ${r.y}h${r.width}v${r.height}h-${r.width}z`;
    const list = parts.get(r.label);
    if (list === undefined) parts.set(r.label, [d]);
    else list.push(d);
  }
  const ids = [...parts.keys()].sort((a, b) => a - b);
  return new Map(ids.map((id) => [id, (parts.get(id) as string[]).join("")]));
}
