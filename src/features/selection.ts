import { InputError } from "../errors";
import { REPS, type Rep } from "../vocabulary";

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

/** A layer selection before the model's depth is known: `all`, `last`, or inclusive ranges. */
export type LayerSpec = "all" | "last" | readonly (readonly [from: number, to: number])[];

/**
 * Checks the syntax of a layer selection without the model: `all`, `last`, or comma-separated
 * numbers and ranges (`0,3-5`). Lets a command line refuse a malformed `--layers` before loading
 * anything; {@link parseLayers} checks the range against the model.
 */
export function parseLayerSpec(spec: string): LayerSpec {
  const trimmed = spec.trim();
  if (trimmed === "all" || trimmed === "last") return trimmed;
  return trimmed.split(",").map((raw) => {
    const part = raw.trim();
    const match = /^(\d{1,9})(?:-(\d{1,9}))?$/.exec(part);
    if (match === null)
      throw new InputError(`invalid --layers entry "${part}"; expected all, last, N or N-M (e.g. 1,3-5)`);
    const from = Number(match[1]);
    const to = match[2] === undefined ? from : Number(match[2]);
    if (from > to)
      throw new InputError(`invalid --layers range "${part}"; a range N-M needs N ≤ M (e.g. 3-5)`);
    return [from, to] as const;
  });
}

/**
 * Parses a layer selection: `all`, `last`, or comma-separated numbers and ranges (`1,3-5`), 1-based
 * block numbers, 0 meaning the embeddings entering block 1. A layer past the model's depth is an error.
 */
export function parseLayers(spec: string, numLayers: number): number[] {
  const parsed = parseLayerSpec(spec);
  if (parsed === "all") return Array.from({ length: numLayers }, (_, i) => i + 1);
  if (parsed === "last") return [numLayers];
  const layers = new Set<number>();
  for (const [from, to] of parsed) {
    if (to > numLayers) {
      const part = from === to ? `${from}` : `${from}-${to}`;
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

/** Whether a model has `rep` at `layer`: layer 0 is the embeddings, which have tokens but no q, k, v. */
export function hasFeature(rep: Rep, layer: number): boolean {
  return layer > 0 || rep === "tokens";
}

/** Keys that `layers` × `reps` names but no model has (q, k, v at layer 0), in request order. */
export function missingFeatures(layers: readonly number[], reps: readonly Rep[]): string[] {
  return reps.flatMap((rep) => layers.filter((l) => !hasFeature(rep, l)).map((l) => featureKey(rep, l)));
}

/**
 * Refuses a selection that names no feature at all (`--layers 0 --reps q`): the embeddings have
 * tokens only. `numLayers` is the model's depth, for the hint.
 */
export function checkSelection(layers: readonly number[], reps: readonly Rep[], numLayers: number): void {
  if (reps.some((rep) => layers.some((layer) => hasFeature(rep, layer)))) return;
  throw new InputError(
    `--layers "${layers.join(",")}" with --reps "${reps.join(",")}" selects nothing: layer 0 is the embeddings, which have tokens but no q, k, v; add tokens to --reps or choose layers from 1..${numLayers}`,
  );
}

/**
 * The one-line note for keys a selection names but that do not exist, or undefined when none do.
 *
 * @example
 * skippedNote(["q_L0", "k_L0"]); // "layer 0 (the embeddings) has no q, k, v: skipped q_L0, k_L0"
 */
export function skippedNote(missing: readonly string[]): string | undefined {
  if (missing.length === 0) return undefined;
  return `layer 0 (the embeddings) has no q, k, v: skipped ${missing.join(", ")}`;
}
