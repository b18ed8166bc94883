import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { resampleTable } from "../../src/convert/resample-table";
import { ropeTables, timmCatRopeTables } from "../../src/convert/rope";
import { readNpy } from "../../src/features/npy";

const FIXTURES = "test/fixtures/convert";
const load = (name: string) => readNpy(join(FIXTURES, name)).data as Float32Array;

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs((a[i] as number) - (b[i] as number)));
  return worst;
}

describe("resampleTable(table, from, to, dim, antialias) against PyTorch's F.interpolate bicubic", () => {
  for (const side of [7, 5]) {
    for (const to of [4, 10]) {
      for (const antialias of [false, true]) {
        it(`${side}×${side} → ${to}×${to}, antialias ${antialias}: within 1e-5 of PyTorch`, () => {
          const out = resampleTable(load(`table-${side}.npy`), [side, side], [to, to], 3, antialias);
          const reference = load(`table-${side}-${to}-${antialias ? "aa" : "plain"}.npy`);
          expect(maxAbsDiff(out, reference)).toBeLessThan(1e-5);
        });
      }
    }
  }

  it("returns the table itself when the grids are equal", () => {
    const table = load("table-5.npy");
    expect(resampleTable(table, [5, 5], [5, 5], 3, false)).toBe(table);
  });
});

describe("ropeTables(grid, headDim, theta, prefix) against transformers' DINOv3ViTRopePositionEmbedding", () => {
  for (const [rows, columns, headDim] of [
    [4, 4, 8],
    [3, 5, 16],
  ] as const) {
    it(`${rows}×${columns} grid, head dim ${headDim}: cos and sin within 1e-6; prefix rows are cos 1, sin 0`, () => {
      const prefix = 2;
      const { cos, sin } = ropeTables([rows, columns], headDim, 100, prefix);
      const reference = load(`rope-${rows}x${columns}-hd${headDim}.npy`);
      const size = rows * columns * headDim;
      expect(maxAbsDiff(cos.subarray(prefix * headDim), reference.subarray(0, size))).toBeLessThan(1e-6);
      expect(maxAbsDiff(sin.subarray(prefix * headDim), reference.subarray(size))).toBeLessThan(1e-6);
      expect([...cos.subarray(0, prefix * headDim)].every((v) => v === 1)).toBe(true);
      expect([...sin.subarray(0, prefix * headDim)].every((v) => v === 0)).toBe(true);
    });
  }
});

describe("timmCatRopeTables(grid, headDim, rope, prefix) against timm's RotaryEmbeddingCat (Eva, Perception Encoder)", () => {
  for (const [rows, columns, refRows, refColumns, gridOffset, indexing, headDim] of [
    [14, 14, 14, 14, 1, "xy", 64],
    [3, 5, 14, 14, 1, "xy", 16],
    [3, 5, 4, 6, 0, "ij", 8],
  ] as const) {
    it(`${rows}×${columns} grid scaled to ${refRows}×${refColumns}, offset ${gridOffset}, "${indexing}", head dim ${headDim}: cos and sin within 1e-6`, () => {
      const prefix = 1;
      const { cos, sin } = timmCatRopeTables(
        [rows, columns],
        headDim,
        { kind: "timm-cat", theta: 10000, gridOffset, referenceGrid: [refRows, refColumns], indexing },
        prefix,
      );
      const reference = load(
        `timm-rope-${rows}x${columns}-ref${refRows}x${refColumns}-off${gridOffset}-${indexing}-hd${headDim}.npy`,
      );
      const size = rows * columns * headDim;
      expect(maxAbsDiff(cos.subarray(prefix * headDim), reference.subarray(0, size))).toBeLessThan(1e-6);
      expect(maxAbsDiff(sin.subarray(prefix * headDim), reference.subarray(size))).toBeLessThan(1e-6);
      expect([...cos.subarray(0, prefix * headDim)].every((v) => v === 1)).toBe(true);
      expect([...sin.subarray(0, prefix * headDim)].every((v) => v === 0)).toBe(true);
    });
  }
});
