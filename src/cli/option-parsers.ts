import { statSync } from "node:fs";
import { Option } from "commander";
import { InputError } from "../errors";
import { parseDepths } from "../features/relative-depth";
import { parseLayerSpec, parseReps } from "../features/selection";
import { parseShard, type Shard } from "../features/shard";
import type { Rgb } from "../images/preprocess-config";
import { type HeadChoice, parseHeads } from "../lenses/attention-maps";
import { parseMemorySize } from "../models/memory-estimate";

/**
 * Parsers for option values. Each throws an InputError that names the flag, quotes the value and
 * says what is accepted, so a bad value reads like every other bad input (commander's own
 * `InvalidArgumentError` would print its own wording and exit 1).
 */
type Parser<T> = (value: string) => T;

/** An integer in `min..max` (inclusive), written in decimal: `2.5`, `1e3` and `0x10` are refused. */
export function integerIn(flag: string, min: number, max: number): Parser<number> {
  return (value) => {
    const n = /^\s*[+-]?\d+\s*$/.test(value) ? Number(value) : Number.NaN;
    if (!Number.isSafeInteger(n) || n < min || n > max)
      throw new InputError(`invalid ${flag} "${value}": expected an integer in ${min}..${max}`);
    return n;
  };
}

/** A decimal number in `min..max` (inclusive): `0.6`, `1`, `.5`; `1e0`, `0x1` and `NaN` are refused. */
export function numberIn(flag: string, min: number, max: number): Parser<number> {
  return (value) => {
    const n = /^\s*(\d+(\.\d*)?|\.\d+)\s*$/.test(value) ? Number(value) : Number.NaN;
    if (!(n >= min && n <= max))
      throw new InputError(`invalid ${flag} "${value}": expected a number in ${min}..${max}`);
    return n;
  };
}

/** Three comma-separated finite numbers; `positive` also requires each above 0 (a std). */
export function rgb(flag: string, options: { positive?: boolean } = {}): Parser<Rgb> {
  return (value) => {
    const parts = value.split(",").map((p) => (p.trim() === "" ? Number.NaN : Number(p)));
    const ok = parts.length === 3 && parts.every((p) => Number.isFinite(p) && (!options.positive || p > 0));
    if (!ok) {
      const what = options.positive ? "three numbers above 0" : "three numbers";
      throw new InputError(`invalid ${flag} "${value}": expected ${what}, comma-separated (R,G,B)`);
    }
    return [parts[0] as number, parts[1] as number, parts[2] as number];
  };
}

/** One of `choices`, exactly. */
export function oneOf<T extends string>(flag: string, choices: readonly T[]): Parser<T> {
  return (value) => {
    if (!(choices as readonly string[]).includes(value))
      throw new InputError(`invalid ${flag} "${value}": expected one of ${choices.join(", ")}`);
    return value as T;
  };
}

/** An option whose value is one of `choices` (listed in --help), refused in seglens' words otherwise. */
export function choiceOption<T extends string>(
  flags: string,
  description: string,
  choices: readonly T[],
  defaultValue: T,
): Option {
  const flag = flags.split(" ")[0] as string;
  return new Option(flags, description)
    .choices(choices)
    .default(defaultValue)
    .argParser(oneOf(flag, choices));
}

/** A `--heads` value (`mean`, `all`, or head numbers from 0), checked for syntax at once. */
export function headsSpec(value: string): HeadChoice {
  return parseHeads(value);
}

/** A `--layers` value, checked for syntax at once (the range is checked against the model later). */
export function layerSpec(value: string): string {
  parseLayerSpec(value);
  return value;
}

/** A `--depth` value: fractions of each model's depth, each in 0..1 (`0.25,0.5,1`). */
export function depthList(value: string): number[] {
  return parseDepths(value);
}

/** A `--reps` value, checked at once. */
export function repsSpec(value: string): string {
  parseReps(value);
  return value;
}

/** A path to an existing folder, checked before any work starts. */
export function existingFolder(flag: string): Parser<string> {
  return (value) => {
    let isFolder = false;
    try {
      isFolder = statSync(value).isDirectory();
    } catch {
      throw new InputError(`${flag} "${value}" does not exist; expected a folder`);
    }
    if (!isFolder) throw new InputError(`${flag} "${value}" is not a folder`);
    return value;
  };
}

/** A comma-separated list of non-empty names (`--models A,B`). */
export function nameList(flag: string): Parser<string[]> {
  return (value) => {
    const names = value.split(",").map((m) => m.trim());
    if (names.length === 0 || names.some((m) => m.length === 0))
      throw new InputError(`invalid ${flag} "${value}": expected comma-separated names, e.g. A,B`);
    return names;
  };
}

/** A `--max-memory` value (`8G`, `512M`, bytes, `off`), checked at once and kept as written. */
export function memorySize(flag: string): Parser<string> {
  return (value) => {
    parseMemorySize(value, flag);
    return value;
  };
}

/** A `--shard` value: `i/N` (from 0), or `auto` in a SLURM array job. */
export function shardSpec(value: string): Shard {
  return parseShard(value);
}
