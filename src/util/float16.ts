let table: Float32Array | undefined;

/** The float32 value of each of the 65,536 half-precision bit patterns, built on first use: a lookup beats per-element bit math. */
export function halfTable(): Float32Array {
  if (table !== undefined) return table;
  table = new Float32Array(65536);
  for (let h = 0; h < 65536; h++) {
    const sign = h & 0x8000 ? -1 : 1;
    const exponent = (h >> 10) & 0x1f;
    const fraction = h & 0x3ff;
    if (exponent === 0) table[h] = sign * 2 ** -14 * (fraction / 1024);
    else if (exponent === 31) table[h] = fraction === 0 ? sign * Number.POSITIVE_INFINITY : Number.NaN;
    else table[h] = sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
  }
  return table;
}

/** Converts IEEE 754 half-precision bit patterns (as onnxruntime returns float16) to float32. */
export function float16ToFloat32(bits: Uint16Array): Float32Array {
  const lookup = halfTable();
  const out = new Float32Array(bits.length);
  for (let i = 0; i < bits.length; i++) out[i] = lookup[bits[i] as number] as number;
  return out;
}
