import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tensorPixels } from "../../src/features/extract-features";
import { collectFeatures } from "../../src/features/feature-set";
import { readNpy } from "../../src/features/npy";
import { prepareTappedModel } from "../../src/onnx/tapped-model";
import { REPS } from "../../src/vocabulary";
import { type CliRun, runCliAsync } from "../support/cli";
import { createFakeHub, type FakeHub, repoFromFolder } from "../support/fake-hub";
import { compare, reference } from "../support/fixtures";
import { testCacheDir } from "../support/temp";

// The tiny MAE source checkpoint in the Hub's layout (ViTMAEForPreTraining with its decoder,
// mask_ratio 0.75 in config.json), published under the catalog's repo: `--model mae-base` fetches
// and converts it exactly as it would the real one. Likewise the tiny Perception Encoder that timm
// wrote itself, under timm's repo of PE Core B/16.
const temp = testCacheDir();
let hub: FakeHub;
const IMAGE = "models/samples/coffee.png";
const REPO = "facebook/vit-mae-base";
const PE_REPO = "timm/vit_pe_core_base_patch16_224.fb";
const PE_SOURCE = "models/fixtures/sources/pe-core";

beforeAll(async () => {
  hub = await createFakeHub({
    [REPO]: repoFromFolder("models/fixtures/sources/vit-mae"),
    [PE_REPO]: repoFromFolder(PE_SOURCE),
  });
});
afterAll(async () => {
  await hub.close();
  temp.remove();
});

function seglens(env: Record<string, string>, ...args: string[]): Promise<CliRun> {
  return runCliAsync(args, {
    ...process.env,
    HF_ENDPOINT: hub.endpoint,
    HF_HOME: join(temp.path, "hf"),
    HF_HUB_CACHE: "",
    HF_TOKEN: "",
    HF_HUB_OFFLINE: "",
    SEGLENS_CACHE: join(temp.path, "seglens"),
    SEGLENS_MEMORY_LIMIT: "",
    ...env,
  });
}

const weightRequests = () => hub.requests.filter((r) => r.path.endsWith("model.safetensors")).length;

describe("seglens features --model mae-base: a catalog model without a ready ONNX is converted on first use", () => {
  it("converts once into seglens' model folder (not the Hub cache), then reuses it online and offline", async () => {
    const first = join(temp.path, "first");
    const run = await seglens({}, "features", "--model", "mae-base", "--images", IMAGE, "--out", first);
    expect(run.stderr).toMatch(/converting "mae-base" from facebook\/vit-mae-base@/);
    expect(run.status).toBe(0);
    const folder = join(temp.path, "seglens", "models", "mae-base");
    expect(existsSync(join(folder, "onnx", "model.onnx"))).toBe(true);
    expect(existsSync(join(folder, "onnx", "model.onnx_data"))).toBe(true);
    const hubCache = join(temp.path, "hf", "hub", "models--facebook--vit-mae-base", "snapshots");
    expect(
      readdirSync(hubCache)
        .flatMap((c) => readdirSync(join(hubCache, c)))
        .sort(),
    ).toEqual(["config.json", "model.safetensors", "preprocessor_config.json"]);
    const meta = JSON.parse(readFileSync(join(first, "meta.json"), "utf8"));
    expect(meta).toMatchObject({ model: "mae-base", num_layers: 2, prefix_tokens: 1, grid: [4, 4] });
    expect(meta.provenance).toMatchObject({
      hub_repo: REPO,
      hub_commit: hub.commitOf(REPO),
      conversion: { converter: 1, source: { repo: REPO, commit: hub.commitOf(REPO) } },
    });
    const listed = await seglens({}, "models", "--json");
    const maeListing = listed.stdout
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line))
      .find((m) => m.id === "mae-base");
    expect(maeListing).toMatchObject({ onnx: "convert", cached: true });
    const tokens = readNpy(join(first, "tokens_L2.npy"));
    expect(tokens.dims).toEqual([1, 17, 32]);

    // Second run: the conversion is reused; only the commit is looked up, no weights fetched.
    const before = weightRequests();
    const second = join(temp.path, "second");
    const again = await seglens({}, "features", "--model", "mae-base", "--images", IMAGE, "--out", second);
    expect(again.status).toBe(0);
    expect(again.stderr).not.toMatch(/converting/);
    expect(weightRequests()).toBe(before);
    expect(readNpy(join(second, "tokens_L2.npy")).data).toEqual(tokens.data);

    // Offline: the converted folder serves without any request.
    const requests = hub.requests.length;
    const third = join(temp.path, "third");
    const offline = await seglens(
      { HF_HUB_OFFLINE: "1" },
      "features",
      "--model",
      "mae-base",
      "--images",
      IMAGE,
      "--out",
      third,
    );
    expect(offline.status).toBe(0);
    expect(hub.requests.length).toBe(requests);
    expect(readNpy(join(third, "tokens_L2.npy")).data).toEqual(tokens.data);
  });

  it("offline before any conversion: one line saying to run once online", async () => {
    const run = await seglens(
      { HF_HUB_OFFLINE: "1", SEGLENS_CACHE: join(temp.path, "empty") },
      "features",
      "--model",
      "mae-large",
      "--images",
      IMAGE,
      "--out",
      join(temp.path, "never"),
    );
    expect(run.status).not.toBe(0);
    expect(run.stderr.trim().split("\n")).toHaveLength(1);
    expect(run.stderr).toMatch(/"mae-large" is converted on first use, and HF_HUB_OFFLINE is set/);
  });
});

describe("seglens features --model pe-core-b16: Perception Encoder from timm's Hub repo, converted on first use", () => {
  it("converts the timm checkpoint, RoPE included, with the preprocessing of timm's pretrained_cfg; the graph equals PyTorch", async () => {
    const out = join(temp.path, "pe");
    const run = await seglens({}, "features", "--model", "pe-core-b16", "--images", IMAGE, "--out", out);
    expect(run.stderr).toMatch(/converting "pe-core-b16" from timm\/vit_pe_core_base_patch16_224\.fb@/);
    expect(run.status).toBe(0);
    const folder = join(temp.path, "seglens", "models", "pe-core-b16");
    // timm repos have no preprocessor_config.json: the fixture's pretrained_cfg (input 32 px,
    // crop_pct 1, centre crop, bicubic, mean/std 0.5) becomes one.
    expect(JSON.parse(readFileSync(join(folder, "preprocessor_config.json"), "utf8"))).toEqual({
      image_processor_type: "BitImageProcessor",
      do_resize: true,
      size: { shortest_edge: 32 },
      resample: 3,
      do_center_crop: true,
      crop_size: { height: 32, width: 32 },
      do_rescale: true,
      rescale_factor: 1 / 255,
      do_normalize: true,
      image_mean: [0.5, 0.5, 0.5],
      image_std: [0.5, 0.5, 0.5],
      do_convert_rgb: true,
    });
    const meta = JSON.parse(readFileSync(join(out, "meta.json"), "utf8"));
    expect(meta).toMatchObject({ model: "pe-core-b16", num_layers: 2, prefix_tokens: 1, grid: [4, 4] });
    expect(meta.provenance).toMatchObject({
      conversion: { converter: 1, source: { repo: PE_REPO, commit: hub.commitOf(PE_REPO) } },
    });

    // The folder the CLI converted, on the fixture's input: tokens, q, k, v as PyTorch computed them.
    const pixels = reference(PE_SOURCE, "pixel_values");
    const tapped = prepareTappedModel(join(folder, "onnx", "model.onnx"), { cacheDir: temp.path });
    const set = await collectFeatures(tapped, {
      inputs: tensorPixels(pixels.data, pixels.dims as [number, number, number, number]),
      layers: [0, 1, 2],
      threads: 1,
    });
    for (const rep of REPS) {
      for (let layer = rep === "tokens" ? 0 : 1; layer <= 2; layer++) {
        const key = `${rep}_L${layer}`;
        const { maxAbsDiff, maxAbsRef } = compare(
          set.arrays.get(key) as Float32Array,
          reference(PE_SOURCE, key).data,
        );
        expect(maxAbsDiff, key).toBeLessThanOrEqual(1e-4 * Math.max(1, maxAbsRef));
      }
    }
  });
});
