import { createHash } from "node:crypto";
import {
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { InputError, NetworkError } from "../../src/errors";
import { createHubClient, type HubClientOptions } from "../../src/hub/hub-client";
import type { DownloadProgress } from "../../src/hub/hub-download";
import { fetchHubModel, type HubModelRequest } from "../../src/hub/hub-model";
import { type HubSettings, hubSettingsFromEnv } from "../../src/hub/hub-settings";
import { createFakeHub, type FakeHub, repoFromFolder } from "../support/fake-hub";
import { testCacheDir } from "../support/temp";

const temp = testCacheDir();
let hub: FakeHub;
let caches = 0;
const DINOV2 = repoFromFolder("models/fixtures/dinov2-tf4");
const DINOV3 = repoFromFolder("models/fixtures/dinov3-tf4");
const ONNX_SIZE = statSync("models/fixtures/dinov2-tf4/onnx/model.onnx").size;

beforeAll(async () => {
  hub = await createFakeHub({
    "onnx-community/dinov2-small": DINOV2,
    "onnx-community/dinov3-tiny": DINOV3,
    "org/gated": { ...DINOV2, gatedToken: "hf_right" },
    "org/vision-only": {
      files: {
        "config.json": DINOV2.files["config.json"] as Uint8Array,
        "onnx/vision_model.onnx": DINOV2.files["onnx/model.onnx"] as Uint8Array,
      },
    },
    "org/two-towers": {
      files: { "onnx/vision_model.onnx": new Uint8Array(8), "onnx/text_model.onnx": new Uint8Array(8) },
    },
  });
});
afterAll(async () => {
  await hub.close();
  temp.remove();
});
afterEach(() => {
  hub.cutTransfers("onnx/model.onnx", 0, 0);
  hub.ignoreRange = false;
});

/** Settings for a fresh cache (or `cacheDir`) pointing at the fake Hub. */
function settings(overrides: Partial<HubSettings> & { cacheDir?: string } = {}): HubSettings {
  const fresh = join(temp.path, `cache-${caches++}`);
  return { ...hubSettingsFromEnv({ HF_ENDPOINT: hub.endpoint, HF_HUB_CACHE: fresh }), ...overrides };
}

function fetchModel(s: HubSettings, request: Partial<HubModelRequest> = {}, options: HubClientOptions = {}) {
  const client = createHubClient(s, { retryDelayMs: 0, ...options });
  return fetchHubModel(client, { repo: "onnx-community/dinov2-small", ...request });
}

function requestsDuring<T>(run: () => Promise<T>): Promise<{ result: T; requests: FakeHub["requests"] }> {
  const start = hub.requests.length;
  return run().then((result) => ({ result, requests: hub.requests.slice(start) }));
}

const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

describe("fetchHubModel against a fake Hub", () => {
  it("a cold download writes huggingface_hub's layout: refs/main, blobs/<etag>, relative snapshot links", async () => {
    const s = settings();
    const { result: model, requests } = await requestsDuring(() => fetchModel(s));
    const commit = hub.commitOf("onnx-community/dinov2-small");
    const repoDir = join(s.cacheDir, "models--onnx-community--dinov2-small");
    expect(model).toMatchObject({
      commit,
      revision: "main",
      file: "onnx/model.onnx",
      externalData: [],
      fromCache: false,
    });
    expect(model.folder).toBe(join(repoDir, "snapshots", commit));
    expect(readFileSync(join(repoDir, "refs", "main"), "utf8")).toBe(commit);
    const onnxSha = sha256(DINOV2.files["onnx/model.onnx"] as Uint8Array);
    const link = join(model.folder, "onnx", "model.onnx");
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readlinkSync(link)).toBe(`../../../blobs/${onnxSha}`);
    expect(readlinkSync(join(model.folder, "config.json"))).toMatch(/^\.\.\/\.\.\/blobs\/[0-9a-f]{40}$/);
    expect(readFileSync(link)).toEqual(readFileSync("models/fixtures/dinov2-tf4/onnx/model.onnx"));
    expect(readdirSync(join(repoDir, "blobs")).filter((f) => f.endsWith(".incomplete"))).toEqual([]);
    expect(existsSync(join(s.cacheDir, "CACHEDIR.TAG"))).toBe(true);
    // HEAD then GET per config; the LFS file's HEAD redirect names the other host, where its GET goes.
    expect(requests.map((r) => `${r.host} ${r.method} ${r.path.replace(/\?.*/, "")}`)).toEqual([
      `hub HEAD /onnx-community/dinov2-small/resolve/main/config.json`,
      `hub GET /onnx-community/dinov2-small/resolve/main/config.json`,
      `hub HEAD /onnx-community/dinov2-small/resolve/${commit}/preprocessor_config.json`,
      `hub GET /onnx-community/dinov2-small/resolve/${commit}/preprocessor_config.json`,
      `hub HEAD /onnx-community/dinov2-small/resolve/${commit}/onnx/model.onnx`,
      `cdn GET /blobs/${onnxSha}`,
    ]);
  });

  it("a warm cache serves without any request, also when the Hub is down", async () => {
    const s = settings();
    await fetchModel(s);
    const { result, requests } = await requestsDuring(() => fetchModel(s));
    expect(requests).toEqual([]);
    expect(result.fromCache).toBe(true);
    const down = await fetchModel({ ...s, endpoint: "http://127.0.0.1:9" });
    expect(down.commit).toBe(result.commit);
  });

  it("HF_HUB_OFFLINE=1 reads a cache this client wrote, with no request; a model not cached fails saying so", async () => {
    const online = settings();
    const written = await fetchModel(online);
    const offline = hubSettingsFromEnv({
      HF_ENDPOINT: hub.endpoint,
      HF_HUB_CACHE: online.cacheDir,
      HF_HUB_OFFLINE: "1",
    });
    expect(offline.offline).toBe(true);
    const { result, requests } = await requestsDuring(() => fetchModel(offline, { refresh: true }));
    expect(requests).toEqual([]);
    expect(result).toEqual({ ...written, fromCache: true });
    const missing = fetchModel(offline, { repo: "onnx-community/dinov3-tiny" });
    await expect(missing).rejects.toThrow(InputError);
    await expect(missing).rejects.toThrow(
      /"onnx-community\/dinov3-tiny" .* not in the cache .* HF_HUB_OFFLINE is set: run once online/,
    );
  });

  it("refresh with the Hub unreachable: the cached copy serves, with a warning", async () => {
    const s = settings();
    await fetchModel(s);
    const warnings: string[] = [];
    const model = await fetchModel(
      { ...s, endpoint: "http://127.0.0.1:9" },
      { refresh: true, onWarning: (w) => warnings.push(w) },
    );
    expect(model.fromCache).toBe(true);
    expect(warnings).toEqual([
      expect.stringMatching(/cannot reach http:\/\/127\.0\.0\.1:9 \(ECONNREFUSED\); using the cached copy/),
    ]);
  });

  it("the Hub unreachable and nothing cached: a NetworkError naming the endpoint", async () => {
    const run = fetchModel(settings({ endpoint: "http://127.0.0.1:9" }));
    await expect(run).rejects.toThrow(NetworkError);
    await expect(run).rejects.toThrow(/cannot reach http:\/\/127\.0\.0\.1:9/);
  });

  it("a connection cut mid-file resumes with Range and completes, with progress up to the total", async () => {
    hub.cutTransfers("onnx/model.onnx", 50_000);
    const progress: DownloadProgress[] = [];
    const { result, requests } = await requestsDuring(() =>
      fetchModel(settings(), { onProgress: (p) => progress.push(p) }),
    );
    const cdn = requests.filter((r) => r.host === "cdn");
    expect(cdn.map((r) => r.range)).toEqual([undefined, "bytes=50000-"]);
    expect(sha256(readFileSync(join(result.folder, "onnx/model.onnx")))).toBe(
      sha256(DINOV2.files["onnx/model.onnx"] as Uint8Array),
    );
    const last = progress.filter((p) => p.file === "onnx/model.onnx").at(-1);
    expect(last).toEqual({ file: "onnx/model.onnx", doneBytes: ONNX_SIZE, totalBytes: ONNX_SIZE });
  });

  it("a cut with no retries left keeps blobs/<etag>.incomplete; the next run resumes from it", async () => {
    const s = settings();
    hub.cutTransfers("onnx/model.onnx", 40_000);
    await expect(fetchModel(s, {}, { retries: 0 })).rejects.toThrow(NetworkError);
    const blobs = join(s.cacheDir, "models--onnx-community--dinov2-small", "blobs");
    const partial = readdirSync(blobs).find((f) => f.endsWith(".incomplete")) as string;
    expect(partial).toBe(`${sha256(DINOV2.files["onnx/model.onnx"] as Uint8Array)}.incomplete`);
    expect(statSync(join(blobs, partial)).size).toBe(40_000);
    const { requests } = await requestsDuring(() => fetchModel(s));
    expect(requests.filter((r) => r.host === "cdn").map((r) => r.range)).toEqual(["bytes=40000-"]);
    expect(existsSync(join(blobs, partial))).toBe(false);
  });

  it("a corrupt partial file fails the sha256 check, is discarded and the file fetched again whole", async () => {
    const s = settings();
    const etag = sha256(DINOV2.files["onnx/model.onnx"] as Uint8Array);
    const blobs = join(s.cacheDir, "models--onnx-community--dinov2-small", "blobs");
    mkdirSync(blobs, { recursive: true });
    writeFileSync(join(blobs, `${etag}.incomplete`), Buffer.alloc(1000, 0xff));
    const { result, requests } = await requestsDuring(() => fetchModel(s));
    expect(requests.filter((r) => r.host === "cdn").map((r) => r.range)).toEqual(["bytes=1000-", undefined]);
    expect(sha256(readFileSync(join(result.folder, "onnx/model.onnx")))).toBe(etag);
  });

  it("a partial file longer than the file is discarded; a file host that ignores Range restarts cleanly", async () => {
    const s = settings();
    const etag = sha256(DINOV2.files["onnx/model.onnx"] as Uint8Array);
    const blobs = join(s.cacheDir, "models--onnx-community--dinov2-small", "blobs");
    mkdirSync(blobs, { recursive: true });
    writeFileSync(join(blobs, `${etag}.incomplete`), Buffer.alloc(ONNX_SIZE + 10));
    const first = await requestsDuring(() => fetchModel(s));
    expect(first.requests.filter((r) => r.host === "cdn").map((r) => r.range)).toEqual([undefined]);

    const t = settings();
    const blobsT = join(t.cacheDir, "models--onnx-community--dinov2-small", "blobs");
    mkdirSync(blobsT, { recursive: true });
    writeFileSync(
      join(blobsT, `${etag}.incomplete`),
      (DINOV2.files["onnx/model.onnx"] as Uint8Array).subarray(0, 500),
    );
    hub.ignoreRange = true;
    const model = await fetchModel(t);
    expect(sha256(readFileSync(join(model.folder, "onnx/model.onnx")))).toBe(etag);
  });

  it("two fetches of one model in this process share one transfer per file", async () => {
    const s = settings();
    const { requests } = await requestsDuring(() => Promise.all([fetchModel(s), fetchModel(s)]));
    expect(requests.filter((r) => r.host === "cdn")).toHaveLength(1);
  });

  it("a download lock left by a dead process is taken over; one held by a live process is a NetworkError", async () => {
    const etag = sha256(DINOV2.files["onnx/model.onnx"] as Uint8Array);
    const dead = settings();
    const deadBlobs = join(dead.cacheDir, "models--onnx-community--dinov2-small", "blobs");
    mkdirSync(deadBlobs, { recursive: true });
    writeFileSync(join(deadBlobs, `${etag}.incomplete.lock`), "999999999");
    await expect(fetchModel(dead)).resolves.toMatchObject({ file: "onnx/model.onnx" });
    expect(existsSync(join(deadBlobs, `${etag}.incomplete.lock`))).toBe(false);

    const live = settings();
    const liveBlobs = join(live.cacheDir, "models--onnx-community--dinov2-small", "blobs");
    mkdirSync(liveBlobs, { recursive: true });
    writeFileSync(join(liveBlobs, `${etag}.incomplete.lock`), String(process.ppid));
    await expect(fetchModel(live)).rejects.toThrow(
      new RegExp(`"onnx/model.onnx" is being downloaded by another process \\(pid ${process.ppid}\\)`),
    );
  });

  it("external data named by the ONNX initializers is fetched with the model, into the same snapshot folder", async () => {
    const model = await fetchModel(settings(), { repo: "onnx-community/dinov3-tiny" });
    expect(model.externalData).toEqual(["onnx/model.onnx_data"]);
    expect(readFileSync(join(model.folder, "onnx/model.onnx_data"))).toEqual(
      readFileSync("models/fixtures/dinov3-tf4/onnx/model.onnx_data"),
    );
  });

  it.each([
    [{ file: "onnx/nope.onnx" }, /file "onnx\/nope\.onnx" is not in Hub repo "onnx-community\/dinov2-small"/],
    [{ repo: "org/does-not-exist" }, /Hub repo "org\/does-not-exist" not found \(answer 401\).*set HF_TOKEN/],
    [{ revision: "v9" }, /revision "v9" does not exist in Hub repo "onnx-community\/dinov2-small"/],
    [
      { repo: "org/two-towers" },
      /several \.onnx files \(onnx\/vision_model\.onnx, onnx\/text_model\.onnx\); choose one with --file/,
    ],
  ])("%j: an InputError saying what is wrong", async (request, message) => {
    const run = fetchModel(settings(), request);
    await expect(run).rejects.toThrow(InputError);
    await expect(run).rejects.toThrow(message);
  });

  it("with no onnx/model.onnx, the repo's only .onnx file is chosen, and found again offline", async () => {
    const s = settings();
    const model = await fetchModel(s, { repo: "org/vision-only" });
    expect(model.file).toBe("onnx/vision_model.onnx");
    expect(
      existsSync(
        join(s.cacheDir, "models--org--vision-only", ".no_exist", model.commit, "preprocessor_config.json"),
      ),
    ).toBe(true);
    const again = await requestsDuring(() =>
      fetchModel({ ...s, offline: true }, { repo: "org/vision-only" }),
    );
    expect(again.requests).toEqual([]);
    expect(again.result.file).toBe("onnx/vision_model.onnx");
  });

  it("a gated repo: 401 without a token and 403 with a wrong one say how to log in; the right token works", async () => {
    await expect(fetchModel(settings(), { repo: "org/gated" })).rejects.toThrow(
      /Hub repo "org\/gated" is gated: accept its conditions at http:\/\/127\.0\.0\.1:\d+\/org\/gated, then set HF_TOKEN/,
    );
    await expect(fetchModel(settings({ token: "hf_wrong" }), { repo: "org/gated" })).rejects.toThrow(
      /gated and the token sent has no access/,
    );
    const { requests } = await requestsDuring(() =>
      fetchModel(settings({ token: "hf_right" }), { repo: "org/gated" }),
    );
    expect(requests.filter((r) => r.host === "hub").every((r) => r.authorization === "Bearer hf_right")).toBe(
      true,
    );
    const cdn = requests.filter((r) => r.host === "cdn");
    expect(cdn).toHaveLength(1);
    expect(cdn[0]?.authorization).toBeUndefined();
  });

  it("a renamed repo's relative redirect is followed on the Hub, token included", async () => {
    hub.renamed.set("old-org/dinov2-small", "onnx-community/dinov2-small");
    const { result, requests } = await requestsDuring(() =>
      fetchModel(settings({ token: "hf_any" }), { repo: "old-org/dinov2-small" }),
    );
    expect(result.commit).toBe(hub.commitOf("onnx-community/dinov2-small"));
    expect(
      requests
        .filter((r) => r.path.startsWith("/onnx-community/"))
        .every((r) => r.authorization === "Bearer hf_any"),
    ).toBe(true);
  });

  it("checkWeights sees the ONNX size before its bytes are fetched and can refuse", async () => {
    const seen: number[] = [];
    const { requests } = await requestsDuring(() =>
      fetchModel(settings(), {
        repo: "onnx-community/dinov3-tiny",
        checkWeights: (bytes) => {
          seen.push(bytes);
          throw new InputError("too big");
        },
      }).catch((e: Error) => e.message),
    );
    expect(seen).toEqual([statSync("models/fixtures/dinov3-tf4/onnx/model.onnx").size]);
    expect(requests.filter((r) => r.host === "cdn")).toEqual([]);
  });
});
