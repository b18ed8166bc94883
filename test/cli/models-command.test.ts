import { mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { Command } from "commander";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { addModelsCommand, formatModelsTable } from "../../src/cli/models-command";
import { CONVERSION_MARKER } from "../../src/convert/ensure-converted-model";
import { createHubClient } from "../../src/hub/hub-client";
import { fetchHubModel } from "../../src/hub/hub-model";
import { hubSettingsFromEnv } from "../../src/hub/hub-settings";
import { listBundledModels, listModels, modelStatus } from "../../src/models/list-models";
import { runCli } from "../support/cli";
import { createFakeHub, type FakeHub, repoFromFolder } from "../support/fake-hub";
import { testCacheDir } from "../support/temp";

const temp = testCacheDir();
const cacheDir = join(temp.path, "hub");
let hub: FakeHub;

beforeAll(async () => {
  // A cache holding the catalog's dinov2-small (the tiny fixture published under its repo).
  hub = await createFakeHub({ "Xenova/dinov2-small": repoFromFolder("models/fixtures/dinov2-tf4") });
  const settings = hubSettingsFromEnv({ HF_ENDPOINT: hub.endpoint, HF_HUB_CACHE: cacheDir });
  await fetchHubModel(createHubClient(settings), { repo: "Xenova/dinov2-small" });
});
afterAll(async () => {
  await hub.close();
  temp.remove();
});

/** Runs `seglens models …` in this process and returns what it printed. */
async function runModels(...args: string[]): Promise<string> {
  const write = vi.spyOn(process.stdout, "write").mockImplementation(() => true);
  try {
    const program = new Command().exitOverride();
    addModelsCommand(program);
    await program.parseAsync(["models", ...args], { from: "user" });
    return write.mock.calls.map((c) => String(c[0])).join("");
  } finally {
    write.mockRestore();
  }
}

describe("listModels() and seglens models", () => {
  it("marks a Hub model cached when its ref and ONNX file are in the cache; no request is made", () => {
    const start = hub.requests.length;
    const listing = listModels({ hub: hubSettingsFromEnv({ HF_HUB_CACHE: cacheDir }) });
    expect(hub.requests.length).toBe(start);
    const cached = listing.filter((m) => m.cached).map((m) => m.entry.id);
    expect(cached).toEqual(["dinov2-small"]);
    expect(listing.find((m) => m.entry.id === "mae-base")).toMatchObject({ onnx: "convert", cached: false });
  });

  it("prints one aligned row per catalog model with family, size, category and, in words, whether it is ready, convertible or cached", async () => {
    const saved = { hub: process.env.HF_HUB_CACHE, seglens: process.env.SEGLENS_CACHE };
    process.env.HF_HUB_CACHE = cacheDir;
    // mae-base as seglens leaves it after converting it on first use.
    process.env.SEGLENS_CACHE = join(temp.path, "seglens");
    const maeFolder = join(temp.path, "seglens", "models", "mae-base");
    mkdirSync(join(maeFolder, "onnx"), { recursive: true });
    writeFileSync(join(maeFolder, "onnx", "model.onnx"), "");
    writeFileSync(join(maeFolder, CONVERSION_MARKER), "{}");
    const text = await runModels().finally(() => {
      process.env.HF_HUB_CACHE = saved.hub;
      process.env.SEGLENS_CACHE = saved.seglens;
    });
    const lines = text.split("\n");
    expect(lines[0]).toMatch(/^id +family +size +category +params +memory +status$/);
    expect(text).toMatch(/\ndinov2-small +DINOv2 +S +CL +21 M +0\.7 GB +ready \(Hub ONNX\), cached\n/);
    expect(text).toMatch(/\ndinov2-base +DINOv2 +B +CL +86 M +1\.3 GB +ready \(Hub ONNX\)\n/);
    expect(text).toMatch(/\nmae-base +MAE +B +MIM +86 M +1\.3 GB +converted, cached\n/);
    expect(text).toMatch(/\nmae-large +MAE +L +MIM .* convertible \(converted on first use\)\n/);
    expect(text).toMatch(/\nibot-vits16 .* convertible \(converted on first use\)\n/);
    expect(text).toMatch(
      /\nsimdino-vitb16 +SimDINO +B +CL +85 M +1\.3 GB +convertible \(needs --checkpoint PATH\)\n/,
    );
    expect(text).toMatch(/\npe-core-b16 .* convertible \(converted on first use\)\n/);
    expect(text).toMatch(/\n37 models: 17 ready, 20 convertible; 2 cached\.\n/);
    const familyColumn = (lines[0] as string).indexOf("family");
    for (const line of lines.slice(1, 38)) expect(line[familyColumn - 1], line).toBe(" ");
  });

  it("modelStatus says each kind of model in words, cached or not", () => {
    const kinds = ["hub", "convert", "convert --checkpoint", "export"] as const;
    expect(kinds.flatMap((onnx) => [false, true].map((cached) => modelStatus({ onnx, cached })))).toEqual([
      "ready (Hub ONNX)",
      "ready (Hub ONNX), cached",
      "convertible (converted on first use)",
      "converted, cached",
      "convertible (needs --checkpoint PATH)",
      "converted, cached",
      "export script needed",
      "exported, cached",
    ]);
  });

  it("--json prints one parseable object per model", async () => {
    const text = await runModels("--json");
    const objects = text
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(objects.length).toBe(37 + 1);
    expect(objects[0]).toMatchObject({ id: "dino-vits16", onnx: "hub", cached: expect.any(Boolean) });
    expect(objects.find((m) => m.id === "simdino-vits16")).toMatchObject({
      onnx: "convert --checkpoint",
      cached: false,
      status: "convertible (needs --checkpoint PATH)",
    });
    expect(objects.at(-1)).toEqual({
      id: "dinov2-tf4",
      bundled: true,
      path: resolve("models/fixtures/dinov2-tf4"),
      model_type: "dinov2",
      layers: 2,
      patch_size: 8,
      input_size: 32,
      hidden_size: 32,
      cached: true,
    });
  });

  it("lists the bundled models (those package.json ships) after the catalog, with the path --model takes", async () => {
    const text = await runModels();
    expect(text).toMatch(
      /\n\nbundled: ship with seglens, tiny, random weights .*\npath +type +layers +patch +input\nmodels\/fixtures\/dinov2-tf4 +dinov2 +2 +8 +32\n$/,
    );
    // Fixtures for the tests only (not in package.json "files") are not offered.
    expect(listBundledModels().map((m) => m.id)).toEqual(["dinov2-tf4"]);
    expect(text).not.toMatch(/vit-tf4/);
  });

  it("the built CLI lists the bundled model, and its path runs as --model offline", () => {
    const env = { ...process.env, HF_HUB_OFFLINE: "1", HF_HUB_CACHE: join(temp.path, "empty-hub") };
    const listed = runCli(["models", "--json"], env);
    expect(listed.status).toBe(0);
    const bundled = listed.stdout
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line))
      .filter((m) => m.bundled);
    expect(bundled.map((m) => m.id)).toEqual(["dinov2-tf4"]);
    const out = join(temp.path, "bundled-features");
    const run = runCli(
      ["features", "--model", bundled[0].path, "--images", "models/samples/coffee.png", "--out", out],
      env,
    );
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
  });

  it("formatModelsTable of an empty listing still has the header and the summary", () => {
    expect(formatModelsTable([])).toMatch(/^id {2}family.*\n\n0 models: 0 ready, 0 convertible; 0 cached\./);
  });
});
