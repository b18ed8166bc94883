import { join } from "node:path";
import { Command } from "commander";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { addModelsCommand, formatModelsTable } from "../../src/cli/models-command";
import { createHubClient } from "../../src/models/hub-client";
import { fetchHubModel } from "../../src/models/hub-model";
import { hubSettingsFromEnv } from "../../src/models/hub-settings";
import { listModels } from "../../src/models/list-models";
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
    expect(listing.find((m) => m.entry.id === "mae-base")).toMatchObject({ onnx: "export", cached: false });
  });

  it("prints one aligned row per catalog model with family, size, category and cache state", async () => {
    const saved = process.env.HF_HUB_CACHE;
    process.env.HF_HUB_CACHE = cacheDir;
    const text = await runModels().finally(() => {
      process.env.HF_HUB_CACHE = saved;
    });
    const lines = text.split("\n");
    expect(lines[0]).toMatch(/^id +family +size +category +params +memory +onnx +cached$/);
    expect(text).toMatch(/\ndinov2-small +DINOv2 +S +CL +21 M +0\.7 GB +hub +yes\n/);
    expect(text).toMatch(/\nmae-base +MAE +B +MIM +86 M +1\.3 GB +export +no\n/);
    expect(text).toMatch(/\n37 models, 1 cached\./);
    const familyColumn = (lines[0] as string).indexOf("family");
    for (const line of lines.slice(1, 38)) expect(line[familyColumn - 1], line).toBe(" ");
  });

  it("--json prints one parseable object per model", async () => {
    const text = await runModels("--json");
    const objects = text
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(objects.length).toBe(37);
    expect(objects[0]).toMatchObject({ id: "dino-vits16", onnx: "hub", cached: expect.any(Boolean) });
  });

  it("formatModelsTable of an empty listing still has the header and the summary", () => {
    expect(formatModelsTable([])).toMatch(/^id {2}family.*\n\n0 models, 0 cached\./);
  });
});
