/**
 * Which way each principal component points. An eigenvector's sign is arbitrary, and a flipped
 * component swaps its colour channel end for end, so the PCA colours of neighbouring layers would
 * jump. Two rules fix it:
 *
 * - **after the first layer**, a component points the way the same component of the previous layer
 *   did: the sum over the patches fitted in both layers of the product of the two layers'
 *   projections is positive (projections are centred, so this is the sign of their correlation);
 * - **the first layer** (or when that sum is exactly 0: no shared patches, or a component that
 *   vanished) takes the rule that needs nothing else: the projections' skewness is positive, so
 *   the long tail — the few patches that stand out — is at the high end. A symmetric distribution
 *   (|skewness| below 1e-6) falls back to the component's entry of largest magnitude (the first
 *   of equals) being positive.
 */

// Below this |skewness|, the distribution is taken as symmetric and the skewness's sign as noise.
const SYMMETRIC = 1e-6;

/** What a component's sign is compared with: the previous layer's projections of the same patches. */
export interface SignReference {
  /** `[rows, 3]`. */
  projections: Float64Array;
  /** 1 for the patches that layer fitted. */
  fitted: Uint8Array;
}

/** +1 or −1: the sign that makes column `c` of `projections` skewed to the right, or the fallback. */
function firstLayerSign(
  projections: Float64Array,
  c: number,
  fitted: Uint8Array,
  component: Float64Array,
  d: number,
): number {
  let m2 = 0;
  let m3 = 0;
  let count = 0;
  for (let r = 0; r < fitted.length; r++) {
    if (fitted[r] === 0) continue;
    const p = projections[r * 3 + c] as number;
    m2 += p * p;
    m3 += p * p * p;
    count++;
  }
  if (count > 0 && m2 > 0) {
    const skewness = m3 / count / (m2 / count) ** 1.5;
    if (Math.abs(skewness) > SYMMETRIC) return skewness > 0 ? 1 : -1;
  }
  let largest = 0;
  for (let j = 0; j < d; j++) {
    const v = component[c * d + j] as number;
    if (Math.abs(v) > Math.abs(largest)) largest = v;
  }
  return largest < 0 ? -1 : 1;
}

/** Σ over patches fitted in both layers of the product of column `c`'s projections. */
function agreement(
  projections: Float64Array,
  fitted: Uint8Array,
  reference: SignReference,
  c: number,
): number {
  let sum = 0;
  for (let r = 0; r < fitted.length; r++) {
    if (fitted[r] === 0 || reference.fitted[r] === 0) continue;
    sum += (projections[r * 3 + c] as number) * (reference.projections[r * 3 + c] as number);
  }
  return sum;
}

/**
 * Flips, in place, every component (a row of `components`, `[3, d]`) and its column of
 * `projections` (`[rows, 3]`) that points against the rules above.
 */
export function fixSigns(
  components: Float64Array,
  projections: Float64Array,
  fitted: Uint8Array,
  d: number,
  reference?: SignReference,
): void {
  for (let c = 0; c < 3; c++) {
    const shared = reference === undefined ? 0 : agreement(projections, fitted, reference, c);
    const sign = shared !== 0 ? Math.sign(shared) : firstLayerSign(projections, c, fitted, components, d);
    if (sign > 0) continue;
    for (let j = 0; j < d; j++) components[c * d + j] = -(components[c * d + j] as number);
    for (let r = 0; r < fitted.length; r++) projections[r * 3 + c] = -(projections[r * 3 + c] as number);
  }
}
