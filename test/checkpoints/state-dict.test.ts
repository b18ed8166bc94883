import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { listStateDicts, openCheckpoint, selectStateDict } from "../../src/checkpoints/index";
import { InputError } from "../../src/errors";
import { CHECKPOINTS, expectedFile, expectedValues } from "./expected";

describe("listStateDicts", () => {
  it("a MoCo v3-style checkpoint: state_dict first, its module. wrapper listed with the encoders below it", async () => {
    const checkpoint = await openCheckpoint(join(CHECKPOINTS, "nested.pth.tar"));
    expect(listStateDicts(checkpoint)).toEqual([
      {
        path: "state_dict",
        tensors: 5,
        prefixes: [
          { prefix: "module.", tensors: 5 },
          { prefix: "module.base_encoder.", tensors: 2 },
          { prefix: "module.momentum_encoder.", tensors: 2 },
          { prefix: "module.predictor.", tensors: 1 },
        ],
      },
      { path: "optimizer/state/0", tensors: 1, prefixes: [] },
    ]);
    await checkpoint.close();
  });

  it("a DINO/iBOT-style checkpoint: student and teacher, each with its backbone. and head. prefixes", async () => {
    const checkpoint = await openCheckpoint(join(CHECKPOINTS, "teacher-student.pth"));
    expect(listStateDicts(checkpoint)).toEqual([
      {
        path: "student",
        tensors: 3,
        prefixes: [
          { prefix: "module.", tensors: 3 },
          { prefix: "module.backbone.", tensors: 2 },
          { prefix: "module.head.", tensors: 1 },
        ],
      },
      {
        path: "teacher",
        tensors: 3,
        prefixes: [
          { prefix: "backbone.", tensors: 2 },
          { prefix: "head.", tensors: 1 },
        ],
      },
    ]);
    await checkpoint.close();
  });

  it("a plain state dict is the root, path empty", async () => {
    const checkpoint = await openCheckpoint(join(CHECKPOINTS, "state-dict.pth"));
    expect(listStateDicts(checkpoint)).toEqual([{ path: "", tensors: 14, prefixes: [] }]);
    await checkpoint.close();
  });
});

describe("selectStateDict", () => {
  it("{ path: state_dict, prefix: module.base_encoder. } names the encoder's tensors without the prefix and reads them", async () => {
    const encoder = selectStateDict(await openCheckpoint(join(CHECKPOINTS, "nested.pth.tar")), {
      path: "state_dict",
      prefix: "module.base_encoder.",
    });
    expect(encoder.keys()).toEqual(["patch_embed.proj.weight", "blocks.0.norm1.weight"]);
    const full =
      expectedFile("nested.pth.tar").tensors["state_dict/module.base_encoder.patch_embed.proj.weight"];
    expect(encoder.info("patch_embed.proj.weight")).toEqual({ dtype: "float32", dims: [4, 3, 2, 2] });
    const read = await encoder.read("patch_embed.proj.weight");
    expect(read.data).toEqual(expectedValues(full as NonNullable<typeof full>));
    expect(encoder.metadata.epoch).toBe(3);
    await expect(encoder.read("module.predictor.0.weight")).rejects.toThrow(
      /no tensor "module.predictor.0.weight" in ".*nested.pth.tar" \(path "state_dict", prefix "module.base_encoder."\)/,
    );
    await encoder.close();
  });

  it("{ path: teacher, prefix: backbone. } keeps the teacher's backbone and drops its head", async () => {
    const backbone = selectStateDict(await openCheckpoint(join(CHECKPOINTS, "teacher-student.pth")), {
      path: "teacher",
      prefix: "backbone.",
    });
    expect(backbone.keys()).toEqual(["cls_token", "blocks.0.attn.qkv.weight"]);
    expect((await backbone.read("cls_token")).dims).toEqual([1, 1, 4]);
    await backbone.close();
  });

  it("works on safetensors too: a prefix of the root dict", async () => {
    const blocks = selectStateDict(
      await openCheckpoint(join(CHECKPOINTS, "sharded", "model.safetensors.index.json")),
      {
        prefix: "blocks.",
      },
    );
    expect(blocks.keys()).toEqual(["0.weight", "1.weight"]);
    expect((await blocks.read("1.weight")).dims).toEqual([8, 8]);
    await blocks.close();
  });

  it("a selection matching nothing is an InputError listing the state dicts found", async () => {
    const checkpoint = await openCheckpoint(join(CHECKPOINTS, "nested.pth.tar"));
    expect(() => selectStateDict(checkpoint, { path: "model" })).toThrow(InputError);
    expect(() => selectStateDict(checkpoint, { path: "model" })).toThrow(
      /^no tensors in ".*nested\.pth\.tar" at path "model" with prefix ""; state dicts found: "state_dict" \(5 tensors; module\., module\.base_encoder\., module\.momentum_encoder\., module\.predictor\.\); "optimizer\/state\/0" \(1 tensors; no prefixes\)$/,
    );
    await checkpoint.close();
  });

  it("closing the view closes the checkpoint", async () => {
    const checkpoint = await openCheckpoint(join(CHECKPOINTS, "state-dict.pth"));
    await selectStateDict(checkpoint).close();
    await expect(checkpoint.read("f32")).rejects.toThrow(/checkpoint ".*" was closed; open it again to read/);
  });
});
