import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { CancelledError, InputError, OptionRangeError } from "../../src/errors";
import {
  createExplorerEngine,
  type ExplorerEngine,
  type ExplorerProgress,
  type ExplorerRequest,
  type ExplorerResult,
} from "../../src/explorer/explorer-engine";
import type { BinaryArray, ExplorerFrame, ExplorerStatus } from "../../src/explorer/explorer-state";
import { ExplorerWidget, explore } from "../../src/explorer/explorer-widget";
import { createCommManager } from "../../src/kernel/comm-manager";
import type { MimeBundle } from "../../src/kernel/display";
import { registerKernel } from "../../src/kernel/kernel-api";
import type { OutgoingMessage } from "../../src/kernel/wire/wire-message";
import { resampleLabels } from "../../src/segmentation/label-grid";
import { mapScores } from "../../src/segmentation/metrics";
import { segment } from "../../src/segmentation/segment";
import { testCacheDir } from "../support/temp";
import { closeWidgets } from "../support/widgets";

let published: OutgoingMessage[] = [];
let displays: { bundle: MimeBundle; options: unknown }[] = [];
let comms = createCommManager((m) => published.push(m));
const tick = () => new Promise((r) => setImmediate(r));
/** Two turns: front-end changes reach listeners in one, what they set goes out in the next. */
const settle = async () => {
  await tick();
  await tick();
};

let testNumber = 0;

beforeEach(() => {
  // Messages and displays of widgets a finished test left behind never reach a later test's lists.
  const test = ++testNumber;
  published = [];
  displays = [];
  comms = createCommManager((m) => test === testNumber && published.push(m));
  registerKernel({
    comms,
    display: (bundle, options) => test === testNumber && displays.push({ bundle, options }),
    interruptSignal: new AbortController().signal,
  });
});
afterEach(() => {
  closeWidgets(comms);
  registerKernel(undefined);
});

/** A frame for `request` whose labels are all `request.k - 1`. */
function fakeResult(request: ExplorerRequest): ExplorerResult {
  const frame: ExplorerFrame = {
    models: request.models,
    rep: request.rep,
    k: request.k,
    layers: [1, 2],
    images: [0],
    grid: [2, 2],
    labels: { dtype: "uint8", shape: [1, 2, 1, 2, 2], buffer: new Uint8Array(8).fill(request.k - 1) },
    metrics: [
      [
        { pb: 0, lc: 0, ba: null },
        { pb: 1, lc: 1, ba: 0 },
      ],
    ],
  };
  return {
    frame,
    layerBounds: [1, 2],
    layerRange: [1, 2],
    imageNames: ["a.png"],
    page: { index: 0, count: 1, start: 0, end: 1 },
    images: undefined,
    views: [],
  };
}

/**
 * An engine whose computations finish only when the test says so. With `provisional`, a request
 * for a quick frame gets a provisional one (as the real engine does for a setting it has not kept).
 */
function manualEngine({ provisional = false } = {}) {
  const calls: {
    request: ExplorerRequest;
    signal: AbortSignal;
    progress: ExplorerProgress;
    finish: (error?: Error) => void;
  }[] = [];
  let cancelled = 0;
  const engine: ExplorerEngine = {
    compute: (request, signal, progress) =>
      new Promise((resolvePromise, reject) => {
        calls.push({
          request,
          signal,
          progress,
          finish: (error) => {
            if (error !== undefined) return reject(error);
            const result = fakeResult(request);
            resolvePromise({
              ...result,
              frame: { ...result.frame, provisional: provisional && request.provisional === true },
            });
          },
        });
      }),
    cancelFeatures: async () => {
      cancelled++;
    },
    dispose: async () => undefined,
  };
  return { engine, calls, cancelled: () => cancelled };
}

function frontendUpdate(widget: ExplorerWidget, state: Record<string, unknown>): void {
  comms.handle(
    "comm_msg",
    { comm_id: widget.modelId, data: { method: "update", state, buffer_paths: [] } },
    {},
    [],
  );
}

/** The `method` and `state` of every comm message `widget` sent since `published` was last emptied. */
function sentStates(widget: ExplorerWidget): { method: unknown; state: unknown }[] {
  return published.flatMap((m) => {
    const data = m.content.data as { method?: unknown; state?: unknown } | undefined;
    const mine = m.msg_type === "comm_msg" && m.content.comm_id === widget.modelId;
    return mine && data?.state !== undefined ? [{ method: data.method, state: data.state }] : [];
  });
}

function statuses(): ExplorerStatus[] {
  return published.flatMap((m) => {
    const data = m.content.data as { state?: { status?: ExplorerStatus } } | undefined;
    return data?.state?.status === undefined ? [] : [data.state.status];
  });
}

describe("ExplorerWidget state machine (fake engine, no sockets)", () => {
  it("opens with the ExplorerModel identity, status loading, and computes once from the options", async () => {
    const { engine, calls } = manualEngine();
    const widget = new ExplorerWidget({ model: "m1", images: ["x"], k: 4, rep: "q" }, engine);
    const open = published[0]?.content as { data: { state: Record<string, unknown> } };
    expect(open.data.state).toMatchObject({
      _model_module: "seglens",
      _model_module_version: expect.stringMatching(/^\^\d+\.\d+\.\d+/),
      _model_name: "ExplorerModel",
      _view_module: "seglens",
      _view_name: "ExplorerView",
      models: ["m1"],
      model_choices: ["m1"],
      k: 4,
      rep: "q",
      status: { kind: "loading", stage: "features", done: 0, total: 1 },
      frame: null,
      images: null,
    });
    expect(calls.map((c) => c.request)).toEqual([
      {
        models: ["m1"],
        k: 4,
        rep: "q",
        lens: "clusters",
        head: "mean",
        layerRange: undefined,
        normalize: "l2",
        page: 0,
        pageSize: 12,
        provisional: true,
      },
    ]);
    calls[0]?.finish();
    await widget.idle();
    expect(widget.get("status")).toEqual({ kind: "ready" });
    expect(widget.get("frame")?.k).toBe(4);
    expect(widget.get("layer_range")).toEqual([1, 2]);
  });

  it("a k update during computation aborts the old run; the stale result never overwrites the newer frame", async () => {
    const { engine, calls } = manualEngine();
    const widget = new ExplorerWidget({ model: "m1", images: ["x"] }, engine);
    frontendUpdate(widget, { k: 3 });
    await tick();
    expect(calls).toHaveLength(2);
    expect(calls[0]?.signal.aborted).toBe(true);
    expect(calls[0]?.signal.reason).toBeInstanceOf(CancelledError);
    expect(calls[1]?.request.k).toBe(3);
    calls[1]?.finish();
    await tick();
    calls[0]?.finish(); // the stale run finishes late, successfully
    calls[0]?.progress({ kind: "loading", stage: "kmeans", done: 1, total: 2 });
    await widget.idle();
    await tick();
    expect(widget.get("frame")?.k).toBe(3);
    expect(widget.get("status")).toEqual({ kind: "ready" });
    expect(statuses().at(-1)).toEqual({ kind: "ready" });
  });

  it("after a frame the neighbouring Ks, the PCA lens, then the other Ks are computed in the background; a new request stops that", async () => {
    const { engine, calls } = manualEngine();
    const widget = new ExplorerWidget({ model: "m1", images: ["x"], k: 3 }, engine);
    calls[0]?.finish();
    await widget.idle();
    await tick();
    for (let i = 1; i <= 3; i++) {
      await expect.poll(() => calls.length).toBe(i + 1);
      calls[i]?.finish();
    }
    await expect.poll(() => calls.length).toBe(5);
    expect(calls.slice(1).map((c) => [c.request.k, c.request.lens])).toEqual([
      [4, "clusters"],
      [2, "clusters"],
      [3, "pca"],
      [5, "clusters"],
    ]);
    expect(calls[4]?.request).toMatchObject({ models: ["m1"], rep: "tokens", normalize: "l2" });
    const background = calls[4]?.signal as AbortSignal;
    frontendUpdate(widget, { rep: "q" });
    await tick();
    expect(background.aborted).toBe(true);
    expect(calls.at(-1)?.request).toMatchObject({ k: 3, rep: "q" });
    expect(widget.get("frame")?.k).toBe(3); // background results never become the frame
    widget.close();
  });

  it("progress within a stage reaches the front end at most every 100 ms; the stage's first and last always", async () => {
    const { engine, calls } = manualEngine();
    new ExplorerWidget({ model: "m1", images: ["x"] }, engine);
    await tick();
    published = [];
    for (let done = 0; done <= 12; done++)
      calls[0]?.progress({ kind: "loading", stage: "kmeans", done, total: 12 });
    calls[0]?.progress({ kind: "loading", stage: "metrics", done: 0, total: 12 });
    await tick();
    expect(statuses()).toEqual([{ kind: "loading", stage: "metrics", done: 0, total: 12 }]); // one update per tick
    published = [];
    const sent: ExplorerStatus[] = [];
    for (let done = 0; done <= 12; done++) {
      calls[0]?.progress({ kind: "loading", stage: "kmeans", done, total: 12 });
      await tick();
      sent.push(...statuses());
      published = [];
    }
    expect(sent).toEqual([
      { kind: "loading", stage: "kmeans", done: 0, total: 12 },
      { kind: "loading", stage: "kmeans", done: 12, total: 12 },
    ]);
  });

  it("a new setting shows a provisional frame, then its refined one at rest; a change before that skips the refinement", async () => {
    const { engine, calls } = manualEngine({ provisional: true });
    const widget = new ExplorerWidget({ model: "m1", images: ["x"], k: 4, precompute: false }, engine);
    calls[0]?.finish();
    await expect.poll(() => widget.get("frame")?.provisional).toBe(true);
    expect(widget.get("status")).toEqual({ kind: "ready" });
    await expect.poll(() => calls.length).toBe(2);
    expect(calls[1]?.request).toMatchObject({ k: 4 });
    expect(calls[1]?.request.provisional).toBeUndefined();
    calls[1]?.finish();
    await widget.idle();
    expect(widget.get("frame")).toMatchObject({ k: 4, provisional: false });
    // K moves on while the quick frame of K = 5 waits for its rest: K = 5 is never refined.
    frontendUpdate(widget, { k: 5 });
    await settle();
    calls[2]?.finish();
    await expect.poll(() => widget.get("frame")?.k).toBe(5);
    frontendUpdate(widget, { k: 6 });
    await settle();
    expect(calls.map((c) => [c.request.k, c.request.provisional ?? false])).toEqual([
      [4, true],
      [4, false],
      [5, true],
      [6, true],
    ]);
    calls[3]?.finish();
    await expect.poll(() => calls.length).toBe(5);
    expect(calls[4]?.request).toMatchObject({ k: 6 });
    calls[4]?.finish();
    await widget.idle();
    expect(widget.get("frame")).toMatchObject({ k: 6, provisional: false });
    widget.close();
  });

  it("opacity and image changes do not recompute; models, rep, layer_range, normalize and lens do", async () => {
    const { engine, calls } = manualEngine();
    const widget = new ExplorerWidget({ model: ["m1", "m2"], images: ["x"], precompute: false }, engine);
    calls[0]?.finish();
    await widget.idle();
    for (const state of [{ opacity: 0.2 }, { image: 0 }]) {
      frontendUpdate(widget, state);
      await tick();
    }
    expect(calls).toHaveLength(1);
    const changes = [
      { models: ["m2"] },
      { rep: "v" },
      { layer_range: [2, 2] },
      { normalize: "none" },
      { lens: "pca" },
    ];
    for (const state of changes) {
      frontendUpdate(widget, state);
      await tick();
    }
    expect(calls.map((c) => c.request).at(-1)).toEqual({
      models: ["m2"],
      k: 6,
      rep: "v",
      lens: "pca",
      head: "mean",
      layerRange: [2, 2],
      normalize: "none",
      page: 0,
      pageSize: 12,
      provisional: true,
    });
    expect(calls).toHaveLength(6);
  });

  it("{action: 'cancel'} aborts the run and sets status idle (no frame yet) or ready (with one)", async () => {
    const { engine, calls, cancelled } = manualEngine();
    const widget = new ExplorerWidget({ model: "m1", images: ["x"] }, engine);
    const cancel = () =>
      comms.handle(
        "comm_msg",
        { comm_id: widget.modelId, data: { method: "custom", content: { action: "cancel" } } },
        {},
        [],
      );
    cancel();
    expect(calls[0]?.signal.aborted).toBe(true);
    expect(cancelled()).toBe(1);
    expect(widget.get("status")).toEqual({ kind: "idle" });
    calls[0]?.finish(new CancelledError());
    await widget.idle();
    expect(widget.get("status")).toEqual({ kind: "idle" });
    frontendUpdate(widget, { k: 5 });
    await tick();
    calls[1]?.finish();
    await widget.idle();
    frontendUpdate(widget, { k: 7 });
    await tick();
    cancel();
    expect(widget.get("status")).toEqual({ kind: "ready" });
    expect(widget.get("frame")?.k).toBe(5);
  });

  it("an engine error shows as status error with the error's class and message; the next change recovers", async () => {
    const { engine, calls } = manualEngine();
    const widget = new ExplorerWidget({ model: "nope", choices: ["m1"], images: ["x"] }, engine);
    calls[0]?.finish(new InputError('model "nope" not found'));
    await widget.idle();
    expect(widget.get("status")).toEqual({ kind: "error", message: 'InputError: model "nope" not found' });
    frontendUpdate(widget, { models: ["m1"] });
    await tick();
    calls[1]?.finish();
    await widget.idle();
    expect(widget.get("status")).toEqual({ kind: "ready" });
  });

  it("a k of 99 from the view is refused: k stays 6 and is sent back, view_error names the range; nothing is computed", async () => {
    const { engine, calls } = manualEngine();
    const widget = new ExplorerWidget({ model: "m1", images: ["x"] }, engine);
    published = [];
    frontendUpdate(widget, { k: 99 });
    await settle();
    expect(calls).toHaveLength(1);
    expect(widget.get("k")).toBe(6);
    expect(widget.get("status")).toEqual({ kind: "loading", stage: "features", done: 0, total: 1 });
    expect(sentStates(widget)).toEqual([
      { method: "update", state: { k: 6 } },
      { method: "update", state: { view_error: "invalid k 99; expected 2..32; kept k 6" } },
    ]);
  });

  it.each([
    [{ k: 2.5 }, "invalid k 2.5; expected an integer; kept k 6"],
    [{ k: "6" }, 'invalid k "6"; expected an integer; kept k 6'],
    [{ rep: "x" }, 'invalid rep "x"; expected one of tokens, q, k, v; kept rep "tokens"'],
    [{ opacity: 2 }, "invalid opacity 2; expected a number in 0..1; kept opacity 0.6"],
    [{ opacity: null }, "invalid opacity null; expected a number in 0..1; kept opacity 0.6"],
    [{ normalize: "l1" }, 'invalid normalize "l1"; expected "l2" or "none"; kept normalize "l2"'],
    [{ image: 5 }, 'invalid image 5; expected "all" or an index below 1; kept image "all"'],
    [{ image: -1 }, 'invalid image -1; expected "all" or an index below 1; kept image "all"'],
    [{ layer_range: [0, 99] }, "invalid layer range [0, 99]; expected within [1, 2]; kept layer_range [1,2]"],
    [
      { layer_range: [2, 1] },
      "invalid layer range [2, 1]; expected 0 ≤ first ≤ last; kept layer_range [1,2]",
    ],
    [
      { models: ["/etc/passwd"] },
      'invalid models ["/etc/passwd"]; expected models the selector offers: ["m1","m2"]; kept models ["m1"]',
    ],
    [
      { models: ["m1", "m2", "m1"] },
      'invalid models ["m1","m2","m1"]; expected 1 to 3 different models; kept models ["m1"]',
    ],
    [{ status: { kind: "ready" } }, "status is set by the kernel, not by the view"],
    [{ model_choices: ["/etc/passwd"] }, "model_choices is set by the kernel, not by the view"],
  ])(
    "after a frame, %j from the view is refused with view_error %j, the kept value sent back",
    async (update, line) => {
      const { engine, calls } = manualEngine();
      const widget = new ExplorerWidget({ model: "m1", choices: ["m2"], images: ["x"] }, engine);
      calls[0]?.finish();
      await widget.idle();
      await tick();
      const before = widget.state();
      published = [];
      frontendUpdate(widget, update);
      await settle();
      expect(calls).toHaveLength(1);
      expect(widget.state()).toEqual({ ...before, view_error: line });
      const [key] = Object.keys(update) as (keyof typeof before)[];
      expect(sentStates(widget)).toEqual([
        { method: "update", state: { [key as string]: before[key as keyof typeof before] } },
        { method: "update", state: { view_error: line } },
      ]);
    },
  );

  it("keys the explorer does not have are ignored, prototype keys included; valid keys beside them apply", async () => {
    const { engine, calls } = manualEngine();
    const widget = new ExplorerWidget({ model: "m1", images: ["x"] }, engine);
    published = [];
    frontendUpdate(
      widget,
      JSON.parse(
        '{"__proto__": {"polluted": 1}, "constructor": {"prototype": {"polluted": 2}}, "bogus": 3, "k": 4}',
      ),
    );
    await tick();
    expect(Object.getPrototypeOf(widget.state())).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect("bogus" in widget.state()).toBe(false);
    expect(widget.get("k")).toBe(4);
    expect(widget.get("view_error")).toBeNull();
    expect(calls.map((c) => c.request.k)).toEqual([6, 4]);
    expect(sentStates(widget)[0]).toEqual({ method: "echo_update", state: { k: 4 } });
  });

  it("a refused value's view_error clears with the next change the kernel accepts", async () => {
    const { engine } = manualEngine();
    const widget = new ExplorerWidget({ model: "m1", images: ["x"] }, engine);
    frontendUpdate(widget, { opacity: -1 });
    await settle();
    expect(widget.get("view_error")).toMatch(/^invalid opacity -1/);
    frontendUpdate(widget, { opacity: 0.3 });
    await settle();
    expect(widget.get("view_error")).toBeNull();
    expect(widget.get("opacity")).toBe(0.3);
  });

  it("explore() rejects 4 models and k 1 at the call with OptionRangeError", () => {
    expect(() => explore({ model: ["a", "b", "c", "d"], images: ["x"] })).toThrow(OptionRangeError);
    expect(() => explore({ model: "a", images: ["x"], k: 1 })).toThrow(/invalid k 1; expected 2..32/);
  });
});

const repo = resolve(".");
const tiny = { model: `${repo}/models/fixtures/dinov2-tf4`, images: [`${repo}/models/samples`] };

describe("explore() with the real engine on models/fixtures/dinov2-tf4 (no sockets)", () => {
  it("displays at once, then a frame [1, layers, 5, 4, 4] with ≤ K labels, images [5, H, W, 3], and a PNG", async () => {
    const widget = explore({ ...tiny, k: 4 });
    expect(displays).toHaveLength(1);
    expect(displays[0]?.options).toEqual({ displayId: widget.modelId, update: false });
    await widget.idle();
    expect(widget.get("status")).toEqual({ kind: "ready" });
    const frame = widget.get("frame") as ExplorerFrame;
    const layers = widget.get("layer_bounds")[1];
    expect((frame.labels as BinaryArray<"uint8">).shape).toEqual([1, layers, 5, 4, 4]);
    expect(Math.max(...((frame.labels as BinaryArray<"uint8">).buffer as Uint8Array))).toBeLessThan(4);
    expect(frame.metrics[0]).toHaveLength(layers);
    expect(widget.get("image_names")).toHaveLength(5);
    const images = widget.get("images") as BinaryArray<"uint8">;
    const [count, height, width, channels] = images.shape as [number, number, number, number];
    expect([count, channels]).toEqual([5, 3]);
    expect((images.buffer as Uint8Array).length).toBe(5 * height * width * 3);
    // The update with the static PNG follows the frame.
    await expect.poll(() => displays.length, { timeout: 60_000 }).toBe(2);
    expect(displays[1]?.options).toEqual({ displayId: widget.modelId, update: true });
    expect(String(displays[1]?.bundle["image/png"]).slice(0, 8)).toBe("iVBORw0K");
    widget.close();
  });

  it("a K change shows a provisional frame (≤ K labels, no scores) and then the refined one: segment()'s labels and scores", async () => {
    const widget = explore({ ...tiny, k: 4, precompute: false });
    await widget.idle();
    const frames: ExplorerFrame[] = [];
    widget.on("change", ({ changes }) => {
      if (changes.frame) frames.push(changes.frame);
    });
    frontendUpdate(widget, { k: 3 });
    await tick();
    await widget.idle();
    expect(frames.map((f) => [f.k, f.provisional])).toEqual([
      [3, true],
      [3, false],
    ]);
    const [quick, refined] = frames as [ExplorerFrame, ExplorerFrame];
    expect(Math.max(...((quick.labels as BinaryArray<"uint8">).buffer as Uint8Array))).toBeLessThan(3);
    expect(quick.metrics.flat().every((m) => m.pb === null && m.lc === null && m.ba === null)).toBe(true);
    expect(quick.timing?.compute_ms).toBeGreaterThanOrEqual(0);
    const reference = await segment({ model: tiny.model, images: tiny.images, k: 3, reps: ["tokens"] });
    const [, layers, n, gh, gw] = (refined.labels as BinaryArray<"uint8">).shape as [
      number,
      number,
      number,
      number,
      number,
    ];
    for (const [l, layer] of refined.layers.entries()) {
      const shown = ((refined.labels as BinaryArray<"uint8">).buffer as Uint8Array).subarray(
        l * n * gh * gw,
        (l + 1) * n * gh * gw,
      );
      expect([...shown]).toEqual([...(reference.labels.get(`tokens_L${layer}`) as Int32Array)]);
      const scores = reference.scores.get(`tokens_L${layer}`);
      expect(refined.metrics[0]?.[l]?.pb).toBeCloseTo(scores?.pb as number, 12);
    }
    expect(layers).toBe(refined.layers.length);
    widget.close();
  });

  it("a k change reuses the cached features and reports no progress (its quick k-means takes ms): ≤ 3 labels", async () => {
    const widget = explore({ ...tiny });
    await widget.idle();
    const imagesBefore = widget.get("images");
    const statusesSeen: string[] = [];
    widget.on("change", ({ changes }) => {
      if (changes.status?.kind === "loading") statusesSeen.push(changes.status.stage);
    });
    frontendUpdate(widget, { k: 3 });
    await tick();
    await widget.idle();
    const frame = widget.get("frame") as ExplorerFrame;
    expect(frame.k).toBe(3);
    expect(new Set((frame.labels as BinaryArray<"uint8">).buffer as Uint8Array).size).toBeLessThanOrEqual(3);
    // No status message while the cores are needed for the quick frame, nor during its refinement.
    expect(statusesSeen).toEqual([]);
    expect(widget.get("images")).toBe(imagesBefore);
    widget.close();
  });

  it("two models with 4 × 4 and 6 × 6 patch grids side by side: labels on the common 12 × 12 grid, metrics on each own grid", async () => {
    const dir = testCacheDir();
    try {
      // The tiny DINOv2 (interpolated position embeddings) at 48 px: a 6 × 6 grid.
      const big = join(dir.path, "dinov2-48");
      mkdirSync(join(big, "onnx"), { recursive: true });
      copyFileSync(join(tiny.model, "config.json"), join(big, "config.json"));
      copyFileSync(join(tiny.model, "onnx", "model.onnx"), join(big, "onnx", "model.onnx"));
      const preprocessor = JSON.parse(readFileSync(join(tiny.model, "preprocessor_config.json"), "utf8"));
      preprocessor.crop_size = { height: 48, width: 48 };
      preprocessor.size = { shortest_edge: 54 };
      writeFileSync(join(big, "preprocessor_config.json"), JSON.stringify(preprocessor));

      const widget = explore({ model: [tiny.model, big], images: tiny.images, k: 3 });
      await widget.idle();
      expect(widget.get("status")).toEqual({ kind: "ready" });
      const frame = widget.get("frame") as ExplorerFrame;
      const layers = frame.layers.length;
      expect(frame.grid).toEqual([12, 12]);
      expect(frame.model_grids).toEqual([
        [4, 4],
        [6, 6],
      ]);
      expect((frame.labels as BinaryArray<"uint8">).shape).toEqual([2, layers, 5, 12, 12]);
      const bytes = (frame.labels as BinaryArray<"uint8">).buffer as Uint8Array;
      for (const [m, block] of [
        [0, 3],
        [1, 2],
      ] as const) {
        // Each patch is a whole block of cells; sampling block centres gives the model's own map.
        const maps = bytes.subarray(m * layers * 5 * 144, (m + 1) * layers * 5 * 144);
        const side = 12 / block;
        const own = resampleLabels(maps, layers * 5, [12, 12], [side, side]);
        expect([...resampleLabels(own, layers * 5, [side, side], [12, 12])]).toEqual([...maps]);
        for (let l = 0; l < layers; l++) {
          const labels = Int32Array.from(own.subarray(l * 5 * side * side, (l + 1) * 5 * side * side));
          const scores = mapScores({ labels, dims: [5, side, side], k: 3 });
          expect(frame.metrics[m]?.[l]?.pb).toBeCloseTo(scores.pb, 10);
          expect(frame.metrics[m]?.[l]?.lc).toBeCloseTo(scores.lc, 10);
        }
      }
      widget.close();
    } finally {
      dir.remove();
    }
  });

  it("choices are offered by the selector beside the shown model; switching to one computes it", async () => {
    const other = `${repo}/models/fixtures/vit-tf4`;
    const widget = explore({ ...tiny, choices: [other, tiny.model] });
    expect(widget.get("model_choices")).toEqual([tiny.model, other]);
    await widget.idle();
    frontendUpdate(widget, { models: [other] });
    await tick();
    await widget.idle();
    expect(widget.get("status")).toEqual({ kind: "ready" });
    expect(widget.get("frame")?.models).toEqual([other]);
    widget.close();
  });

  it("returning to a K computed before serves its frame from the engine's cache, without k-means", async () => {
    const widget = explore({ ...tiny, k: 4, precompute: false });
    await widget.idle();
    const first = widget.get("frame") as ExplorerFrame;
    frontendUpdate(widget, { k: 3 });
    await tick();
    await widget.idle();
    const stages: string[] = [];
    widget.on("change", ({ changes }) => {
      if (changes.status?.kind === "loading") stages.push(changes.status.stage);
    });
    frontendUpdate(widget, { k: 4 });
    await tick();
    await widget.idle();
    expect(stages).toEqual([]);
    expect(widget.get("frame")?.labels).toBe(first.labels); // the kept frame, served again
    widget.close();
  });

  it("an engine with frameCacheSize 0 runs k-means for a request it answered before", async () => {
    const engine = createExplorerEngine({ images: tiny.images, frameCacheSize: 0 });
    const request = {
      models: [tiny.model],
      k: 3,
      rep: "tokens" as const,
      layerRange: undefined,
      normalize: "l2" as const,
    };
    const signal = new AbortController().signal;
    try {
      await engine.compute(request, signal, () => undefined);
      const stages: string[] = [];
      await engine.compute(request, signal, (status) => stages.push(status.stage));
      expect(stages).toContain("kmeans");
    } finally {
      await engine.dispose();
    }
  });

  it("with precompute on, the neighbouring Ks are ready once the background work is done", async () => {
    // The real engine, telling when the background work has computed K 5 (the first neighbour of 4).
    const engine = createExplorerEngine({ images: tiny.images });
    let warmedK5: () => void = () => undefined;
    const k5Warmed = new Promise<void>((resolve) => {
      warmedK5 = resolve;
    });
    const watched: ExplorerEngine = {
      compute: async (request, signal, progress) => {
        const result = await engine.compute(request, signal, progress);
        if (request.k === 5) warmedK5();
        return result;
      },
      cancelFeatures: () => engine.cancelFeatures(),
      dispose: () => engine.dispose(),
    };
    const widget = new ExplorerWidget({ ...tiny, k: 4 }, watched);
    await widget.idle();
    await k5Warmed;
    const stages: string[] = [];
    widget.on("change", ({ changes }) => {
      if (changes.status?.kind === "loading") stages.push(changes.status.stage);
    });
    frontendUpdate(widget, { k: 5 });
    await tick();
    await widget.idle();
    expect(widget.get("frame")?.k).toBe(5);
    expect(stages).not.toContain("kmeans");
    widget.close();
  });

  it("a corrupt image ends in status error naming the file", async () => {
    const dir = testCacheDir();
    try {
      copyFileSync(`${repo}/models/samples/camera.png`, join(dir.path, "a.png"));
      writeFileSync(join(dir.path, "b.png"), "not a png");
      const widget = explore({ model: tiny.model, images: [dir.path] });
      await widget.idle();
      const status = widget.get("status");
      expect(status.kind).toBe("error");
      expect(status.kind === "error" && status.message).toMatch(/b\.png/);
      widget.close();
    } finally {
      dir.remove();
    }
  });

  it("a missing model path ends in status error naming the path", async () => {
    const widget = explore({ model: `${repo}/models/no-such-model`, images: tiny.images });
    await widget.idle();
    const status = widget.get("status");
    expect(status.kind).toBe("error");
    expect(status.kind === "error" && status.message).toMatch(/no-such-model/);
    widget.close();
  });
});
