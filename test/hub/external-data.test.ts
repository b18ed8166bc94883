import { copyFileSync, mkdirSync, statSync, symlinkSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { externalDataFiles, loadableModelPath } from "../../src/hub/external-data";
import { testCacheDir } from "../support/temp";

const temp = testCacheDir();
afterAll(() => temp.remove());
const DINOV3 = "models/fixtures/dinov3-tf4/onnx";

describe("externalDataFiles(onnxFile, repoPath)", () => {
  it("reads the initializers' locations, as repo paths beside the model", () => {
    expect(externalDataFiles(`${DINOV3}/model.onnx`, "onnx/model.onnx")).toEqual(["onnx/model.onnx_data"]);
    expect(externalDataFiles(`${DINOV3}/model.onnx`, "model.onnx")).toEqual(["model.onnx_data"]);
    expect(externalDataFiles("models/fixtures/dinov2-tf4/onnx/model.onnx", "onnx/model.onnx")).toEqual([]);
  });
});

describe("loadableModelPath(onnxPath, linksDir)", () => {
  it("keeps a folder of real files as it is", () => {
    expect(loadableModelPath(`${DINOV3}/model.onnx`, join(temp.path, "links"))).toBe(`${DINOV3}/model.onnx`);
  });

  it("presents a snapshot whose data links to ../blobs through hard links to the same blobs, once", () => {
    // huggingface_hub's layout: snapshots/<commit>/onnx/* are relative links into blobs/.
    const repo = join(temp.path, "models--org--name");
    const snapshot = join(repo, "snapshots", "c".repeat(40), "onnx");
    mkdirSync(join(repo, "blobs"), { recursive: true });
    mkdirSync(snapshot, { recursive: true });
    for (const [file, blob] of [
      ["model.onnx", "a".repeat(64)],
      ["model.onnx_data", "b".repeat(64)],
    ] as const) {
      copyFileSync(`${DINOV3}/${file}`, join(repo, "blobs", blob));
      symlinkSync(`../../../blobs/${blob}`, join(snapshot, file));
    }
    const links = join(temp.path, "links");
    const path = loadableModelPath(join(snapshot, "model.onnx"), links);
    expect(dirname(path).startsWith(links)).toBe(true);
    expect(statSync(join(dirname(path), "model.onnx_data")).ino).toBe(
      statSync(join(repo, "blobs", "b".repeat(64))).ino,
    );
    expect(statSync(path).ino).toBe(statSync(join(repo, "blobs", "a".repeat(64))).ino);
    expect(loadableModelPath(join(snapshot, "model.onnx"), links)).toBe(path);
    expect(resolve(path)).toBe(path);
  });
});
