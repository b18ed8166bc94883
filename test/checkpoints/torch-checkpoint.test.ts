import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { openCheckpoint, openTorchCheckpoint } from "../../src/checkpoints/index";
import { InputError, UnsupportedModelError } from "../../src/errors";
import { testCacheDir } from "../support/temp";
import { CHECKPOINTS, expectAllTensors } from "./expected";
import { op, pickleBytes, tensorPickle } from "./pickle-bytes";
import { tinyZip } from "./tiny-zip";

const temp = testCacheDir();
afterAll(() => temp.remove());

function writeFile(name: string, bytes: Uint8Array): string {
  const path = join(temp.path, name);
  writeFileSync(path, bytes);
  return path;
}

/** A torch-layout archive `archive/…` with the given data.pkl and storages. */
function torchZip(
  name: string,
  pickle: Uint8Array,
  storages: Record<string, Uint8Array> = {},
  method = 0,
): string {
  const entries: Record<string, Uint8Array> = { "archive/data.pkl": pickle };
  for (const [key, bytes] of Object.entries(storages)) entries[`archive/data/${key}`] = bytes;
  entries["archive/byteorder"] = Buffer.from("little");
  return writeFile(name, tinyZip(entries, method));
}

describe("torch zip checkpoints written by torch.save", () => {
  for (const file of ["state-dict.pth", "deflated.pth", "zip64.pth"]) {
    it(`${file}: float32/float16/bfloat16, transposed, permuted, sliced views of a shared storage, a Parameter, a tensor with a Python attribute, a scalar read exactly`, async () => {
      const checkpoint = await openCheckpoint(join(CHECKPOINTS, file));
      try {
        expect(checkpoint.format).toBe("torch");
        await expectAllTensors(checkpoint, file);
        expect(checkpoint.info("steps")).toEqual({ dtype: "int64", dims: [2] });
        await expect(checkpoint.read("steps")).rejects.toThrow(UnsupportedModelError);
      } finally {
        await checkpoint.close();
      }
    });
  }

  it("a training checkpoint lists nested tensors by dict path and exposes epoch, argparse args and numpy scalars as inert metadata", async () => {
    const checkpoint = await openCheckpoint(join(CHECKPOINTS, "nested.pth.tar"));
    await expectAllTensors(checkpoint, "nested.pth.tar");
    expect(checkpoint.keys()).toContain("state_dict/module.base_encoder.patch_embed.proj.weight");
    expect(checkpoint.keys()).toContain("optimizer/state/0/momentum_buffer");
    const { metadata } = checkpoint;
    expect(metadata.epoch).toBe(3);
    expect(metadata.arch).toBe("vit_small");
    expect(metadata.best_acc).toBe(0.25);
    expect(metadata.args).toEqual({
      __class__: "argparse.Namespace",
      arch: "vit_small",
      patch_size: 16,
      lr: 1.5e-4,
      moco_t: 0.2,
      multiprocessing: true,
    });
    expect(metadata.optimizer).toMatchObject({ param_groups: [{ lr: 0.1, momentum: 0.9, params: [0] }] });
    expect(metadata).not.toHaveProperty("state_dict");
    await checkpoint.close();
  });

  it("a teacher/student checkpoint pickled with protocol 4 (FRAME, MEMOIZE, STACK_GLOBAL) reads exactly", async () => {
    const checkpoint = await openCheckpoint(join(CHECKPOINTS, "teacher-student.pth"));
    await expectAllTensors(checkpoint, "teacher-student.pth");
    expect(checkpoint.metadata).toEqual({ epoch: 100 });
    await checkpoint.close();
  });

  it("the legacy pre-1.6 format is refused in one line saying to re-save with a recent torch", async () => {
    const attempt = openCheckpoint(join(CHECKPOINTS, "legacy.pth"));
    await expect(attempt).rejects.toThrow(UnsupportedModelError);
    await expect(attempt).rejects.toThrow(
      /^".*legacy\.pth" is in torch's legacy pre-1\.6 format; re-save it with a recent torch: torch\.save\(torch\.load\(path\), new_path\)$/,
    );
  });
});

describe("pickles that would run code stay inert", () => {
  const marker = "/tmp/seglens-pickle-ran";

  it("os.system and exec calls beside a tensor are kept as inert objects; nothing runs", async () => {
    rmSync(marker, { force: true });
    const checkpoint = await openCheckpoint(join(CHECKPOINTS, "os-system.pth"));
    await expectAllTensors(checkpoint, "os-system.pth");
    expect(checkpoint.metadata).toEqual({
      system: { __class__: "posix.system", __args__: [`touch ${marker}`] },
      exec: { __class__: "__builtin__.exec", __args__: [`open('${marker}', 'w').close()`] },
    });
    await checkpoint.close();
    expect(existsSync(marker)).toBe(false);
  });

  it("a checkpoint whose whole content is an os.system call opens with no tensors and runs nothing", async () => {
    rmSync(marker, { force: true });
    const checkpoint = await openCheckpoint(join(CHECKPOINTS, "os-system-root.pth"));
    expect(checkpoint.keys()).toEqual([]);
    expect(checkpoint.metadata).toEqual({
      __root__: { __class__: "posix.system", __args__: [`touch ${marker}`] },
    });
    await checkpoint.close();
    expect(existsSync(marker)).toBe(false);
  });
});

describe("torch: corrupt and hostile files give one clear error naming the file", () => {
  const real = readFileSync(join(CHECKPOINTS, "state-dict.pth"));
  const floats = (n: number) => new Uint8Array(new Float32Array(n).fill(1).buffer);

  const cases: [string, () => string, typeof InputError | typeof UnsupportedModelError, RegExp][] = [
    [
      "a zero-byte .pth",
      () => writeFile("zero.pth", new Uint8Array(0)),
      InputError,
      /checkpoint ".*zero\.pth" is empty \(0 bytes\)/,
    ],
    [
      "a file cut in half",
      () => writeFile("half.pth", real.subarray(0, real.length >> 1)),
      InputError,
      /invalid zip archive ".*half\.pth": no end-of-central-directory record \(truncated, or not a zip\)/,
    ],
    [
      "a file missing its last bytes",
      () => writeFile("cut.pth", real.subarray(0, real.length - 30)),
      InputError,
      /invalid zip archive ".*cut\.pth"/,
    ],
    [
      "a storage smaller than its tensor's storage claims",
      () =>
        torchZip("small-storage.pth", tensorPickle({ numel: 100, dims: [100], strides: [1] }), {
          "0": floats(2),
        }),
      InputError,
      /tensor "w" needs storage data\/0 of 400 bytes; the archive has 8 bytes/,
    ],
    [
      "a storage that is missing",
      () => torchZip("no-storage.pth", tensorPickle({ numel: 2, dims: [2], strides: [1] })),
      InputError,
      /tensor "w" needs storage data\/0 of 8 bytes; the archive has none/,
    ],
    [
      "a view past the end of its storage",
      () =>
        torchZip("past-storage.pth", tensorPickle({ numel: 4, offset: 2, dims: [2, 2], strides: [2, 1] }), {
          "0": floats(4),
        }),
      InputError,
      /a tensor of shape \[2,2\] runs past its storage "0" \(4 elements\)/,
    ],
    [
      "a view with huge sizes",
      () =>
        torchZip(
          "huge-view.pth",
          tensorPickle({ numel: 4, dims: [2 ** 30, 2 ** 30], strides: [2 ** 30, 1] }),
          { "0": floats(4) },
        ),
      InputError,
      /runs past its storage/,
    ],
    [
      "a storage key that is a path",
      () =>
        torchZip("path-key.pth", tensorPickle({ key: "../x", numel: 2, dims: [2], strides: [1] }), {
          "0": floats(2),
        }),
      InputError,
      /storage id .* is malformed/,
    ],
    [
      "an unknown pickle opcode",
      () => torchZip("opcode.pth", pickleBytes(op.proto(2), [0xff], op.stop)),
      InputError,
      /corrupt pickle \(data\.pkl in ".*opcode\.pth"\): unknown opcode 0xff at byte 2/,
    ],
    [
      "a pickle without STOP",
      () => torchZip("no-stop.pth", pickleBytes(op.proto(2), op.emptyDict)),
      InputError,
      /ends in the middle of an opcode \(truncated\?\) at byte 3/,
    ],
    [
      "a string longer than the pickle",
      () => torchZip("long-string.pth", pickleBytes(op.proto(2), [0x58, 0xff, 0xff, 0xff, 0x7f], op.stop)),
      InputError,
      /length 2147483647 runs past the end \(truncated\?\)/,
    ],
    [
      "a memo read before written",
      () => torchZip("memo.pth", pickleBytes(op.proto(2), op.binGet(7), op.stop)),
      InputError,
      /memo 7 read before it was written/,
    ],
    [
      "SETITEM on a list",
      () =>
        torchZip(
          "setitem.pth",
          pickleBytes(op.proto(2), op.emptyList, op.none, op.none, op.setItem, op.stop),
        ),
      InputError,
      /SETITEM on something that is not a dict/,
    ],
    [
      "POP below a MARK",
      () => torchZip("underflow.pth", pickleBytes(op.proto(2), op.none, op.mark, [0x30], op.stop)),
      InputError,
      /stack underflow/,
    ],
    [
      "a zip without data.pkl",
      () => writeFile("plain.zip", tinyZip({ "notes.txt": Buffer.from("hi") })),
      UnsupportedModelError,
      /".*plain\.zip" is a zip archive without <name>\/data\.pkl; expected a file torch\.save wrote/,
    ],
    [
      "a data.pkl compressed with bzip2",
      () => torchZip("bzip2.pth", pickleBytes(op.proto(2), op.none, op.stop), {}, 12),
      UnsupportedModelError,
      /zip entry "archive\/byteorder" in ".*bzip2\.pth" uses compression method 12; seglens reads stored \(0\) and deflated \(8\) entries/,
    ],
    [
      "big-endian storages",
      () =>
        writeFile(
          "big.pth",
          tinyZip({
            "archive/data.pkl": pickleBytes(op.proto(2), op.none, op.stop),
            "archive/byteorder": Buffer.from("big"),
          }),
        ),
      UnsupportedModelError,
      /stores tensors big-endian; seglens reads little-endian checkpoints/,
    ],
    [
      "copyreg extensions",
      () => torchZip("ext.pth", pickleBytes(op.proto(2), [0x82, 1], op.stop)),
      UnsupportedModelError,
      /uses the copyreg extension registry \(EXT opcodes\), which seglens does not read/,
    ],
  ];
  for (const [what, make, kind, message] of cases) {
    it(`${what}`, async () => {
      const path = make();
      const error = await openCheckpoint(path).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(kind);
      expect((error as Error).message).toMatch(message);
      expect((error as Error).message).toContain(path);
      expect((error as Error).message).not.toContain("\n");
    });
  }

  it("a tensor repeating its storage (stride 0) is listed but its read is refused, not allocated", async () => {
    const path = torchZip(
      "expanded.pth",
      tensorPickle({ numel: 2, dims: [2 ** 20, 2 ** 20, 2], strides: [0, 0, 1] }),
      {
        "0": floats(2),
      },
    );
    const checkpoint = await openTorchCheckpoint(path);
    expect(checkpoint.info("w")).toEqual({ dtype: "float32", dims: [2 ** 20, 2 ** 20, 2] });
    await expect(checkpoint.read("w")).rejects.toThrow(
      /tensor "w" in ".*expanded\.pth" repeats its storage's elements \(stride 0, as expand\(\) makes\); save tensor\.contiguous\(\) instead/,
    );
    await checkpoint.close();
  });

  it("a pickle nested 100 000 lists deep and a list containing itself open without exhausting the stack", async () => {
    const deep = pickleBytes(
      op.proto(2),
      Array(100_000).fill(op.emptyList).flat(),
      Array(99_999).fill(op.append).flat(),
      op.stop,
    );
    const deepCheckpoint = await openCheckpoint(torchZip("deep.pth", deep));
    expect(deepCheckpoint.keys()).toEqual([]);
    expect(JSON.stringify(deepCheckpoint.metadata)).toMatch(
      /^\{"__root__":\[\[\[.*"<nested too deep>".*\]\]\]\}$/,
    );
    await deepCheckpoint.close();
    const cycle = pickleBytes(op.proto(2), op.emptyList, op.binPut(0), op.binGet(0), op.append, op.stop);
    const cyclic = await openCheckpoint(torchZip("cycle.pth", cycle));
    expect(cyclic.metadata).toEqual({ __root__: ["<cycle>"] });
    await cyclic.close();
  });
});
