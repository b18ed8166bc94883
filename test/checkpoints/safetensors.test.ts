import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { openCheckpoint, openSafetensors } from "../../src/checkpoints/index";
import { InputError, UnsupportedModelError } from "../../src/errors";
import { testCacheDir } from "../support/temp";
import { CHECKPOINTS, expectAllTensors } from "./expected";

const temp = testCacheDir();
afterAll(() => temp.remove());

/** A safetensors file with `header` as its JSON header and `data` after it. */
function writeSafetensors(name: string, header: unknown, data = new Uint8Array(0), length?: bigint): string {
  const json = Buffer.from(JSON.stringify(header));
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(length ?? BigInt(json.length));
  const path = join(temp.path, name);
  writeFileSync(path, Buffer.concat([prefix, json, data]));
  return path;
}

const f32 = (shape: number[], begin: number, end: number) => ({
  dtype: "F32",
  shape,
  data_offsets: [begin, end],
});

describe("safetensors", () => {
  it("openCheckpoint reads F32, F16 (inf, nan, -0, subnormal), BF16 and F64 written by safetensors as exact float32", async () => {
    const checkpoint = await openCheckpoint(join(CHECKPOINTS, "dtypes.safetensors"));
    try {
      expect(checkpoint.format).toBe("safetensors");
      await expectAllTensors(checkpoint, "dtypes.safetensors");
      expect(checkpoint.metadata).toEqual({ format: "pt", note: "seglens fixture" });
      expect(checkpoint.info("scalar")).toEqual({ dtype: "float32", dims: [] });
      expect((await checkpoint.read("empty")).data.length).toBe(0);
    } finally {
      await checkpoint.close();
    }
  });

  it("an integer tensor is listed with its dtype but reading it as weights is refused", async () => {
    const checkpoint = await openSafetensors(join(CHECKPOINTS, "dtypes.safetensors"));
    expect(checkpoint.info("i64")).toEqual({ dtype: "int64", dims: [3] });
    const refusal = checkpoint.read("i64");
    await expect(refusal).rejects.toThrow(UnsupportedModelError);
    await expect(refusal).rejects.toThrow(
      /tensor "i64" in ".*dtypes\.safetensors" is int64; seglens reads weights of dtype float64, float32, float16, bfloat16/,
    );
    await expect(checkpoint.read("missing")).rejects.toThrow(
      /no tensor "missing" in ".*dtypes\.safetensors"/,
    );
    await checkpoint.close();
  });

  it("a sharded checkpoint opened by its index reads every tensor from its shard, keys in weight_map order", async () => {
    const checkpoint = await openCheckpoint(join(CHECKPOINTS, "sharded", "model.safetensors.index.json"));
    await expectAllTensors(checkpoint, "sharded/model.safetensors.index.json");
    expect(checkpoint.metadata).toHaveProperty("total_size");
    await checkpoint.close();
  });

  it("reads after close fail instead of reading another file", async () => {
    const checkpoint = await openCheckpoint(join(CHECKPOINTS, "dtypes.safetensors"));
    await checkpoint.close();
    await expect(checkpoint.read("f32")).rejects.toThrow(/checkpoint ".*" was closed; open it again to read/);
  });
});

describe("safetensors: corrupt and hostile files give one InputError naming the file", () => {
  const real = readFileSync(join(CHECKPOINTS, "dtypes.safetensors"));
  const cases: [string, () => string, RegExp][] = [
    [
      "a zero-byte file",
      () => writeFile("empty.safetensors", new Uint8Array(0)),
      /checkpoint ".*empty\.safetensors" is empty \(0 bytes\)/,
    ],
    [
      "a file cut in the data",
      () => writeFile("cut-data.safetensors", real.subarray(0, real.length - 10)),
      /tensor "\w+" ends at byte \d+ of a \d+-byte data area \(truncated\?\)/,
    ],
    [
      "a file cut in the header",
      () => writeFile("cut-header.safetensors", real.subarray(0, 40)),
      /header length \d+ exceeds the 32 bytes after it/,
    ],
    [
      "a file of 5 bytes",
      () => writeFile("short.safetensors", real.subarray(0, 5)),
      /5 bytes, too short for a header length/,
    ],
    [
      "a header length of 2^64 - 1",
      () => writeSafetensors("huge-length.safetensors", {}, undefined, 2n ** 64n - 1n),
      /header length 18446744073709551615 exceeds the 2 bytes after it/,
    ],
    [
      "a header that is not JSON",
      () =>
        writeFile(
          "not-json.safetensors",
          Buffer.concat([Buffer.from([4, 0, 0, 0, 0, 0, 0, 0]), Buffer.from("{abc")]),
        ),
      /header is not JSON/,
    ],
    [
      "a header that is a JSON array",
      () => writeSafetensors("array.safetensors", [1, 2]),
      /header is not a JSON object/,
    ],
    [
      "offsets beyond the data",
      () => writeSafetensors("beyond.safetensors", { a: f32([2], 0, 8) }, new Uint8Array(4)),
      /tensor "a" ends at byte 8 of a 4-byte data area/,
    ],
    [
      "overlapping tensors",
      () =>
        writeSafetensors("overlap.safetensors", { a: f32([2], 0, 8), b: f32([1], 4, 8) }, new Uint8Array(8)),
      /tensor "b" overlaps tensor "a"/,
    ],
    [
      "a gap between tensors",
      () =>
        writeSafetensors("gap.safetensors", { a: f32([1], 0, 4), b: f32([1], 8, 12) }, new Uint8Array(12)),
      /gap of 4 bytes before tensor "b"/,
    ],
    [
      "bytes after the last tensor",
      () => writeSafetensors("tail.safetensors", { a: f32([1], 0, 4) }, new Uint8Array(8)),
      /4 bytes after the last tensor belong to none/,
    ],
    [
      "a shape that does not match the byte range",
      () => writeSafetensors("shape.safetensors", { a: f32([3], 0, 8) }, new Uint8Array(8)),
      /tensor "a" of shape \[3\] and dtype F32 needs 12 bytes but spans 8/,
    ],
    [
      "a shape whose product overflows 2^53",
      () => writeSafetensors("overflow.safetensors", { a: f32([2 ** 30, 2 ** 30, 2 ** 30, 8], 0, 0) }),
      /needs \d+ bytes but spans 0/,
    ],
    [
      "a negative dimension",
      () => writeSafetensors("negative.safetensors", { a: f32([-1], 0, 0) }),
      /shape \[-1\]; expected an array of non-negative integers/,
    ],
    [
      "reversed offsets",
      () => writeSafetensors("reversed.safetensors", { a: f32([1], 4, 0) }, new Uint8Array(4)),
      /data_offsets \[4,0\]; expected \[begin, end\] with begin ≤ end/,
    ],
    [
      "__metadata__ with a number",
      () => writeSafetensors("metadata.safetensors", { __metadata__: { epoch: 3 } }),
      /__metadata__ is not an object of strings/,
    ],
  ];
  for (const [what, make, message] of cases) {
    it(`${what}`, async () => {
      const path = make();
      const attempt = openCheckpoint(path);
      await expect(attempt).rejects.toThrow(InputError);
      await expect(attempt).rejects.toThrow(message);
      const error = await attempt.catch((e: Error) => e);
      expect((error as Error).message).toContain(path);
      expect((error as Error).message).not.toContain("\n");
    });
  }

  it("an unknown dtype is UnsupportedModelError listing the dtypes seglens knows", async () => {
    const path = writeSafetensors(
      "f4.safetensors",
      { a: { dtype: "F4", shape: [2], data_offsets: [0, 1] } },
      new Uint8Array(1),
    );
    await expect(openCheckpoint(path)).rejects.toThrow(UnsupportedModelError);
    await expect(openCheckpoint(path)).rejects.toThrow(
      /tensor "a" has dtype "F4"; seglens knows F64, F32, F16, BF16/,
    );
  });

  it("a folder and a file of another kind are InputErrors saying what to pass", async () => {
    await expect(openCheckpoint(CHECKPOINTS)).rejects.toThrow(
      /^checkpoint ".*checkpoints" is a folder; pass the weights file in it \(model\.safetensors, model\.safetensors\.index\.json, a \.pth or \.bin\)$/,
    );
    await expect(openCheckpoint("package.json")).rejects.toThrow(
      /^"package\.json" is not a checkpoint seglens reads; expected safetensors \(\.safetensors, model\.safetensors\.index\.json\) or a torch zip checkpoint \(\.pth, \.pth\.tar, \.bin\)$/,
    );
  });

  it("a missing file is an InputError naming it", async () => {
    await expect(openCheckpoint(join(temp.path, "nope.safetensors"))).rejects.toThrow(
      /cannot open checkpoint ".*nope\.safetensors"/,
    );
  });
});

describe("sharded safetensors: a hostile index cannot reach other files", () => {
  function shardedCopy(name: string, weightMap: Record<string, unknown>): string {
    const folder = join(temp.path, name);
    mkdirSync(folder, { recursive: true });
    copyFileSync(
      join(CHECKPOINTS, "sharded", "model-00001-of-00003.safetensors"),
      join(folder, "model-00001-of-00003.safetensors"),
    );
    const index = join(folder, "model.safetensors.index.json");
    writeFileSync(index, JSON.stringify({ metadata: {}, weight_map: weightMap }));
    return index;
  }

  it("a shard path outside the index folder is refused", async () => {
    const index = shardedCopy("escape", { a: "../dtypes.safetensors" });
    await expect(openCheckpoint(index)).rejects.toThrow(
      /invalid safetensors index ".*": tensor "a" maps to "..\/dtypes.safetensors"; expected a file name beside the index/,
    );
  });

  it("a tensor the named shard does not hold, and a missing shard, are InputErrors", async () => {
    await expect(
      openCheckpoint(shardedCopy("absent-key", { nothing: "model-00001-of-00003.safetensors" })),
    ).rejects.toThrow(
      /maps tensor "nothing" to shard "model-00001-of-00003.safetensors", which does not contain it/,
    );
    await expect(
      openCheckpoint(shardedCopy("absent-shard", { a: "model-00009-of-00009.safetensors" })),
    ).rejects.toThrow(/names shard "model-00009-of-00009.safetensors", which cannot be opened/);
  });

  it("an index without weight_map is an InputError", async () => {
    const path = join(temp.path, "bare.index.json");
    writeFileSync(path, "{}");
    await expect(openCheckpoint(path)).rejects.toThrow(
      /invalid safetensors index ".*bare.index.json": no "weight_map" object/,
    );
  });
});

function writeFile(name: string, bytes: Uint8Array): string {
  const path = join(temp.path, name);
  writeFileSync(path, bytes);
  return path;
}
