import { join } from "node:path";
import { readNpy } from "../../src/features/npy";

/** The folder of the image fixtures (see test/fixtures/images/README.md). */
export const FIXTURES = join(__dirname, "..", "fixtures", "images");

/** The sample photos in models/samples. */
export const SAMPLES = join(__dirname, "..", "..", "models", "samples");

/** A fixture's path. */
export function fixture(name: string): string {
  return join(FIXTURES, name);
}

/** A uint8 fixture .npy as flat data plus dims. */
export function readUint8Npy(name: string): { data: Uint8Array; dims: number[] } {
  const { data, dims } = readNpy(fixture(name));
  if (!(data instanceof Uint8Array)) {
    throw new Error(`fixture ${name} is not uint8`);
  }
  return { data, dims };
}

/** A float32 fixture .npy as flat data plus dims. */
export function readFloat32Npy(name: string): { data: Float32Array; dims: number[] } {
  const { data, dims } = readNpy(fixture(name));
  if (!(data instanceof Float32Array)) {
    throw new Error(`fixture ${name} is not float32`);
  }
  return { data, dims };
}

/** The largest absolute element-wise difference of two equally long arrays. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) {
    throw new Error(`length mismatch: ${a.length} vs ${b.length}`);
  }
  let max = 0;
  for (let i = 0; i < a.length; i++) {
    max = Math.max(max, Math.abs(a[i] - b[i]));
  }
  return max;
}
