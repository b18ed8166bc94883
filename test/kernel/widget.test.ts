import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createCommManager } from "../../src/kernel/comm-manager";
import { MIME_BUNDLE } from "../../src/kernel/display";
import { Widget, type WidgetSpec } from "../../src/kernel/ipywidgets/widget";
import { registerWidgetControl } from "../../src/kernel/ipywidgets/widget-control";
import { registerKernel } from "../../src/kernel/kernel-api";
import { CommError } from "../../src/kernel/kernel-errors";
import type { OutgoingMessage } from "../../src/kernel/wire/wire-message";
import { closeWidgets } from "../support/widgets";

const spec: WidgetSpec = {
  modelName: "FrameModel",
  modelModule: "seglens",
  modelModuleVersion: "^0.1.0",
  viewName: "FrameView",
  viewModule: "seglens",
  viewModuleVersion: "^0.1.0",
};
let published: OutgoingMessage[] = [];
let comms = createCommManager((m) => published.push(m));
const tick = () => new Promise((resolve) => setImmediate(resolve));

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

describe("Widget (ipywidgets protocol 2.1.0)", () => {
  it("new Widget opens jupyter.widget with version 2.1.0, full state and a Uint8Array at buffer_paths [['frame']]", () => {
    const widget = new Widget(spec, { k: 6, frame: Uint8Array.of(1, 2, 3) });
    expect(published).toHaveLength(1);
    const open = published[0] as OutgoingMessage;
    expect(open.msg_type).toBe("comm_open");
    expect(open.metadata).toEqual({ version: "2.1.0" });
    expect(open.content).toEqual({
      comm_id: widget.modelId,
      target_name: "jupyter.widget",
      data: {
        state: {
          _model_name: "FrameModel",
          _model_module: "seglens",
          _model_module_version: "^0.1.0",
          _view_name: "FrameView",
          _view_module: "seglens",
          _view_module_version: "^0.1.0",
          k: 6,
          frame: null,
        },
        buffer_paths: [["frame"]],
      },
    });
    expect(open.buffers?.map((b) => Array.from(b))).toEqual([[1, 2, 3]]);
    expect(widget[MIME_BUNDLE]()["application/vnd.jupyter.widget-view+json"]).toEqual({
      model_id: widget.modelId,
      version_major: 2,
      version_minor: 1,
    });
  });

  it("set() twice in one tick sends one update where the newest value wins", async () => {
    const widget = new Widget(spec, { k: 6 });
    published = [];
    widget.set({ k: 7 });
    widget.set({ k: 8 });
    await tick();
    expect(published).toEqual([
      {
        msg_type: "comm_msg",
        content: { comm_id: widget.modelId, data: { method: "update", state: { k: 8 }, buffer_paths: [] } },
        buffers: [],
      },
    ]);
  });

  it("an update from the front end puts buffers at their paths, emits a typed change and echoes echo_update", async () => {
    const widget = new Widget(spec, { k: 6, frame: new Uint8Array(0) });
    const changes: unknown[] = [];
    widget.on("change", (event) => changes.push(event));
    published = [];
    comms.handle(
      "comm_msg",
      {
        comm_id: widget.modelId,
        data: { method: "update", state: { k: 9, frame: null }, buffer_paths: [["frame"]] },
      },
      {},
      [Uint8Array.of(5)],
    );
    expect(widget.get("k")).toBe(9);
    expect(Array.from(widget.get("frame"))).toEqual([5]);
    await tick();
    expect(changes).toEqual([{ changes: { k: 9, frame: Uint8Array.of(5) }, origin: "frontend" }]);
    expect(published[0]?.content).toEqual({
      comm_id: widget.modelId,
      data: { method: "echo_update", state: { k: 9, frame: null }, buffer_paths: [["frame"]] },
    });
  });

  it("three front-end updates in one tick reach listeners as one change where the newest value wins", async () => {
    const widget = new Widget(spec, { k: 6, opacity: 1 });
    const changes: unknown[] = [];
    widget.on("change", (event) => changes.push(event.changes));
    for (const state of [{ k: 7 }, { k: 8, opacity: 0.5 }, { k: 9 }]) {
      comms.handle(
        "comm_msg",
        { comm_id: widget.modelId, data: { method: "update", state, buffer_paths: [] } },
        {},
        [],
      );
    }
    expect(widget.get("k")).toBe(9);
    await tick();
    expect(changes).toEqual([{ k: 9, opacity: 0.5 }]);
  });

  it("request_state is answered with the full state; custom messages reach listeners with buffers", () => {
    const widget = new Widget(spec, { k: 6 });
    const custom: unknown[] = [];
    widget.on("custom", (event) => custom.push([event.content, event.buffers.length]));
    published = [];
    comms.handle("comm_msg", { comm_id: widget.modelId, data: { method: "request_state" } }, {}, []);
    comms.handle(
      "comm_msg",
      { comm_id: widget.modelId, data: { method: "custom", content: { hover: 3 } } },
      {},
      [Uint8Array.of(1)],
    );
    expect(published[0]?.content.data).toMatchObject({
      method: "update",
      state: { k: 6, _model_name: "FrameModel" },
    });
    expect(custom).toEqual([[{ hover: 3 }, 1]]);
  });

  it("an unknown method throws CommError naming it (the kernel answers it on stderr)", () => {
    const widget = new Widget(spec, { k: 6 });
    expect(() =>
      comms.handle("comm_msg", { comm_id: widget.modelId, data: { method: "explode" } }, {}, []),
    ).toThrow(CommError);
  });

  it("jupyter.widget.control answers request_states with update_states and prefixed buffer_paths", () => {
    registerWidgetControl(comms);
    const widget = new Widget(spec, { frame: Uint8Array.of(7) });
    comms.handle("comm_open", { comm_id: "ctl", target_name: "jupyter.widget.control", data: {} }, {}, []);
    published = [];
    comms.handle("comm_msg", { comm_id: "ctl", data: { method: "request_states" } }, {}, []);
    const data = published[0]?.content.data as {
      method: string;
      states: Record<string, unknown>;
      buffer_paths: unknown;
    };
    expect(data.method).toBe("update_states");
    expect(data.states[widget.modelId]).toMatchObject({ model_name: "FrameModel", model_module: "seglens" });
    expect(data.buffer_paths).toContainEqual([widget.modelId, "state", "frame"]);
  });

  it("set() after close throws CommError; new Widget outside a kernel throws CommError naming the kernel", () => {
    const widget = new Widget(spec, { k: 1 });
    widget.close();
    expect(() => widget.set({ k: 2 })).toThrow(/is closed/);
    registerKernel(undefined);
    expect(() => new Widget(spec, { k: 1 })).toThrow(/TypeScript \(seglens\)/);
  });
});
