import { mkdtempSync, readdirSync, readFileSync, statSync, truncateSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { createNpyWriter, npyHeader, readNpy, writeNpy } from "../../src/features/npy";

const dir = mkdtempSync(join(tmpdir(), "seglens-npy-"));

describe("npy", () => {
  it("npyHeader matches numpy.save's header byte for byte (file written by numpy)", () => {
    const numpyFile = readFileSync("models/fixtures/vit-tf4/reference/pixel_values.npy");
    const ours = npyHeader("float32", readNpy("models/fixtures/vit-tf4/reference/pixel_values.npy").dims);
    expect(ours.length % 64).toBe(0);
    expect(Buffer.from(numpyFile.subarray(0, ours.length)).equals(ours)).toBe(true);
  });

  it("writeNpy then readNpy returns the same int32 values and shape", () => {
    const path = join(dir, "labels.npy");
    const data = Int32Array.from([0, 1, 2, 3, 4, -5]);
    writeNpy(path, { dtype: "int32", dims: [2, 3], data });
    const back = readNpy(path);
    expect(back.dtype).toBe("int32");
    expect(back.dims).toEqual([2, 3]);
    expect([...back.data]).toEqual([0, 1, 2, 3, 4, -5]);
  });

  it("createNpyWriter preallocates the whole file and accepts batches out of order", () => {
    const path = join(dir, "features.npy");
    const writer = createNpyWriter(path, "float32", [3, 2]);
    expect(statSync(path).size).toBe(npyHeader("float32", [3, 2]).length + 3 * 2 * 4);
    writer.write(4, Float32Array.from([5, 6]));
    writer.write(0, Float32Array.from([1, 2, 3, 4]));
    writer.close();
    expect([...readNpy(path).data]).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it("readNpy rejects a truncated file (killed writer, full disk), naming it and the shape", () => {
    const path = join(dir, "short.npy");
    writeNpy(path, { dtype: "float32", dims: [4, 8], data: new Float32Array(32) });
    truncateSync(path, statSync(path).size - 4);
    expect(() => readNpy(path)).toThrow(
      /truncated \.npy file ".*short\.npy": 124 data bytes for shape \(4, 8\) <f4/,
    );
  });

  it("writeNpy leaves no temporary file beside the array", () => {
    const sub = mkdtempSync(join(dir, "atomic-"));
    writeNpy(join(sub, "a.npy"), { dtype: "uint8", dims: [3], data: Uint8Array.from([1, 2, 3]) });
    expect(readdirSync(sub)).toEqual(["a.npy"]);
  });

  it("readNpy rejects a file that is not .npy, naming it", () => {
    expect(() => readNpy("package.json")).toThrow(/not a \.npy file: "package.json"/);
  });
});
