import { readFileSync } from "node:fs";
import { join } from "node:path";
import { expect } from "vitest";
import type { Checkpoint } from "../../src/checkpoints/index";

/** The folder of the checkpoint fixtures that make-checkpoints.py wrote with torch and safetensors. */
export const CHECKPOINTS = "test/fixtures/checkpoints";

interface ExpectedTensor {
  dtype: string;
  dims: number[];
  values: (number | string)[] | null;
}

interface ExpectedFile {
  keys: string[];
  tensors: Record<string, ExpectedTensor>;
}

const all = JSON.parse(readFileSync(join(CHECKPOINTS, "expected.json"), "utf8")) as Record<
  string,
  ExpectedFile
>;

/** What torch or safetensors says `file` holds. */
export function expectedFile(file: string): ExpectedFile {
  const found = all[file];
  if (found === undefined) throw new Error(`expected.json has no entry for ${file}`);
  return found;
}

/** A tensor's expected float32 values (the JSON spells non-finite ones as strings). */
export function expectedValues(tensor: ExpectedTensor): Float32Array {
  return Float32Array.from(tensor.values ?? [], (v) => (typeof v === "string" ? Number(v) : v));
}

/** Every floating-point tensor of `checkpoint` reads back bit-exact with what the Python libraries wrote. */
export async function expectAllTensors(checkpoint: Checkpoint, file: string): Promise<void> {
  const expected = expectedFile(file);
  expect(checkpoint.keys()).toEqual(expected.keys);
  for (const key of expected.keys) {
    const tensor = expected.tensors[key] as ExpectedTensor;
    expect(checkpoint.info(key), key).toEqual({ dtype: tensor.dtype, dims: tensor.dims });
    if (tensor.values === null) continue;
    const read = await checkpoint.read(key);
    expect(read.dims, key).toEqual(tensor.dims);
    expect(read.data, key).toBeInstanceOf(Float32Array);
    // Bit patterns, so -0 and NaN count too.
    expect(Array.from(new Uint32Array(Float32Array.from(read.data).buffer)), key).toEqual(
      Array.from(new Uint32Array(expectedValues(tensor).buffer)),
    );
  }
}
