import { Matrix } from "ml-matrix";
import { maximumMatching } from "./hungarian";

/**
 * The relabelling that makes `labels` (0..k-1) best overlap `reference` (0..kRef-1), by maximum
 * one-to-one overlap (Hungarian on the k × kRef overlap matrix). `mapping[label]` is
 * the new id: a matched label takes its reference label's id; labels left unmatched (k > kRef) take
 * kRef, kRef+1, … by decreasing size. With k = kRef this is a permutation of 0..k-1; with k < kRef
 * the ids stay within the reference's, so colours stay consistent across K.
 */
export function matchLabels(labels: Int32Array, k: number, reference: Int32Array, kRef: number): Int32Array {
  const overlap = new Matrix(k, kRef);
  const sizes = new Float64Array(k);
  for (let i = 0; i < labels.length; i++) {
    const a = labels[i] as number;
    const b = reference[i] as number;
    overlap.set(a, b, overlap.get(a, b) + 1);
    sizes[a] = (sizes[a] as number) + 1;
  }
  const mapping = maximumMatching(overlap);
  const unmatched = [...mapping.keys()].filter((label) => mapping[label] === -1);
  unmatched.sort((a, b) => (sizes[b] as number) - (sizes[a] as number) || a - b);
  unmatched.forEach((label, i) => {
    mapping[label] = kRef + i;
  });
  return mapping;
}

/** `labels` relabelled through `mapping` (a new array). */
export function relabel(labels: Int32Array, mapping: Int32Array): Int32Array {
  const out = new Int32Array(labels.length);
  for (let i = 0; i < labels.length; i++) out[i] = mapping[labels[i] as number] as number;
  return out;
}

/**
 * Aligns a sequence of label arrays (e.g. layers 1..L of one representation, all with `k`
 * clusters) so that each matches the previous one after its own alignment: a cluster that persists
 * through depth keeps its id, hence its colour.
 */
export function alignSequence(sequence: readonly Int32Array[], k: number): Int32Array[] {
  const aligned: Int32Array[] = [];
  for (const labels of sequence) {
    const previous = aligned.at(-1);
    aligned.push(previous === undefined ? labels : relabel(labels, matchLabels(labels, k, previous, k)));
  }
  return aligned;
}
