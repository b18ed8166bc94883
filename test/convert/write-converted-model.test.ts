import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { openCheckpoint } from "../../src/checkpoints/open-checkpoint";
import { transformersArchitecture } from "../../src/convert/transformers-architectures";
import { writeConvertedModel } from "../../src/convert/write-converted-model";
import { testCacheDir } from "../support/temp";

const temp = testCacheDir();
afterAll(() => temp.remove());
const SOURCE = "models/fixtures/sources/vit";

describe("writeConvertedModel(checkpoint, architecture, folder)", () => {
  it("removes a killed conversion's leftover beside the folder and leaves no temporary name of its own", async () => {
    const models = join(temp.path, "models");
    // A leftover of a writer that is gone: seglens' temporary name with a pid no process has.
    const leftover = join(models, ".vit.seglens-4194303-1.tmp");
    mkdirSync(join(leftover, "onnx"), { recursive: true });
    writeFileSync(join(leftover, "onnx", "model.onnx_data"), "half");
    const checkpoint = await openCheckpoint(join(SOURCE, "model.safetensors"));
    try {
      const config = JSON.parse(readFileSync(join(SOURCE, "config.json"), "utf8"));
      await writeConvertedModel(checkpoint, transformersArchitecture(config, "vit"), join(models, "vit"), {
        grid: [4, 4],
        preprocessor: {},
        label: "vit",
      });
    } finally {
      await checkpoint.close();
    }
    expect(readdirSync(models)).toEqual(["vit"]);
    expect(readdirSync(join(models, "vit")).sort()).toEqual([
      "config.json",
      "onnx",
      "preprocessor_config.json",
    ]);
  });
});
