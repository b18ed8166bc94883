import type { TimmCatRope } from "./vit-spec";

const f32 = Math.fround;

/**
 * The cosine and sine tables of DINOv3's 2D RoPE for a `[rows, columns]` patch grid, `[prefix +
 * rows·columns, headDim]` row-major, with cos 1 / sin 0 rows for the `prefix` tokens (which RoPE
 * leaves alone). Patch centres are normalised to [−1, 1] per axis; the first half of each row holds
 * the angles of the row coordinate, then those of the column coordinate, each `headDim / 4` inverse
 * frequencies `theta^(−4i/headDim)`, and the half is repeated. Computed in float32 steps as PyTorch
 * does (transformers' `DINOv3ViTRopePositionEmbedding`).
 */
export function ropeTables(
  grid: readonly [rows: number, columns: number],
  headDim: number,
  theta: number,
  prefix: number,
): { cos: Float32Array; sin: Float32Array } {
  const [rows, columns] = grid;
  const quarter = headDim / 4;
  const inverseFrequencies = Array.from({ length: quarter }, (_, i) =>
    f32(1 / f32(theta ** f32((4 * i) / headDim))),
  );
  const tokens = prefix + rows * columns;
  const cos = new Float32Array(tokens * headDim).fill(1);
  const sin = new Float32Array(tokens * headDim);
  const twoPi = f32(2 * Math.PI);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < columns; c++) {
      const coordinates = [f32(2 * f32(f32(r + 0.5) / rows) - 1), f32(2 * f32(f32(c + 0.5) / columns) - 1)];
      const row = (prefix + r * columns + c) * headDim;
      for (let axis = 0; axis < 2; axis++) {
        for (let i = 0; i < quarter; i++) {
          const angle = f32(f32(twoPi * (coordinates[axis] as number)) * (inverseFrequencies[i] as number));
          for (const offset of [0, headDim / 2]) {
            cos[row + offset + axis * quarter + i] = Math.cos(angle);
            sin[row + offset + axis * quarter + i] = Math.sin(angle);
          }
        }
      }
    }
  }
  return { cos, sin };
}

/**
 * The cosine and sine tables of timm's `RotaryEmbeddingCat` (Perception Encoder's RoPE) for a
 * `[rows, columns]` patch grid, `[prefix + rows·columns, headDim]` row-major, with cos 1 / sin 0
 * rows for the `prefix` tokens. Patch (r, c) has coordinates `(r + offset) / rows · refRows` and
 * `(c + offset) / columns · refColumns`; with "xy" indexing the column's come first. Each coordinate
 * turns headDim/4 channel pairs by the inverse frequencies `theta^(−i/(headDim/4))`, and each angle
 * fills both channels of its pair (timm's `repeat_interleave(2)`). Computed in float32 steps as
 * PyTorch does (`build_fourier_pos_embed`).
 */
export function timmCatRopeTables(
  grid: readonly [rows: number, columns: number],
  headDim: number,
  rope: TimmCatRope,
  prefix: number,
): { cos: Float32Array; sin: Float32Array } {
  const [rows, columns] = grid;
  const bands = headDim / 4;
  const frequencies = Array.from({ length: bands }, (_, i) => f32(1 / f32(rope.theta ** f32(i / bands))));
  const axis = (count: number, reference: number) =>
    Array.from({ length: count }, (_, i) => f32(f32(f32(i + rope.gridOffset) / count) * reference));
  const rowCoordinates = axis(rows, rope.referenceGrid[0]);
  const columnCoordinates = axis(columns, rope.referenceGrid[1]);
  const tokens = prefix + rows * columns;
  const cos = new Float32Array(tokens * headDim).fill(1);
  const sin = new Float32Array(tokens * headDim);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < columns; c++) {
      const [rowCoordinate, columnCoordinate] = [rowCoordinates[r] as number, columnCoordinates[c] as number];
      const coordinates =
        rope.indexing === "xy" ? [columnCoordinate, rowCoordinate] : [rowCoordinate, columnCoordinate];
      const row = (prefix + r * columns + c) * headDim;
      for (let a = 0; a < 2; a++) {
        for (let i = 0; i < bands; i++) {
          const angle = f32((coordinates[a] as number) * (frequencies[i] as number));
          const channel = row + 2 * (a * bands + i);
          cos[channel] = cos[channel + 1] = Math.cos(angle);
          sin[channel] = sin[channel + 1] = Math.sin(angle);
        }
      }
    }
  }
  return { cos, sin };
}
