import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readNpy } from "../../src/features/npy";
import { type CliRun, runCliAsync } from "../support/cli";
import { createFakeHub, type FakeHub, repoFromFolder } from "../support/fake-hub";
import { testCacheDir } from "../support/temp";

// The tiny MAE source checkpoint in the Hub's layout (ViTMAEForPreTraining with its decoder,
// mask_ratio 0.75 in config.json), published under the catalog's repo: `--model mae-base` fetches
// and converts it exactly as it would the real one.
const temp = testCacheDir();
let hub: FakeHub;
const IMAGE = "models/samples/coffee.png";
const REPO = "facebook/vit-mae-base";

beforeAll(async () => {
  hub = await createFakeHub({ [REPO]: repoFromFolder("models/fixtures/sources/vit-mae") });
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
