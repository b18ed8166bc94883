import { writeFileSync } from "node:fs";
import { homedir, totalmem } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { InputError } from "../../src/errors";
import { hubSettingsFromEnv } from "../../src/hub/hub-settings";
import { checkMemory, estimateRunBytes, memoryLimitBytes } from "../../src/models/memory-estimate";
import { testCacheDir } from "../support/temp";

const temp = testCacheDir();
afterAll(() => temp.remove());

describe("hubSettingsFromEnv(env): huggingface_hub's variables and precedence", () => {
  it.each([
    [{}, join(homedir(), ".cache", "huggingface", "hub")],
    [{ XDG_CACHE_HOME: "/x" }, "/x/huggingface/hub"],
    [{ XDG_CACHE_HOME: "/x", HF_HOME: "/h" }, "/h/hub"],
    [{ HF_HOME: "/h", HUGGINGFACE_HUB_CACHE: "/legacy" }, "/legacy"],
    [{ HF_HOME: "/h", HUGGINGFACE_HUB_CACHE: "/legacy", HF_HUB_CACHE: "/c" }, "/c"],
    [{ HF_HUB_CACHE: "~/hf" }, join(homedir(), "hf")],
  ])("%j → cache %s", (env, cacheDir) => {
    expect(hubSettingsFromEnv(env).cacheDir).toBe(cacheDir);
  });

  it("HF_ENDPOINT without its trailing slash; an invalid one is an InputError", () => {
    expect(hubSettingsFromEnv({}).endpoint).toBe("https://huggingface.co");
    expect(hubSettingsFromEnv({ HF_ENDPOINT: "https://hf-mirror.example/" }).endpoint).toBe(
      "https://hf-mirror.example",
    );
    expect(() => hubSettingsFromEnv({ HF_ENDPOINT: "hf-mirror" })).toThrow(InputError);
    expect(() => hubSettingsFromEnv({ HF_ENDPOINT: "hf-mirror" })).toThrow(/invalid HF_ENDPOINT "hf-mirror"/);
  });

  it("HF_TOKEN, else the token file `hf auth login` writes (HF_HOME/token or HF_TOKEN_PATH)", () => {
    writeFileSync(join(temp.path, "token"), "hf_from_file\n");
    expect(hubSettingsFromEnv({ HF_HOME: temp.path }).token).toBe("hf_from_file");
    expect(hubSettingsFromEnv({ HF_HOME: temp.path, HF_TOKEN: "hf_env" }).token).toBe("hf_env");
    expect(hubSettingsFromEnv({ HF_HOME: "/nowhere", HF_TOKEN_PATH: join(temp.path, "token") }).token).toBe(
      "hf_from_file",
    );
    expect(hubSettingsFromEnv({ HF_HOME: "/nowhere" }).token).toBeUndefined();
  });

  it.each([
    ["1", true],
    ["ON", true],
    ["yes", true],
    ["True", true],
    ["0", false],
    ["", false],
  ])("HF_HUB_OFFLINE=%j → offline %s", (value, offline) => {
    expect(hubSettingsFromEnv({ HF_HUB_OFFLINE: value }).offline).toBe(offline);
  });

  it("TRANSFORMERS_OFFLINE also means offline; timeouts come from HF_HUB_ETAG_TIMEOUT/HF_HUB_DOWNLOAD_TIMEOUT seconds", () => {
    expect(hubSettingsFromEnv({ TRANSFORMERS_OFFLINE: "1" }).offline).toBe(true);
    const s = hubSettingsFromEnv({ HF_HUB_ETAG_TIMEOUT: "3", HF_HUB_DOWNLOAD_TIMEOUT: "60" });
    expect([s.metadataTimeoutMs, s.downloadTimeoutMs]).toEqual([3000, 60_000]);
    expect(hubSettingsFromEnv({}).metadataTimeoutMs).toBe(10_000);
  });
});

describe("memory estimate", () => {
  it("memoryLimitBytes: the machine's memory, a size from SEGLENS_MEMORY_LIMIT, or off", () => {
    expect(memoryLimitBytes({})).toBe(totalmem());
    expect(memoryLimitBytes({ SEGLENS_MEMORY_LIMIT: "16G" })).toBe(16 * 1024 ** 3);
    expect(memoryLimitBytes({ SEGLENS_MEMORY_LIMIT: "512MiB" })).toBe(512 * 1024 ** 2);
    expect(memoryLimitBytes({ SEGLENS_MEMORY_LIMIT: "off" })).toBeUndefined();
    expect(() => memoryLimitBytes({ SEGLENS_MEMORY_LIMIT: "lots" })).toThrow(
      /invalid SEGLENS_MEMORY_LIMIT "lots"/,
    );
  });

  it("estimateRunBytes: twice the weights, float32 taps of one image, the runtime base", () => {
    const vitL = estimateRunBytes({ weightBytes: 304e6 * 4, layers: 24, hiddenSize: 1024, tokens: 257 });
    expect(vitL / 1e9).toBeCloseTo(3.1, 1);
    expect(estimateRunBytes({ weightBytes: 0 })).toBe(512 * 1024 ** 2);
  });

  it("checkMemory refuses with the need and the limit in GB, and is silent without a limit", () => {
    expect(() => checkMemory('"x"', { weightBytes: 8e9 }, 8e9)).toThrow(
      /^model "x" needs about 16\.5 GB of memory to run but 8\.0 GB are available/,
    );
    expect(() => checkMemory('"x"', { weightBytes: 8e9 }, undefined)).not.toThrow();
  });
});
