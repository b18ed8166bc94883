import { UnsupportedModelError } from "../errors";
import { halfTable } from "../util/float16";
import { type CheckpointDtype, DTYPE_BYTES, WEIGHT_DTYPES } from "./checkpoint";

/** The dtypes that decode to float32. */
export type FloatDtype = "float64" | "float32" | "float16" | "bfloat16";

/** `dtype` as a FloatDtype, or UnsupportedModelError naming the tensor and what is accepted. */
export function floatDtype(dtype: CheckpointDtype, key: string, path: string): FloatDtype {
  if ((WEIGHT_DTYPES as readonly string[]).includes(dtype)) return dtype as FloatDtype;
  throw new UnsupportedModelError(
    `tensor "${key}" in "${path}" is ${dtype}; seglens reads weights of dtype ${WEIGHT_DTYPES.join(", ")}`,
  );
}

/**
 * Reads `count` little-endian elements of `dtype` through `fill` (which fills the bytes it is
 * given) and returns them as float32, allocating nothing but the result for float32, float16 and
 * bfloat16: fresh memory costs more than the read itself for large tensors.
 */
export async function readFloats(
  count: number,
  dtype: FloatDtype,
  fill: (into: Uint8Array) => Promise<void>,
): Promise<Float32Array> {
  if (dtype === "float64") {
    const bytes = new Uint8Array(8 * count);
    await fill(bytes);
    return decodeFloats(bytes, dtype);
  }
  const out = new Float32Array(count);
  if (dtype === "float32") {
    await fill(new Uint8Array(out.buffer));
    return out;
  }
  // 2-byte elements land in the upper half of the result and widen front to back in place:
  // element i (bytes 2·count + 2i) is read before its slot (bytes 4i to 4i + 3) reaches it.
  await fill(new Uint8Array(out.buffer, 2 * count, 2 * count));
  widenHalves(out, new Uint16Array(out.buffer, 2 * count, count), dtype);
  return out;
}

function widenHalves(out: Float32Array, halves: Uint16Array, dtype: "float16" | "bfloat16"): void {
  if (dtype === "float16") {
    const table = halfTable();
    for (let i = 0; i < halves.length; i++) out[i] = table[halves[i] as number] as number;
    return;
  }
  // bfloat16 is the upper half of a float32.
  const words = new Uint32Array(out.buffer, out.byteOffset, out.length);
  for (let i = 0; i < halves.length; i++) words[i] = (halves[i] as number) << 16;
}

/**
 * Little-endian elements of `dtype` already in memory as float32 (checkpoints are little-endian,
 * as is every host Node runs on in practice). A float32 input is viewed, not copied, when aligned.
 */
export function decodeFloats(bytes: Uint8Array, dtype: FloatDtype): Float32Array {
  const width = DTYPE_BYTES[dtype];
  const count = bytes.byteLength / width;
  // Typed-array views need an offset that is a multiple of the element size.
  const aligned = bytes.byteOffset % width === 0 ? bytes : bytes.slice();
  switch (dtype) {
    case "float32":
      return new Float32Array(aligned.buffer, aligned.byteOffset, count);
    case "float16":
    case "bfloat16": {
      const out = new Float32Array(count);
      widenHalves(out, new Uint16Array(aligned.buffer, aligned.byteOffset, count), dtype);
      return out;
    }
    case "float64":
      return Float32Array.from(new Float64Array(aligned.buffer, aligned.byteOffset, count));
    default:
      return exhaustive(dtype);
  }
}

function exhaustive(dtype: never): never {
  throw new Error(`unhandled dtype ${String(dtype)}`);
}
