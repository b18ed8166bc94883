import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readNpy } from "../../src/features/npy";
import { sha256 } from "../../src/util/sha256";
import { type CliRun, expectOneLineFailure, runCliAsync } from "../support/cli";
import { EXPORT_ONLY_ID, writeExportOnlyCatalog } from "../support/export-only-catalog";
import { createFakeHub, type FakeHub, repoFromFolder } from "../support/fake-hub";
import { testCacheDir } from "../support/temp";

const temp = testCacheDir();
let hub: FakeHub;
const IMAGE = "models/samples/coffee.png";

beforeAll(async () => {
  hub = await createFakeHub({
    // The tiny fixtures published under the catalog's repos: `--model <catalog id>` finds them.
    "Xenova/dinov2-small": repoFromFolder("models/fixtures/dinov2-tf4"),
    "Xenova/dino-vits16": repoFromFolder("models/fixtures/vit-tf4"),
    "someone/dinov3-tiny": repoFromFolder("models/fixtures/dinov3-tf4"),
    "org/gated": { ...repoFromFolder("models/fixtures/dinov2-tf4"), gatedToken: "hf_right" },
  });
  writeExportOnlyCatalog(temp.path);
});
afterAll(async () => {
  await hub.close();
  temp.remove();
});

/** Runs the built CLI with the fake Hub's environment, without blocking this process (which serves the Hub). */
function seglens(env: Record<string, string>, ...args: string[]): Promise<CliRun> {
  return runCliAsync(args, {
    ...process.env,
    HF_TOKEN: "",
    HF_HUB_OFFLINE: "",
    SEGLENS_MEMORY_LIMIT: "",
    ...env,
  });
}

/** A fresh Hugging Face home (cache and token file) pointing at the fake Hub. */
function hfEnv(name: string): Record<string, string> {
  return { HF_ENDPOINT: hub.endpoint, HF_HOME: join(temp.path, name), HF_HUB_CACHE: "" };
}

describe("seglens features --model <catalog or Hub id> against a fake Hub", () => {
  it("a catalog id downloads into the HF cache, runs, and records Hub repo and commit; offline reruns from the cache", async () => {
    const env = hfEnv("home-a");
    const out = join(temp.path, "dinov2");
    const run = await seglens(env, "features", "--model", "dinov2-small", "--images", IMAGE, "--out", out);
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/1 images through "dinov2-small" \(2 blocks, grid 4×4, 1 prefix tokens\)/);
    const meta = JSON.parse(readFileSync(join(out, "meta.json"), "utf8"));
    expect(meta.model).toBe("dinov2-small");
    expect(meta.provenance).toMatchObject({
      hub_repo: "Xenova/dinov2-small",
      hub_commit: hub.commitOf("Xenova/dinov2-small"),
      model_sha256: sha256(readFileSync("models/fixtures/dinov2-tf4/onnx/model.onnx")),
    });
    expect(meta.provenance.model_file).toContain(
      join("home-a", "hub", "models--Xenova--dinov2-small", "snapshots"),
    );

    const start = hub.requests.length;
    const offlineOut = join(temp.path, "dinov2-offline");
    const offline = await seglens(
      { ...env, HF_HUB_OFFLINE: "1" },
      "features",
      "--model",
      "dinov2-small",
      "--images",
      IMAGE,
      "--out",
      offlineOut,
    );
    expect(offline.status).toBe(0);
    expect(hub.requests.length).toBe(start);
    expect(readNpy(join(offlineOut, "q_L2.npy")).data).toEqual(readNpy(join(out, "q_L2.npy")).data);
  });

  it("dino-vits16 runs with the catalog's ImageNet mean/std, as recorded in meta.json", async () => {
    const out = join(temp.path, "dino");
    const run = await seglens(
      hfEnv("home-b"),
      "features",
      "--model",
      "dino-vits16",
      "--images",
      IMAGE,
      "--out",
      out,
    );
    expect(run.stderr).toBe("");
    const meta = JSON.parse(readFileSync(join(out, "meta.json"), "utf8"));
    expect(meta.provenance.preprocessing.normalize).toEqual({
      mean: [0.485, 0.456, 0.406],
      std: [0.229, 0.224, 0.225],
    });
    expect(meta.provenance.hub_repo).toBe("Xenova/dino-vits16");
  });

  it("a Hub id whose model has external data: both files land in one snapshot and onnxruntime loads them", async () => {
    const out = join(temp.path, "dinov3");
    const run = await seglens(
      hfEnv("home-c"),
      "features",
      "--model",
      "someone/dinov3-tiny",
      "--images",
      IMAGE,
      "--out",
      out,
    );
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
    expect(readNpy(join(out, "k_L1.npy")).dims).toEqual([1, 21, 32]);
  });

  it.each([
    [
      ["--model", "org/gated"],
      {},
      /^seglens: Hub repo "org\/gated" is gated: accept its conditions at .* then set HF_TOKEN/,
    ],
    [
      ["--model", "dinov2-small"],
      { HF_HUB_OFFLINE: "1" },
      /^seglens: Hub model "Xenova\/dinov2-small" .* HF_HUB_OFFLINE is set/,
    ],
    [
      ["--model", "dinov3-vit7b16"],
      { SEGLENS_MEMORY_LIMIT: "8G" },
      /^seglens: model "dinov3-vit7b16" .* needs about 54\.8 GB/,
    ],
    [
      ["--model", "dinov3-vit7b16", "--max-memory", "8G"],
      { SEGLENS_MEMORY_LIMIT: "off" },
      /^seglens: model "dinov3-vit7b16" .* needs about 54\.8 GB of memory to run but 8\.6 GB are available/,
    ],
    [
      ["--model", EXPORT_ONLY_ID],
      { SEGLENS_CATALOG: join(temp.path, "catalog.json") },
      /^seglens: model "export-only-vit" has no ready ONNX export on the Hub: make one with/,
    ],
  ])(
    "%j with %j: exit 2, one line on stderr saying what to do, nothing downloaded",
    async (args, env, message) => {
      const start = hub.requests.filter((r) => r.host === "cdn").length;
      const run = await seglens(
        { ...hfEnv(`home-${Math.random()}`), ...env },
        "features",
        ...args,
        "--images",
        IMAGE,
        "--out",
        join(temp.path, "bad"),
      );
      expect(run.status).toBe(2);
      expect(run.stderr.trim().split("\n")).toHaveLength(1);
      expect(run.stderr).toMatch(message);
      expect(hub.requests.filter((r) => r.host === "cdn").length).toBe(start);
    },
  );

  it("an unreachable Hub and an empty cache: exit 2 with a NetworkError naming the endpoint", async () => {
    const run = await seglens(
      { HF_ENDPOINT: "http://127.0.0.1:9", HF_HOME: join(temp.path, "home-d") },
      "features",
      "--model",
      "dinov2-small",
      "--images",
      IMAGE,
      "--out",
      join(temp.path, "down"),
    );
    expectOneLineFailure(run, /^seglens: cannot reach http:\/\/127\.0\.0\.1:9 \(ECONNREFUSED\)/);
  });
});
