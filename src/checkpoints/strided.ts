import { elementCount } from "./checkpoint";

/** Whether `strides` (in elements) lay `dims` out in C order with no gaps; size-1 axes may have any stride. */
export function isContiguous(dims: readonly number[], strides: readonly number[]): boolean {
  let expected = 1;
  for (let axis = dims.length - 1; axis >= 0; axis--) {
    const size = dims[axis] as number;
    if (size !== 1 && strides[axis] !== expected) return false;
    expected *= size;
  }
  return true;
}

/** The number of storage elements from a view's first element to its last, inclusive (0 when empty). */
export function stridedSpan(dims: readonly number[], strides: readonly number[]): number {
  if (dims.some((d) => d === 0)) return 0;
  return dims.reduce((span, d, axis) => span + (d - 1) * (strides[axis] as number), 1);
}

/**
 * Copies the view `dims`/`strides` starting at element `base` of `source` into a new C-order array,
 * walking the strides as torch does for a non-contiguous tensor (e.g. a transpose).
 */
export function gatherStrided(
  source: Float32Array,
  base: number,
  dims: readonly number[],
  strides: readonly number[],
): Float32Array {
  const out = new Float32Array(elementCount(dims));
  if (out.length === 0) return out;
  if (dims.length === 0) {
    out[0] = source[base] as number;
    return out;
  }
  const last = dims.length - 1;
  const rowLength = dims[last] as number;
  const rowStride = strides[last] as number;
  const index = new Array<number>(dims.length).fill(0);
  let start = base;
  let o = 0;
  for (;;) {
    for (let j = 0; j < rowLength; j++) out[o++] = source[start + j * rowStride] as number;
    // Odometer over the outer axes: advance the innermost one that has room, reset those after it.
    let axis = last - 1;
    for (; axis >= 0; axis--) {
      const stride = strides[axis] as number;
      start += stride;
      const next = (index[axis] as number) + 1;
      if (next < (dims[axis] as number)) {
        index[axis] = next;
        break;
      }
      start -= stride * (dims[axis] as number);
      index[axis] = 0;
    }
    if (axis < 0) return out;
  }
}
