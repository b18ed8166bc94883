import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { readNpy } from "../../src/features/npy";

/** What models/fixtures/<id>/reference/meta.json says about a fixture. */
export interface FixtureMeta {
  id: string;
  family: string;
  exporter: string;
  num_layers: number;
  hidden_size: number;
  num_heads: number;
  patch_size: number;
  image_size: number;
  prefix_tokens: number;
  grid: [number, number];
  variants: Record<string, string>;
  references?: boolean;
}

export const FIXTURES_DIR = "models/fixtures";

/** Every committed fixture model, with its folder. */
export function listFixtures(): (FixtureMeta & { dir: string })[] {
  return readdirSync(FIXTURES_DIR, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join(FIXTURES_DIR, d.name, "reference", "meta.json")))
    .map((d) => {
      const dir = join(FIXTURES_DIR, d.name);
      const meta = JSON.parse(readFileSync(join(dir, "reference", "meta.json"), "utf8")) as FixtureMeta;
      return { ...meta, dir };
    })
    .sort((a, b) => a.id.localeCompare(b.id));
}

/** A float32 reference tensor of a fixture. */
export function reference(dir: string, name: string): { data: Float32Array; dims: number[] } {
  const array = readNpy(join(dir, "reference", `${name}.npy`));
  return { data: array.data as Float32Array, dims: array.dims };
}

/** Largest |a - b| and largest |b|, for tolerance checks relative to the reference's scale. */
export function compare(
  actual: Float32Array,
  expected: Float32Array,
): { maxAbsDiff: number; maxAbsRef: number } {
  if (actual.length !== expected.length) throw new Error(`length ${actual.length} ≠ ${expected.length}`);
  let maxAbsDiff = 0;
  let maxAbsRef = 0;
  for (let i = 0; i < actual.length; i++) {
    maxAbsDiff = Math.max(maxAbsDiff, Math.abs((actual[i] as number) - (expected[i] as number)));
    maxAbsRef = Math.max(maxAbsRef, Math.abs(expected[i] as number));
  }
  return { maxAbsDiff, maxAbsRef };
}
