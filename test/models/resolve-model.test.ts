import { cpSync, mkdirSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { InputError } from "../../src/errors";
import { prepareRequest } from "../../src/features/feature-request";
import { createHubClient } from "../../src/hub/hub-client";
import { type HubSettings, hubSettingsFromEnv } from "../../src/hub/hub-settings";
import { loadCatalog } from "../../src/models/catalog";
import { exportFolder, type ResolveOptions, resolveModel, variantFile } from "../../src/models/resolve-model";
import { EXPORT_ONLY_ID, writeExportOnlyCatalog } from "../support/export-only-catalog";
import { createFakeHub, type FakeHub, repoFromFolder } from "../support/fake-hub";
import { testCacheDir } from "../support/temp";

const temp = testCacheDir();
let hub: FakeHub;
let caches = 0;
const IMAGENET = { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] };

beforeAll(async () => {
  const clip = repoFromFolder("models/fixtures/clip-tf4");
  clip.files["onnx/vision_model.onnx"] = clip.files["onnx/model.onnx"] as Uint8Array;
  delete clip.files["onnx/model.onnx"];
  hub = await createFakeHub({
    "Xenova/dinov2-small": repoFromFolder("models/fixtures/dinov2-tf4"),
    "Xenova/dino-vits16": repoFromFolder("models/fixtures/vit-tf4"),
    "Xenova/vit-base-patch16-224-in21k": repoFromFolder("models/fixtures/vit-tf4"),
    "Xenova/clip-vit-base-patch16": clip,
    "someone/dinov3-tiny": repoFromFolder("models/fixtures/dinov3-tf4"),
  });
});
afterAll(async () => {
  await hub.close();
  temp.remove();
});

function hubSettings(): HubSettings {
  return hubSettingsFromEnv({
    HF_ENDPOINT: hub.endpoint,
    HF_HUB_CACHE: join(temp.path, `cache-${caches++}`),
  });
}

function options(extra: Partial<ResolveOptions> = {}): ResolveOptions {
  const settings = hubSettings();
  return { client: createHubClient(settings, { retryDelayMs: 0 }), hub: settings, ...extra };
}

async function countRequests<T>(run: () => Promise<T>): Promise<{ result: T; requests: number }> {
  const start = hub.requests.length;
  const result = await run();
  return { result, requests: hub.requests.length - start };
}

describe("resolveModel(arg, options)", () => {
  it("a local folder resolves without any request, even with an unreachable Hub", async () => {
    const unreachable = { ...hubSettings(), endpoint: "http://127.0.0.1:9" };
    const model = await resolveModel("models/fixtures/dinov2-tf4", { hub: unreachable });
    expect(model.onnxPath).toBe(resolve("models/fixtures/dinov2-tf4/onnx/model.onnx"));
    expect(model.hub).toBeUndefined();
  });

  it("a catalog id fetches the catalog's repo and file, with hub provenance and the catalog entry", async () => {
    const o = options();
    const model = await resolveModel("dinov2-small", o);
    const commit = hub.commitOf("Xenova/dinov2-small");
    expect(model.id).toBe("dinov2-small");
    expect(model.hub).toEqual({ repo: "Xenova/dinov2-small", revision: "main", commit });
    expect(model.onnxPath).toBe(
      join(
        o.hub?.cacheDir as string,
        "models--Xenova--dinov2-small",
        "snapshots",
        commit,
        "onnx",
        "model.onnx",
      ),
    );
    expect(model.catalog?.family).toBe("DINOv2");
    expect(model.config).toMatchObject({ model_type: "dinov2" });
    expect(model.preprocessor).toMatchObject({ image_processor_type: "BitImageProcessor" });
  });

  it("--variant picks <file>_<suffix>.onnx beside the catalog's file; a missing variant names the file", async () => {
    const fp16 = await resolveModel("vit-base-in21k", options({ variant: "fp16" }));
    expect(fp16.onnxPath).toMatch(/snapshots\/[0-9a-f]{40}\/onnx\/model_fp16\.onnx$/);
    await expect(resolveModel("clip-vitb16", options({ variant: "q8" }))).rejects.toThrow(
      /file "onnx\/vision_model_quantized\.onnx" is not in Hub repo "Xenova\/clip-vit-base-patch16"/,
    );
    const clip = await resolveModel("clip-vitb16", options());
    expect(clip.onnxPath).toMatch(/onnx\/vision_model\.onnx$/);
  });

  it("a Hub id org/name@revision fetches that commit; --file names any file", async () => {
    const commit = hub.commitOf("someone/dinov3-tiny");
    const model = await resolveModel(`someone/dinov3-tiny@${commit}`, options({ file: "onnx/model.onnx" }));
    expect(model.hub).toEqual({ repo: "someone/dinov3-tiny", revision: commit, commit });
    expect(model.catalog).toBeUndefined();
  });

  it("a catalog model too large for the memory limit is refused before any request", async () => {
    const { result, requests } = await countRequests(() =>
      resolveModel("dinov3-vit7b16", options({ memoryLimitBytes: 16e9 })).catch((e: Error) => e),
    );
    expect(result).toBeInstanceOf(InputError);
    expect((result as Error).message).toMatch(
      /^model "dinov3-vit7b16" \(6716 M parameters, fp32, 224 px\) needs about 54\.8 GB of memory to run but 16\.0 GB are available: pick a smaller --variant/,
    );
    expect(requests).toBe(0);
  });

  it("a Hub model whose ONNX file exceeds the limit is refused before its bytes are fetched", async () => {
    const start = hub.requests.length;
    await expect(resolveModel("someone/dinov3-tiny", options({ memoryLimitBytes: 100_000 }))).rejects.toThrow(
      /model "someone\/dinov3-tiny" needs about/,
    );
    expect(hub.requests.slice(start).filter((r) => r.host === "cdn")).toEqual([]);
  });

  it("an export-only catalog id (a catalog of one's own): the export command until exported, then the export folder", async () => {
    const catalog = loadCatalog(writeExportOnlyCatalog(temp.path));
    await expect(resolveModel(EXPORT_ONLY_ID, options({ catalog }))).rejects.toThrow(
      /model "export-only-vit" has no ready ONNX export on the Hub: make one with `python models\/export\/export\.py export-only-vit`/,
    );
    const folder = exportFolder(EXPORT_ONLY_ID);
    mkdirSync(folder, { recursive: true });
    cpSync("models/fixtures/vitmae-tf4", folder, { recursive: true });
    try {
      const model = await resolveModel(EXPORT_ONLY_ID, options({ catalog }));
      expect(model.onnxPath).toBe(join(folder, "onnx", "model.onnx"));
      expect(model.catalog?.family).toBe("Perception Encoder");
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });

  it.each([
    [
      "nope-model",
      /model "nope-model" not found: .*not a catalog id \(list them with `seglens models`\) and not a Hub id/,
    ],
    ["a/b/c", /model "a\/b\/c" not found/],
    ["dinov2-small@", /empty revision/],
  ])("%s: an InputError", async (arg, message) => {
    await expect(resolveModel(arg, options())).rejects.toThrow(message);
  });
});

describe("catalog preprocessing overrides", () => {
  it("dino-vits16 is normalized with ImageNet mean/std and resized bicubic, not the Hub config's 0.5 and bilinear", async () => {
    const request = await prepareRequest(
      { model: "dino-vits16", images: ["models/samples/coffee.png"] },
      options(),
    );
    expect(request.preprocess.normalize).toEqual(IMAGENET);
    expect(request.preprocess.resample).toBe("bicubic");
    const flags = await prepareRequest(
      {
        model: "dino-vits16",
        images: ["models/samples/coffee.png"],
        mean: [0.5, 0.5, 0.5],
        std: [0.5, 0.5, 0.5],
      },
      options(),
    );
    expect(flags.preprocess.normalize).toEqual({ mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] });
  });
});

describe("variantFile(file, variant)", () => {
  it.each([
    ["onnx/model.onnx", "fp32", "onnx/model.onnx"],
    ["onnx/model.onnx", "fp16", "onnx/model_fp16.onnx"],
    ["onnx/vision_model.onnx", "q8", "onnx/vision_model_quantized.onnx"],
    ["onnx/vision_model.onnx", "q4f16", "onnx/vision_model_q4f16.onnx"],
  ])("%s + %s → %s", (file, variant, expected) => {
    expect(variantFile(file, variant)).toBe(expected);
  });

  it("an unknown variant lists the known ones", () => {
    expect(() => variantFile("onnx/model.onnx", "fp8")).toThrow(
      /unknown --variant "fp8"; expected one of fp32, fp16, q8/,
    );
  });
});
