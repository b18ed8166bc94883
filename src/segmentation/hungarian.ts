import type { Matrix } from "ml-matrix";

/**
 * Maximum-weight one-to-one matching on a rows × columns score matrix (Hungarian method,
 * O(n³) on the padded square): `assignment[row]` is the matched column, or -1 when there are more
 * rows than columns and the row is left out. Used on K × K overlap and confusion matrices.
 */
export function maximumMatching(scores: Matrix): Int32Array {
  const rows = scores.rows;
  const columns = scores.columns;
  const n = Math.max(rows, columns);
  const top = rows * columns === 0 ? 0 : scores.max();
  // Costs on a square matrix padded with zero-score entries (cost = top − score ≥ 0).
  const cost = (r: number, c: number): number => (r < rows && c < columns ? top - scores.get(r, c) : top);
  const u = new Float64Array(n + 1);
  const v = new Float64Array(n + 1);
  const rowOf = new Int32Array(n + 1); // rowOf[column] (1-based), 0 = free
  const way = new Int32Array(n + 1);
  for (let r = 1; r <= n; r++) {
    rowOf[0] = r;
    let column = 0;
    const minimum = new Float64Array(n + 1).fill(Number.POSITIVE_INFINITY);
    const used = new Uint8Array(n + 1);
    do {
      used[column] = 1;
      const row = rowOf[column] as number;
      let delta = Number.POSITIVE_INFINITY;
      let next = 0;
      for (let c = 1; c <= n; c++) {
        if (used[c]) continue;
        const reduced = cost(row - 1, c - 1) - (u[row] as number) - (v[c] as number);
        if (reduced < (minimum[c] as number)) {
          minimum[c] = reduced;
          way[c] = column;
        }
        if ((minimum[c] as number) < delta) {
          delta = minimum[c] as number;
          next = c;
        }
      }
      for (let c = 0; c <= n; c++) {
        if (used[c]) {
          u[rowOf[c] as number] = (u[rowOf[c] as number] as number) + delta;
          v[c] = (v[c] as number) - delta;
        } else minimum[c] = (minimum[c] as number) - delta;
      }
      column = next;
    } while (rowOf[column] !== 0);
    do {
      const previous = way[column] as number;
      rowOf[column] = rowOf[previous] as number;
      column = previous;
    } while (column !== 0);
  }
  const assignment = new Int32Array(rows).fill(-1);
  for (let c = 1; c <= n; c++) {
    const r = (rowOf[c] as number) - 1;
    if (r >= 0 && r < rows && c - 1 < columns) assignment[r] = c - 1;
  }
  return assignment;
}
