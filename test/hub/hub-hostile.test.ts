import { mkdirSync, readdirSync } from "node:fs";
import { join, relative, sep } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { InputError, NetworkError } from "../../src/errors";
import { createHubClient } from "../../src/hub/hub-client";
import { fetchHubModel } from "../../src/hub/hub-model";
import { hubSettingsFromEnv } from "../../src/hub/hub-settings";
import { runCliAsync } from "../support/cli";
import { createFakeHub, type FakeHub, type FakeTamper, repoFromFolder } from "../support/fake-hub";
import { testCacheDir } from "../support/temp";

const temp = testCacheDir();
let hub: FakeHub;
let sandboxes = 0;
const DINOV2 = repoFromFolder("models/fixtures/dinov2-tf4");
const VISION_ONLY = {
  files: {
    "config.json": DINOV2.files["config.json"] as Uint8Array,
    "onnx/vision_model.onnx": DINOV2.files["onnx/model.onnx"] as Uint8Array,
  },
};

beforeAll(async () => {
  hub = await createFakeHub({ "org/dinov2": DINOV2, "org/vision-only": VISION_ONLY });
});
afterAll(async () => {
  await hub.close();
  temp.remove();
});
afterEach(() => {
  hub.tamper = undefined;
});

/** Everything under `root`, as relative paths, folders included. */
function tree(root: string): string[] {
  return readdirSync(root, { recursive: true, encoding: "utf8" }).map((p) => p.split(sep).join("/"));
}

/**
 * Fetches `repo` with the Hub tampered, into a cache three folders deep inside a sandbox, and
 * returns the error and whatever appeared in the sandbox outside the cache.
 */
async function fetchTampered(tamper: FakeTamper, repo = "org/dinov2") {
  const sandbox = join(temp.path, `sandbox-${sandboxes++}`);
  const cacheDir = join(sandbox, "a", "b", "c", "hub");
  mkdirSync(cacheDir, { recursive: true });
  hub.tamper = tamper;
  const client = createHubClient(hubSettingsFromEnv({ HF_ENDPOINT: hub.endpoint, HF_HUB_CACHE: cacheDir }), {
    retryDelayMs: 0,
  });
  const error = await fetchHubModel(client, { repo }).then(
    () => undefined,
    (e: unknown) => e,
  );
  const cacheRel = relative(sandbox, cacheDir).split(sep).join("/");
  const outside = tree(sandbox).filter(
    (p) => !`${cacheRel}/`.startsWith(`${p}/`) && !p.startsWith(`${cacheRel}/`),
  );
  return { error, outside };
}

const ESCAPE = "../../../../escaped";

/** Headers of every resolve answer with `name` set to `value` where the honest Hub sends it. */
function replacing(name: string, value: string): FakeTamper {
  return { resolveHeaders: (h) => (name in h ? { ...h, [name]: value } : h) };
}

describe("a hostile Hub cannot make seglens write outside the cache", () => {
  it.each([
    [
      "X-Repo-Commit",
      replacing("x-repo-commit", ESCAPE),
      /X-Repo-Commit "\.\.\/\.\.\/\.\.\/\.\.\/escaped".*40 lowercase hex digits/,
    ],
    ["X-Repo-Commit", replacing("x-repo-commit", "0123abc"), /X-Repo-Commit "0123abc"/],
    ["X-Repo-Commit", replacing("x-repo-commit", "A".repeat(40)), /X-Repo-Commit "A{40}"/],
    ["ETag", replacing("etag", `"${ESCAPE}"`), /ETag "\.\.\/\.\.\/\.\.\/\.\.\/escaped".*hex digits/],
    ["ETag", replacing("etag", '"config.json"'), /ETag "config\.json"/],
    ["X-Linked-Etag", replacing("x-linked-etag", ESCAPE), /X-Linked-Etag "\.\.\/\.\.\/\.\.\/\.\.\/escaped"/],
    ["X-Linked-Size", replacing("x-linked-size", "-1"), /X-Linked-Size "-1".*a whole number of bytes/],
    [
      "Location",
      replacing("location", "file:///etc/passwd"),
      /redirect to "file:\/\/\/etc\/passwd".*http: or https:/,
    ],
    ["Location", replacing("location", "ftp://127.0.0.2/blob"), /redirect to "ftp:\/\/127\.0\.0\.2\/blob"/],
    ["Location", replacing("location", "http://[::1"), /redirect to "http:\/\/\[::1"/],
  ])(
    "%s %#: refused with one line naming the value, nothing written outside the cache",
    async (_, tamper, message) => {
      const { error, outside } = await fetchTampered(tamper);
      expect(error).toBeInstanceOf(NetworkError);
      expect((error as Error).message).toMatch(message);
      expect((error as Error).message).not.toContain("\n");
      expect(outside).toEqual([]);
    },
  );

  it("X-Repo-Commit with a path on the answer for a missing file is refused before .no_exist is written", async () => {
    const { error, outside } = await fetchTampered(
      {
        resolveHeaders: (h, file) =>
          file === "preprocessor_config.json" ? { ...h, "x-repo-commit": ESCAPE } : h,
      },
      "org/vision-only",
    );
    expect(error).toBeInstanceOf(NetworkError);
    expect((error as Error).message).toMatch(/X-Repo-Commit "\.\.\/\.\.\/\.\.\/\.\.\/escaped"/);
    expect(outside).toEqual([]);
  });

  it("a redirect of a renamed repo to a file: URL is refused before it is followed", async () => {
    hub.renamed.set("old/dinov2", "org/dinov2");
    const sandbox = join(temp.path, `sandbox-${sandboxes++}`);
    hub.tamper = replacing("location", "file:///etc/passwd");
    const client = createHubClient(hubSettingsFromEnv({ HF_ENDPOINT: hub.endpoint, HF_HUB_CACHE: sandbox }));
    const run = fetchHubModel(client, { repo: "old/dinov2" });
    await expect(run).rejects.toThrow(NetworkError);
    await expect(run).rejects.toThrow(
      /^refusing a redirect to "file:\/\/\/etc\/passwd" from http:\/\/127\.0\.0\.1:\d+:/,
    );
  });

  it("--file with a NUL or a backslash is an InputError quoting it, before any request", async () => {
    const client = createHubClient(
      hubSettingsFromEnv({ HF_ENDPOINT: hub.endpoint, HF_HUB_CACHE: temp.path }),
    );
    const start = hub.requests.length;
    for (const file of ["onnx/model\u0000.onnx", "onnx\\model.onnx"]) {
      const run = fetchHubModel(client, { repo: "org/dinov2", file, refresh: true });
      await expect(run).rejects.toThrow(InputError);
      await expect(run).rejects.toThrow(`invalid file path in a Hub repo: ${JSON.stringify(file)}`);
    }
    expect(hub.requests.slice(start).filter((r) => r.path.includes("model.onnx"))).toEqual([]);
  });

  it.each([
    ["../../../../escaped.onnx", /"\.\.\/\.\.\/\.\.\/\.\.\/escaped\.onnx"/],
    ["/tmp/escaped.onnx", /"\/tmp\/escaped\.onnx"/],
    ["onnx\\..\\..\\escaped.onnx", /"onnx\\\\\.\.\\\\\.\.\\\\escaped\.onnx"/],
    ["onnx//escaped.onnx", /"onnx\/\/escaped\.onnx"/],
    ["onnx/escaped\u0000.onnx", /"onnx\/escaped\\u0000\.onnx"/],
    ["onnx/line\nbreak.onnx", /"onnx\/line\\nbreak\.onnx"/],
  ])("a file list naming %j is refused, quoting the name escaped on one line", async (name, message) => {
    const listing = { siblings: [{ rfilename: "config.json" }, { rfilename: name }] };
    const { error, outside } = await fetchTampered({ listing }, "org/vision-only");
    expect(error).toBeInstanceOf(NetworkError);
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).toMatch(/file list.*relative path/);
    expect((error as Error).message).not.toContain("\n");
    expect(outside).toEqual([]);
  });

  it.each([
    [{ siblings: "nope" }, /file list .* no "siblings" array/],
    [{ siblings: [{ rfilename: 7 }] }, /refusing file 7 in the file list of org\/vision-only/],
    [[1, 2], /file list .* no "siblings" array/],
  ])("a file list shaped %j is refused as a NetworkError", async (listing, message) => {
    const { error } = await fetchTampered({ listing }, "org/vision-only");
    expect(error).toBeInstanceOf(NetworkError);
    expect((error as Error).message).toMatch(message);
  });
});

describe("seglens features --model org/name against a hostile Hub", () => {
  it.each([
    [
      "X-Repo-Commit",
      replacing("x-repo-commit", ESCAPE),
      /^seglens: refusing X-Repo-Commit "\.\.\/\.\.\/\.\.\/\.\.\/escaped"/,
    ],
    [
      "Location",
      replacing("location", "file:///etc/passwd"),
      /^seglens: refusing a redirect to "file:\/\/\/etc\/passwd"/,
    ],
  ])("%s: fails with one seglens: line and writes nothing outside the cache", async (_, tamper, message) => {
    const sandbox = join(temp.path, `cli-${sandboxes++}`);
    const home = join(sandbox, "a", "b", "c", "hf");
    mkdirSync(home, { recursive: true });
    hub.tamper = tamper;
    const run = await runCliAsync(
      [
        "features",
        "--model",
        "org/dinov2",
        "--images",
        "models/samples/coffee.png",
        "--out",
        join(home, "out"),
      ],
      {
        ...process.env,
        HF_ENDPOINT: hub.endpoint,
        HF_HOME: home,
        HF_HUB_CACHE: "",
        HF_TOKEN: "",
        HF_HUB_OFFLINE: "",
      },
    );
    expect(run.status).not.toBe(0);
    expect(run.stderr.trim().split("\n")).toEqual([expect.stringMatching(message)]);
    expect(
      tree(sandbox).filter((p) => !"a/b/c/hf/".startsWith(`${p}/`) && !p.startsWith("a/b/c/hf/")),
    ).toEqual([]);
  });
});
