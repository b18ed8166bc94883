import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createCommManager } from "../../src/kernel/comm-manager";
import { putBuffers } from "../../src/kernel/ipywidgets/buffer-paths";
import { intSlider } from "../../src/kernel/ipywidgets/int-slider";
import { Widget, type WidgetRejection, type WidgetSpec } from "../../src/kernel/ipywidgets/widget";
import { registerKernel } from "../../src/kernel/kernel-api";
import { WireFormatError } from "../../src/kernel/kernel-errors";
import { createSigner, decodeFrames, encodeFrames, MAX_JSON_DEPTH } from "../../src/kernel/wire/wire-codec";
import type { OutgoingMessage } from "../../src/kernel/wire/wire-message";

// A front end is not trusted: whatever it sends, nothing outside a widget's own state may change.

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

beforeEach(() => {
  published = [];
  comms = createCommManager((m) => published.push(m));
  registerKernel({ comms, display: () => undefined, interruptSignal: new AbortController().signal });
});
afterEach(() => registerKernel(undefined));

/** Names a hostile message may have set on a shared prototype; none may exist afterwards. */
const POLLUTION = ["x", "y", "z", "polluted"];

function expectNoPollution(): void {
  for (const name of POLLUTION) {
    for (const proto of [Object.prototype, Array.prototype, Function.prototype, Uint8Array.prototype]) {
      expect(Object.hasOwn(proto, name), `${name} on a shared prototype`).toBe(false);
    }
  }
  expect(({} as Record<string, unknown>).x).toBeUndefined();
}

function update(widget: Widget<object>, state: unknown, bufferPaths: unknown, buffers: Uint8Array[] = []) {
  comms.handle(
    "comm_msg",
    { comm_id: widget.modelId, data: { method: "update", state, buffer_paths: bufferPaths } },
    {},
    buffers,
  );
}

/** The `method` and `state` of the comm messages sent since `published` was emptied. */
function sent(): { method: unknown; state: unknown }[] {
  return published.map((m) => {
    const data = m.content.data as { method?: unknown; state?: unknown };
    return { method: data.method, state: data.state };
  });
}

describe("putBuffers with paths from a front end", () => {
  it.each([
    [["__proto__", "x"]],
    [["constructor", "prototype", "y"]],
    [["frame", "__proto__", "z"]],
    [["frame", "constructor", "prototype", "z"]],
    [["list", "__proto__", "x"]],
    [["toString", "prototype", "x"]],
    [["bytes", "buffer", "x"]],
    [["__proto__"]],
    [["prototype"]],
  ])("%j touches no prototype and nothing outside the state", (path) => {
    const state: Record<string, unknown> = { frame: {}, list: [null], bytes: Uint8Array.of(1) };
    const before = JSON.stringify(state);
    putBuffers(state, [path], [Uint8Array.of(9)]);
    expectNoPollution();
    expect(Object.getPrototypeOf(state)).toBe(Object.prototype);
    expect(JSON.stringify(state)).toBe(before);
  });

  it("ignores paths that are not lists of keys and indices, and paths without a buffer", () => {
    const state: Record<string, unknown> = { a: { b: null }, list: [null] };
    putBuffers(
      state,
      [[], "a", [["a"]], [{ a: 1 }], [-1], [1.5], [null], ["list", 5]],
      Array(8).fill(Uint8Array.of(1)),
    );
    putBuffers(state, [["a", "b"]], []);
    putBuffers(state, { 0: ["a", "b"] }, [Uint8Array.of(1)]);
    expect(state).toEqual({ a: { b: null }, list: [null] });
  });

  it("puts buffers where ipywidgets' remove_buffers took them: object keys, removed keys and array slots", () => {
    const state: Record<string, unknown> = { frame: { labels: { dtype: "uint8" } }, list: [0, null] };
    putBuffers(
      state,
      [["frame", "labels", "buffer"], ["list", 1], ["top"]],
      [Uint8Array.of(1), Uint8Array.of(2), Uint8Array.of(3)],
    );
    expect(state).toEqual({
      frame: { labels: { dtype: "uint8", buffer: Uint8Array.of(1) } },
      list: [0, Uint8Array.of(2)],
      top: Uint8Array.of(3),
    });
  });
});

describe("Widget updates from a front end", () => {
  it("buffer_paths through __proto__, constructor or prototype change nothing, not even the widget", async () => {
    const widget = new Widget(spec, { k: 6, frame: { labels: null as unknown } });
    published = [];
    update(
      widget,
      { k: 7 },
      [
        ["__proto__", "x"],
        ["constructor", "prototype", "y"],
        ["frame", "__proto__", "z"],
        ["k", "__proto__", "x"],
      ],
      [Uint8Array.of(1), Uint8Array.of(2), Uint8Array.of(3), Uint8Array.of(4)],
    );
    await tick();
    expectNoPollution();
    expect(widget.state()).toEqual({ k: 7, frame: { labels: null } });
    expect(sent()).toEqual([{ method: "echo_update", state: { k: 7 } }]);
  });

  it("state keys __proto__, constructor and undeclared ones are ignored; the widget keeps its prototype", async () => {
    const widget = new Widget(spec, { k: 6 });
    const changes: unknown[] = [];
    widget.on("change", (event) => changes.push(event.changes));
    published = [];
    update(widget, JSON.parse('{"__proto__": {"polluted": 1}, "constructor": {"x": 1}, "bogus": 2}'), []);
    await tick();
    expectNoPollution();
    expect(Object.getPrototypeOf(widget.state())).toBe(Object.prototype);
    expect(widget.state()).toEqual({ k: 6 });
    expect((widget.state() as Record<string, unknown>).polluted).toBeUndefined();
    expect(changes).toEqual([]);
    expect(sent()).toEqual([]);
  });

  it("a value its check refuses is kept out, sent back with the kept value and reported as one reject event", async () => {
    const widget = new Widget(
      spec,
      { k: 6, title: "t" },
      {
        viewChecks: {
          k: (v) => {
            if (v !== 3 && v !== 6) throw new RangeError(`invalid k ${JSON.stringify(v)}; expected 3 or 6`);
            return v;
          },
        },
      },
    );
    const rejected: WidgetRejection[][] = [];
    const changes: unknown[] = [];
    widget.on("reject", ({ rejections }) => rejected.push(rejections));
    widget.on("change", (event) => changes.push(event.changes));
    published = [];
    update(widget, { k: 99, title: "evil" }, []);
    update(widget, { k: 3 }, []);
    await tick();
    expect(widget.state()).toEqual({ k: 3, title: "t" });
    expect(sent()).toEqual([
      { method: "update", state: { k: 6, title: "t" } },
      { method: "echo_update", state: { k: 3 } },
    ]);
    expect(changes).toEqual([{ k: 3 }]);
    expect(rejected).toEqual([
      [
        { key: "k", value: 99, reason: "invalid k 99; expected 3 or 6", writable: true },
        {
          key: "title",
          value: "evil",
          reason: "title is set by the kernel, not by the view",
          writable: false,
        },
      ],
    ]);
  });

  it("an update whose state is not an object is refused naming it; the widget is unchanged", () => {
    const widget = new Widget(spec, { k: 6 });
    for (const state of [null, 7, "k", [1], undefined]) {
      expect(() => update(widget, state, [])).toThrow(/invalid update state .*; expected an object/);
    }
    expect(widget.state()).toEqual({ k: 6 });
  });

  it("intSlider keeps its value within min..max and leaves its other keys to the kernel", async () => {
    const slider = intSlider({ value: 5, min: 0, max: 10 });
    published = [];
    update(slider, { value: 11, min: -100, description: "<script>" }, []);
    update(slider, { value: 2.5 }, []);
    update(slider, { value: 7 }, []);
    await tick();
    expect(slider.get("value")).toBe(7);
    expect(slider.get("min")).toBe(0);
    expect(slider.get("description")).toBe("");
  });
});

describe("comm ids and message shapes from a front end", () => {
  it("a comm_open reusing an open comm's id is refused and the open comm keeps working", async () => {
    const widget = new Widget(spec, { k: 6 });
    expect(() =>
      comms.handle("comm_open", { comm_id: widget.modelId, target_name: "nope", data: {} }, {}, []),
    ).toThrow(WireFormatError);
    expect(() =>
      comms.handle("comm_open", { comm_id: widget.modelId, target_name: "jupyter.widget", data: {} }, {}, []),
    ).toThrow(/comm_id ".*" is already open/);
    update(widget, { k: 5 }, []);
    expect(widget.get("k")).toBe(5);
    expect(comms.info().comms[widget.modelId]).toEqual({ target_name: "jupyter.widget" });
  });

  it("a comm opened under the id __proto__ is listed as an entry, not a prototype", () => {
    comms.registerTarget("t", () => undefined);
    comms.handle("comm_open", { comm_id: "__proto__", target_name: "t", data: {} }, {}, []);
    const listed = comms.info().comms;
    expect(Object.getPrototypeOf(listed)).toBe(Object.prototype);
    expect(Object.hasOwn(listed, "__proto__")).toBe(true);
    expect(JSON.parse(JSON.stringify(listed))).toEqual(JSON.parse('{"__proto__": {"target_name": "t"}}'));
    expectNoPollution();
  });

  it(`JSON nested deeper than ${MAX_JSON_DEPTH} levels is a WireFormatError at decoding; ${MAX_JSON_DEPTH} levels pass`, () => {
    const signer = createSigner("hmac-sha256", "key");
    const header = {
      msg_id: "m",
      session: "s",
      username: "u",
      date: "",
      msg_type: "comm_msg",
      version: "5.3",
    };
    const nested = (depth: number): unknown => JSON.parse(`${"[".repeat(depth)}${"]".repeat(depth)}`);
    const frames = (content: object) =>
      encodeFrames(
        { identities: [], header, parent_header: {}, metadata: {}, content, buffers: [] },
        signer,
      ).map((f) => Buffer.from(f));
    expect(() => decodeFrames(frames({ data: nested(MAX_JSON_DEPTH - 1) }), signer)).not.toThrow();
    expect(() => decodeFrames(frames({ data: nested(MAX_JSON_DEPTH) }), signer)).toThrow(
      /invalid JSON in frame 3 after the signature: nested deeper than 100 levels/,
    );
    // Far deeper than the stack allows for recursive code: still one clean error.
    const deep = Buffer.from(`{"a":${"[".repeat(1e6)}${"]".repeat(1e6)}}`);
    const raw = frames({});
    raw[5] = deep;
    raw[1] = Buffer.from(signer.sign(raw.slice(2, 6)));
    expect(() => decodeFrames(raw, signer)).toThrow(WireFormatError);
  });
});
