import { existsSync, readdirSync, readFileSync } from "node:fs";
import { isAbsolute, join, resolve } from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { InputError } from "../../src/errors";
import { NoFrameError } from "../../src/explorer/explorer-export";
import type { ExplorerKernelMessage } from "../../src/explorer/explorer-state";
import { type ExplorerWidget, explore } from "../../src/explorer/explorer-widget";
import { createCommManager } from "../../src/kernel/comm-manager";
import { registerKernel } from "../../src/kernel/kernel-api";
import type { OutgoingMessage } from "../../src/kernel/wire/wire-message";
import { loadSharp } from "../../src/util/load-sharp";
import { testCacheDir } from "../support/temp";
import { closeWidgets } from "../support/widgets";

let published: OutgoingMessage[] = [];
let comms = createCommManager((m) => published.push(m));
const tick = () => new Promise((r) => setImmediate(r));
const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

const repo = resolve(".");
const tiny = { model: `${repo}/models/fixtures/dinov2-tf4`, images: [`${repo}/models/samples`] };
let dir: ReturnType<typeof testCacheDir>;

beforeAll(() => {
  dir = testCacheDir();
});
afterAll(() => dir.remove());
let testNumber = 0;

beforeEach(() => {
  // Messages of widgets a finished test left behind never reach a later test's list.
  const test = ++testNumber;
  published = [];
  comms = createCommManager((m) => test === testNumber && published.push(m));
  registerKernel({ comms, display: () => undefined, interruptSignal: new AbortController().signal });
});
afterEach(() => {
  closeWidgets(comms);
  registerKernel(undefined);
});

function fromView(widget: ExplorerWidget, data: Record<string, unknown>): void {
  comms.handle("comm_msg", { comm_id: widget.modelId, data }, {}, []);
}

/** The kernel's custom messages to the view, with their buffers. */
function answers(): { content: ExplorerKernelMessage; buffers: readonly Uint8Array[] }[] {
  return published.flatMap((m) => {
    const data = m.content.data as { method?: string; content?: ExplorerKernelMessage } | undefined;
    return data?.method === "custom" && data.content !== undefined
      ? [{ content: data.content, buffers: m.buffers ?? [] }]
      : [];
  });
}

describe("ExplorerWidget.export(path) on models/fixtures/dinov2-tf4 (no sockets)", () => {
  it("view.png: a PNG of the figure (all 5 images, one row per layer), absolute path; image 0 and k 3 change it", async () => {
    const widget = explore({ ...tiny, k: 4 });
    const path = await widget.export(join(dir.path, "out", "view.png")); // waits for the first frame
    expect(isAbsolute(path)).toBe(true);
    const all = readFileSync(path);
    expect([...all.subarray(0, 8)]).toEqual(PNG_SIGNATURE);
    const layers = widget.get("frame")?.layers.length ?? 0;
    // figure.ts layout: margins 2·12, row titles 150, panels 96 + gap 4; title, column titles, legend.
    const size = async (bytes: Buffer) => {
      const { width, height } = await loadSharp()(bytes).metadata();
      return [width, height];
    };
    await expect(size(all)).resolves.toEqual([24 + 150 + 5 * 100, 24 + 30 + 20 + layers * 100 + 28]);
    expect(readdirSync(join(dir.path, "out"))).toEqual(["view.png"]); // no temporary file left

    fromView(widget, { method: "update", state: { image: 0 }, buffer_paths: [] });
    await tick();
    const one = readFileSync(await widget.export(path));
    await expect(size(one)).resolves.toEqual([24 + 150 + 100, 24 + 30 + 20 + layers * 100 + 28]);

    fromView(widget, { method: "update", state: { k: 3 }, buffer_paths: [] });
    await tick();
    await widget.idle();
    const k3 = readFileSync(await widget.export(path));
    expect(k3.equals(one)).toBe(false);
    widget.close();
  });

  it("view.svg: an SVG document librsvg parses, titled with the model, rep and K=4", async () => {
    const widget = explore({ ...tiny, k: 4 });
    const path = await widget.export(join(dir.path, "view.SVG"));
    const svg = readFileSync(path, "utf8");
    expect(svg).toMatch(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    expect(svg).toContain(">dinov2-tf4 · tokens · K=4</text>");
    const metadata = await loadSharp()(Buffer.from(svg)).metadata();
    expect(metadata.format).toBe("svg");
    expect(metadata.width).toBe(24 + 150 + 5 * 100);
    widget.close();
  });

  it("view.jpg is an InputError naming .png and .svg; nothing is written", async () => {
    const widget = explore({ ...tiny });
    const path = join(dir.path, "view.jpg");
    await expect(widget.export(path)).rejects.toThrow(InputError);
    await expect(widget.export(path)).rejects.toThrow(
      /^cannot export to ".*view\.jpg": the file name must end in \.png or \.svg$/,
    );
    await expect(widget.export(join(dir.path, "view"))).rejects.toThrow(InputError);
    expect(existsSync(path)).toBe(false);
    widget.close();
  });

  it("without a frame (missing model) export waits for the run, then throws NoFrameError with the status", async () => {
    const widget = explore({ model: `${repo}/models/no-such-model`, images: tiny.images });
    const failed = widget.export(join(dir.path, "none.png"));
    await expect(failed).rejects.toThrow(NoFrameError);
    await expect(failed).rejects.toThrow(/^nothing to export: .*\(status error: .*no-such-model/);
    expect(existsSync(join(dir.path, "none.png"))).toBe(false);
    widget.close();
  });
});

describe("custom {action: 'export'} from the view", () => {
  it("is answered with {action, format, filename} and the file's bytes as one buffer", async () => {
    const widget = explore({ ...tiny, k: 4 });
    fromView(widget, { method: "custom", content: { action: "export", format: "svg" } });
    await expect.poll(() => answers().length).toBe(1);
    const [answer] = answers();
    expect(answer?.content).toEqual({
      action: "export",
      format: "svg",
      filename: "seglens-dinov2-tf4-tokens-K4.svg",
    });
    expect(answer?.buffers).toHaveLength(1);
    const svg = Buffer.from(answer?.buffers[0] as Uint8Array).toString("utf8");
    expect(svg).toContain(">dinov2-tf4 · tokens · K=4</text>");
    // The same figure as export() writes.
    expect(svg).toBe(readFileSync(await widget.export(join(dir.path, "same.svg")), "utf8"));
    widget.close();
  });

  it("malformed messages never throw: a bad format is answered with an error, unknown actions are ignored", async () => {
    const widget = explore({ ...tiny });
    await widget.idle();
    for (const content of [null, "export", 7, [], {}, { action: "zoom" }, { action: { export: 1 } }])
      expect(() => fromView(widget, { method: "custom", content })).not.toThrow();
    expect(answers()).toEqual([]);
    for (const format of ["gif", undefined, ["png"]])
      expect(() =>
        fromView(widget, { method: "custom", content: { action: "export", format } }),
      ).not.toThrow();
    const errors = answers().map((a) => a.content);
    expect(errors).toEqual([
      {
        action: "export",
        error: 'OptionTypeError: invalid export format "gif"; expected one of "png", "svg"',
      },
      {
        action: "export",
        error: 'OptionTypeError: invalid export format undefined; expected one of "png", "svg"',
      },
      {
        action: "export",
        error: 'OptionTypeError: invalid export format ["png"]; expected one of "png", "svg"',
      },
    ]);
    expect(answers().every((a) => a.buffers.length === 0)).toBe(true);
    // Still serving: a good request is answered with a PNG.
    fromView(widget, { method: "custom", content: { action: "export", format: "png" } });
    await expect.poll(() => answers().length).toBe(4);
    expect(answers()[3]?.content).toMatchObject({ action: "export", format: "png" });
    expect([...(answers()[3]?.buffers[0] ?? []).subarray(0, 8)]).toEqual(PNG_SIGNATURE);
    widget.close();
  });

  it("without a frame the answer is {action: 'export', error} naming the status", async () => {
    const widget = explore({ model: `${repo}/models/no-such-model`, images: tiny.images });
    fromView(widget, { method: "custom", content: { action: "export", format: "png" } });
    await expect.poll(() => answers().length).toBe(1);
    expect(answers()[0]?.content).toEqual({
      action: "export",
      error: expect.stringMatching(/^NoFrameError: nothing to export: .*no-such-model/),
    });
    widget.close();
  });
});
