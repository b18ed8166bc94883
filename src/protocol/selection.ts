import { InputError } from "../errors";

/** The representations seglens clusters: block output tokens and the attention projections. */
export const REPS = Object.freeze(["tokens", "q", "k", "v"] as const);
export type Rep = (typeof REPS)[number];

/** Whether `value` is one of {@link REPS}. */
export function isRep(value: unknown): value is Rep {
  return typeof value === "string" && (REPS as readonly string[]).includes(value);
}

/** Parses `tokens,q,k,v` (any subset, any order; duplicates dropped). */
export function parseReps(spec: string): Rep[] {
  const reps: Rep[] = [];
  for (const part of spec.split(",").map((s) => s.trim())) {
    if (!isRep(part))
      throw new InputError(`invalid --reps entry "${part}"; expected some of ${REPS.join(",")}`);
    if (!reps.includes(part)) reps.push(part);
  }
  return reps;
}

/**
 * Parses a layer selection: `all`, `last`, or comma-separated numbers and ranges (`1,3-5`), 1-based
 * block numbers, 0 meaning the embeddings entering block 1. Out of range is an error (design §6).
 */
export function parseLayers(spec: string, numLayers: number): number[] {
  if (spec.trim() === "all") return Array.from({ length: numLayers }, (_, i) => i + 1);
  if (spec.trim() === "last") return [numLayers];
  const layers = new Set<number>();
  for (const part of spec.split(",").map((s) => s.trim())) {
    const match = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (match === null)
      throw new InputError(`invalid --layers entry "${part}"; expected all, last, N or N-M (e.g. 1,3-5)`);
    const from = Number(match[1]);
    const to = match[2] === undefined ? from : Number(match[2]);
    if (from > to || to > numLayers) {
      throw new InputError(`--layers "${part}" is out of range: the model has layers 0..${numLayers}`);
    }
    for (let l = from; l <= to; l++) layers.add(l);
  }
  return [...layers].sort((a, b) => a - b);
}

/** The key of one feature array, as in file names: `q_L3`. */
export function featureKey(rep: Rep, layer: number): string {
  return `${rep}_L${layer}`;
}
