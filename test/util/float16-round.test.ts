import { describe, expect, it } from "vitest";
import { float16ToFloat32, float32ToFloat16, halfTable } from "../../src/util/float16";

describe("float32ToFloat16", () => {
  const table = halfTable();
  const finite = Array.from({ length: 65536 }, (_, h) => h).filter((h) => Number.isFinite(table[h]));

  it("gives back every finite half-precision value exactly, and ±Inf", () => {
    const values = Float32Array.from(finite, (h) => table[h] as number);
    expect(Array.from(float32ToFloat16(values))).toEqual(finite);
    expect(Array.from(float32ToFloat16(Float32Array.of(Infinity, -Infinity)))).toEqual([0x7c00, 0xfc00]);
    expect(Number.isNaN(float16ToFloat32(float32ToFloat16(Float32Array.of(Number.NaN)))[0])).toBe(true);
  });

  it("rounds to the nearest half, ties to the even pattern, and past the largest half to Inf", () => {
    // Between consecutive positive halves h and h+1: just below, at and just above the midpoint.
    for (let h = 0; h < 0x7bff; h += 37) {
      const low = table[h] as number;
      const high = table[h + 1] as number;
      const mid = (low + high) / 2; // exact in float32: halves have 11 significant bits
      const below = Math.fround(mid - (high - low) / 64);
      const above = Math.fround(mid + (high - low) / 64);
      const got = float32ToFloat16(Float32Array.of(below, mid, above));
      expect(Array.from(got)).toEqual([h, h % 2 === 0 ? h : h + 1, h + 1]);
    }
    expect(Array.from(float32ToFloat16(Float32Array.of(65504, 65519, 65520, -1e6)))).toEqual([
      0x7bff, 0x7bff, 0x7c00, 0xfc00,
    ]);
  });
});
