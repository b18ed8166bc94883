import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { InputError } from "../../src/errors";
import type { ExplorerStatus } from "../../src/explorer/explorer-state";
import { type ExplorerWidget, explore } from "../../src/explorer/explorer-widget";
import { createCommManager } from "../../src/kernel/comm-manager";
import { registerKernel } from "../../src/kernel/kernel-api";
import { isTempName } from "../../src/util/temp-files";
import { createFakeHub, type FakeHub, repoFromFolder } from "../support/fake-hub";
import { testCacheDir } from "../support/temp";
import { closeWidgets } from "../support/widgets";

// Catalog models converted on first use, inside the explorer: the tiny MAE source checkpoint served
// under the catalog's repo by a loopback Hub, and SimDINO's layout passed as a checkpoint file,
// converted by the same code path users get, with the real kernel-side widget and real ONNX.
const temp = testCacheDir();
const IMAGE = resolve("models/samples/coffee.png");
const TINY = resolve("models/fixtures/dinov2-tf4");
const SIMDINO = resolve("models/fixtures/sources/simdino/checkpoint.pth");
const MAE_REPO = "facebook/vit-mae-base";
const ENV_KEYS = [
  "HF_ENDPOINT",
  "HF_HOME",
  "HF_HUB_CACHE",
  "HF_TOKEN",
  "HF_HUB_OFFLINE",
  "SEGLENS_CACHE",
  "SEGLENS_CATALOG",
  "SEGLENS_MEMORY_LIMIT",
] as const;
const savedEnv = Object.fromEntries(ENV_KEYS.map((key) => [key, process.env[key]]));
let hub: FakeHub;
let comms = createCommManager(() => undefined);
let testNumber = 0;

beforeAll(async () => {
  hub = await createFakeHub({ [MAE_REPO]: repoFromFolder("models/fixtures/sources/vit-mae") });
  // The bundled catalog plus two SimDINO-layout entries with the fixture's 4 heads.
  const catalog = JSON.parse(readFileSync("models/catalog.json", "utf8"));
  const simdino = catalog.models.find((m: { id: string }) => m.id === "simdino-vitb16");
  for (const id of ["simdino-tiny", "simdino-other"])
    catalog.models.push({ ...simdino, id, convert: { ...simdino.convert, heads: 4 } });
  writeFileSync(join(temp.path, "catalog.json"), JSON.stringify(catalog));
});
afterAll(async () => {
  await hub.close();
  temp.remove();
});
beforeEach(() => {
  // Every test starts with empty caches: nothing downloaded, nothing converted.
  const run = join(temp.path, `test-${++testNumber}`);
  Object.assign(process.env, {
    HF_ENDPOINT: hub.endpoint,
    HF_HOME: join(run, "hf"),
    HF_HUB_CACHE: "",
    HF_TOKEN: "",
    HF_HUB_OFFLINE: "",
    SEGLENS_CACHE: join(run, "seglens"),
    SEGLENS_CATALOG: join(temp.path, "catalog.json"),
    SEGLENS_MEMORY_LIMIT: "",
  });
  comms = createCommManager(() => undefined);
  registerKernel({ comms, display: () => undefined, interruptSignal: new AbortController().signal });
});
afterEach(() => {
  closeWidgets(comms);
  registerKernel(undefined);
  for (const key of ENV_KEYS) {
    if (savedEnv[key] === undefined) delete process.env[key];
    else process.env[key] = savedEnv[key];
  }
});

/** seglens' model folder of this test. */
const modelsDir = () => join(process.env.SEGLENS_CACHE as string, "models");
const entries = (dir: string) => (existsSync(dir) ? readdirSync(dir) : []);

/** A control change as the view sends it. */
function fromView(widget: ExplorerWidget, state: Record<string, unknown>): void {
  comms.handle("comm_msg", { comm_id: widget.modelId, data: { method: "update", state } }, {}, []);
}

/** The view's Cancel button: the custom message it sends. */
function cancelFromView(widget: ExplorerWidget): void {
  comms.handle(
    "comm_msg",
    { comm_id: widget.modelId, data: { method: "custom", content: { action: "cancel" } } },
    {},
    [],
  );
}

/** Every loading status the widget shows from now on. */
function recordLoading(widget: ExplorerWidget): Extract<ExplorerStatus, { kind: "loading" }>[] {
  const seen: Extract<ExplorerStatus, { kind: "loading" }>[] = [];
  widget.on("change", ({ changes }) => {
    if (changes.status?.kind === "loading") seen.push(changes.status);
  });
  return seen;
}

/** Resolves with the first status the widget shows that `test` accepts. */
function statusSeen(
  widget: ExplorerWidget,
  test: (status: ExplorerStatus) => boolean,
): Promise<ExplorerStatus> {
  return new Promise((resolvePromise) => {
    widget.on("change", ({ changes }) => {
      if (changes.status !== undefined && test(changes.status)) resolvePromise(changes.status);
    });
  });
}

/** A settled view change: the next turn delivers it, idle() waits for its computation. */
async function settled(widget: ExplorerWidget): Promise<void> {
  await new Promise((r) => setImmediate(r));
  await widget.idle();
}

describe("explore({ checkpoint }): a catalog model only shared by a download link", () => {
  it("converts the first model from the file; switching to other models never applies it to them", async () => {
    const widget = explore({
      model: "simdino-tiny",
      checkpoint: SIMDINO,
      choices: [TINY, "simdino-other"],
      images: [IMAGE],
      k: 3,
      precompute: false,
    });
    await widget.idle();
    expect(widget.get("status")).toEqual({ kind: "ready" });
    expect(widget.get("frame")?.models).toEqual(["simdino-tiny"]);
    const marker = JSON.parse(
      readFileSync(join(modelsDir(), "simdino-tiny", "seglens-conversion.json"), "utf8"),
    );
    expect(marker.source).toEqual({
      sha256: createHash("sha256").update(readFileSync(SIMDINO)).digest("hex"),
    });

    // A model that takes no checkpoint: computed as without one (not refused because of it).
    fromView(widget, { models: [TINY] });
    await settled(widget);
    expect(widget.get("status")).toEqual({ kind: "ready" });
    expect(widget.get("frame")?.models).toEqual([TINY]);

    // Another model converted from a file is not converted from this one's checkpoint.
    fromView(widget, { models: ["simdino-other"] });
    await settled(widget);
    const status = widget.get("status");
    expect(status.kind === "error" && status.message).toMatch(
      /^InputError: model "simdino-other" is only shared by a download link .*: download it and pass --checkpoint PATH$/,
    );
    expect(entries(modelsDir())).toEqual(["simdino-tiny"]);

    // Back to the first model beside the tiny one: its conversion is reused.
    fromView(widget, { models: ["simdino-tiny", TINY] });
    await settled(widget);
    expect(widget.get("status")).toEqual({ kind: "ready" });
    expect(widget.get("frame")?.model_layers).toEqual([
      [1, 2],
      [1, 2],
    ]);
    widget.close();
  });

  it("is refused at the call, as on the command line, for a first model not converted from a checkpoint", () => {
    for (const model of [TINY, "dinov2-small"]) {
      expect(() => explore({ model, checkpoint: SIMDINO, images: [IMAGE] })).toThrow(InputError);
      expect(() => explore({ model, checkpoint: SIMDINO, images: [IMAGE] })).toThrow(
        `checkpoint applies to catalog models that seglens converts from a checkpoint (\`seglens models\` lists them as convertible); "${model}" is not one`,
      );
    }
    // The checkpoint belongs to the first model: a convertible second one does not make it valid.
    expect(() => explore({ model: [TINY, "simdino-tiny"], checkpoint: SIMDINO, images: [IMAGE] })).toThrow(
      /"[^"]*dinov2-tf4" is not one/,
    );
  });
});

describe("cancelling a first-use conversion from the explorer", () => {
  it("during the download of a convertible choice: the transfer stops, nothing half-made is left, the frame stays; the next run converts it", async () => {
    const held = hub.holdTransfer("model.safetensors", 4096);
    const widget = explore({ model: TINY, choices: ["mae-base"], images: [IMAGE], k: 3, precompute: false });
    await widget.idle();
    const tinyFrame = widget.get("frame");
    expect(widget.get("model_choices")).toEqual([TINY, "mae-base"]);

    const downloading = statusSeen(
      widget,
      (s) => s.kind === "loading" && s.stage === "download" && /model\.safetensors/.test(s.detail ?? ""),
    );
    fromView(widget, { models: ["mae-base"] });
    await downloading; // the weights are on their way; the server holds the rest back
    cancelFromView(widget);
    expect(widget.get("status")).toEqual({ kind: "ready" });
    await widget.idle(); // resolves once the cancelled download has stopped and let go of its files
    // In the Hub cache the two configs and the resumable partial download (no lock left, never a
    // truncated file under its own name); nothing in seglens' model folder.
    const cache = join(process.env.HF_HOME as string, "hub", "models--facebook--vit-mae-base");
    const partial = entries(join(cache, "blobs")).filter((name) => !/^[0-9a-f]+$/.test(name));
    expect(partial).toEqual([expect.stringMatching(/^[0-9a-f]{64}\.incomplete$/)]);
    expect(entries(join(cache, "snapshots", hub.commitOf(MAE_REPO))).sort()).toEqual([
      "config.json",
      "preprocessor_config.json",
    ]);
    expect(entries(modelsDir())).toEqual([]);
    await held.closed; // the client closed the connection without the rest
    expect(widget.get("status")).toEqual({ kind: "ready" });
    expect(widget.get("frame")).toBe(tinyFrame);

    // The next run resumes the download and converts the model completely, showing its progress.
    const loading = recordLoading(widget);
    fromView(widget, { models: ["mae-base"] });
    await settled(widget);
    expect(widget.get("status")).toEqual({ kind: "ready" });
    expect(widget.get("frame")?.models).toEqual(["mae-base"]);
    expect(existsSync(join(modelsDir(), "mae-base", "onnx", "model.onnx_data"))).toBe(true);
    expect(entries(modelsDir())).toEqual(["mae-base"]);
    expect(hub.requests.filter((r) => r.host === "cdn" && r.range === "bytes=4096-")).toHaveLength(1);
    const details = loading.map((s) => `${s.stage}: ${s.detail ?? `${s.done}/${s.total}`}`);
    // While the source downloads, what its conversion will take is said beside it.
    expect(details).toContainEqual(
      expect.stringMatching(
        /^download: downloading model\.safetensors: [\d.]+ of 0\.1 MB; then converting "mae-base" from facebook\/vit-mae-base@[0-9a-f]{7} once, into .*mae-base: writes 0\.34 GB of float32 weights, needs about [\d.]+ GB of memory and ~\d+ s after the download$/,
      ),
    );
    expect(details).toContain("convert: converting mae-base: 0 of 2 blocks");
    expect(details).toContain("convert: converting mae-base: 2 of 2 blocks");
    expect(details.indexOf("convert: converting mae-base: 2 of 2 blocks")).toBeLessThan(
      details.findIndex((d) => d.startsWith("features")),
    );
    widget.close();
  });

  it("choosing the model again right after Cancel starts afresh once the cancelled download has stopped", async () => {
    hub.holdTransfer("model.safetensors", 4096);
    const widget = explore({ model: TINY, choices: ["mae-base"], images: [IMAGE], k: 3, precompute: false });
    await widget.idle();
    const downloading = statusSeen(
      widget,
      (s) => s.kind === "loading" && s.stage === "download" && /model\.safetensors/.test(s.detail ?? ""),
    );
    fromView(widget, { models: ["mae-base"] });
    await downloading;
    cancelFromView(widget);
    fromView(widget, { models: ["mae-base"] }); // before the cancelled work has settled
    await settled(widget);
    expect(widget.get("status")).toEqual({ kind: "ready" });
    expect(widget.get("frame")?.models).toEqual(["mae-base"]);
    expect(entries(modelsDir())).toEqual(["mae-base"]);
    widget.close();
  });

  it("during the conversion itself: no model folder and no temporary files are left, status idle; the next run converts it", async () => {
    const widget = explore({ model: "mae-base", images: [IMAGE], k: 3, precompute: false });
    const loading = recordLoading(widget);
    // Cancel as soon as the converter reports: the embeddings are written, the blocks are not.
    let cancelOnConvert = true;
    widget.on("change", ({ changes }) => {
      if (cancelOnConvert && changes.status?.kind === "loading" && changes.status.stage === "convert")
        cancelFromView(widget);
    });
    await statusSeen(widget, (s) => s.kind === "idle");
    await widget.idle();
    expect(widget.get("status")).toEqual({ kind: "idle" });
    expect(widget.get("frame")).toBeNull();
    expect(loading.filter((s) => s.stage === "convert").map((s) => s.done)).toEqual([0]);
    expect(entries(modelsDir()).filter((name) => name === "mae-base" || isTempName(name))).toEqual([]);

    // A control change runs again: the conversion is made whole this time.
    cancelOnConvert = false;
    fromView(widget, { k: 4 });
    await settled(widget);
    expect(widget.get("status")).toEqual({ kind: "ready" });
    expect(widget.get("frame")?.models).toEqual(["mae-base"]);
    expect(entries(modelsDir())).toEqual(["mae-base"]);
    widget.close();
  });
});
