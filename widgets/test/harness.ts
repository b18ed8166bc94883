// The browser test page: a minimal ManagerBase serving the explorer from a fixed state with
// synthetic label maps, talking through a recording comm.

import type { ICallbacks, IClassicComm } from "@jupyter-widgets/base";
import * as base from "@jupyter-widgets/base";
import { ManagerBase } from "@jupyter-widgets/base-manager";
import { Widget } from "@lumino/widgets";
import type { ExplorerState } from "../../src/explorer/explorer-state";
import { EXPLORER_IDENTITY, ExplorerModel, ExplorerView, MODULE_NAME, MODULE_RANGE } from "../src/index";
import {
  FIXTURE,
  type FixtureOptions,
  fixtureColour,
  fixtureExplained,
  type HarnessApi,
  type SentMessage,
} from "./harness-api";

/** The exports of the AMD widget bundle, when the page defined it (`globalThis.seglensAmd`). */
function amdExports(): Record<string, typeof ExplorerModel | typeof ExplorerView> | undefined {
  return (globalThis as { seglensAmd?: Record<string, typeof ExplorerModel | typeof ExplorerView> })
    .seglensAmd;
}

class TestManager extends ManagerBase {
  protected override async loadClass(className: string, moduleName: string, moduleVersion: string) {
    if (moduleName === "@jupyter-widgets/base") {
      return (base as unknown as Record<string, typeof base.WidgetModel>)[
        className
      ] as typeof base.WidgetModel;
    }
    // JupyterLab's registry matches the registered version against the requested range.
    if (moduleName !== MODULE_NAME || moduleVersion !== MODULE_RANGE) {
      throw new Error(`no module ${moduleName}@${moduleVersion}; have ${MODULE_NAME}@${MODULE_RANGE}`);
    }
    // A page that loaded the AMD bundle (widgets/cdn/index.js) serves its classes instead.
    const exports: Record<string, typeof ExplorerModel | typeof ExplorerView> = amdExports() ?? {
      ExplorerModel,
      ExplorerView,
    };
    const found = exports[className];
    if (!found) throw new Error(`no class ${className} in ${moduleName}`);
    return found;
  }
  protected override async _create_comm(): Promise<IClassicComm> {
    throw new Error("the test manager opens no comms");
  }
  protected override async _get_comm_info() {
    return {};
  }
}

/** Records what the view sends and answers each message with `idle`, as a kernel does. */
class RecordingComm implements IClassicComm {
  comm_id = "explorer-comm";
  target_name = "jupyter.widget";
  readonly messages: SentMessage[] = [];
  private handler: ((msg: unknown) => void) | null = null;
  open(): string {
    return "";
  }
  send(
    data: unknown,
    callbacks?: ICallbacks,
    _metadata?: unknown,
    buffers?: ArrayBuffer[] | ArrayBufferView[],
  ) {
    this.messages.push({ ...(data as Omit<SentMessage, "buffers">), buffers: buffers?.length ?? 0 });
    const status = callbacks?.iopub?.status;
    // biome-ignore lint/suspicious/noExplicitAny: ipywidgets types the status message as a full IOPub message
    if (status) setTimeout(() => status({ content: { execution_state: "idle" } } as any), 0);
    return `msg-${this.messages.length}`;
  }
  close(): string {
    return "";
  }
  on_msg(callback: (msg: unknown) => void): void {
    this.handler = callback;
  }
  on_close(): void {}
  deliver(data: Record<string, unknown>, buffers: (ArrayBuffer | DataView)[]): void {
    this.handler?.({
      content: { comm_id: this.comm_id, data },
      buffers,
      header: { msg_id: "k" },
      parent_header: {},
    });
  }
}

function labelAt(l: number, y: number, x: number, gw: number, k: number): number {
  return y * gw + x < 4 * (l + 1) ? 0 : 1 + (x % (k - 1));
}

/** first, first + 1, …, last. */
const range = (first: number, last: number) => Array.from({ length: last - first + 1 }, (_, i) => first + i);

/** The fixture's image names: FIXTURE's two, or `imageCount` made-up ones. */
function imageNames(options: FixtureOptions): string[] {
  if (options.imageCount === undefined) return [...FIXTURE.imageNames];
  return Array.from({ length: options.imageCount }, (_, i) => `img-${i + 1}.png`);
}

/** The image indices of page `page` (the first by default) at the fixture's page size. */
function pageImages(options: FixtureOptions, page = options.page ?? 0): number[] {
  const size = options.pageSize ?? 12;
  const count = imageNames(options).length;
  const start = Math.min(count, page * size);
  return Array.from({ length: Math.min(count, start + size) - start }, (_, i) => start + i);
}

/** State and buffers of the fixture, as the kernel would send them (one page of images). */
function fixture(options: FixtureOptions) {
  const models = FIXTURE.modelIds.slice(0, options.models ?? 1);
  const [gh, gw] = options.gridSide === undefined ? FIXTURE.grid : [options.gridSide, options.gridSide];
  const layers = options.layerCount === undefined ? [...FIXTURE.layers] : range(1, options.layerCount);
  const k = options.k ?? FIXTURE.k;
  const shown = pageImages(options);
  const n = shown.length;
  const lens = options.lens ?? "clusters";
  const channels = lens === "clusters" ? 1 : 3;
  const labels = new Uint8Array(models.length * layers.length * n * gh * gw * channels);
  let i = 0;
  for (let m = 0; m < models.length; m++)
    for (let l = 0; l < layers.length; l++)
      for (let im = 0; im < n; im++)
        for (let y = 0; y < gh; y++)
          for (let x = 0; x < gw; x++) {
            if (channels === 1) labels[i++] = labelAt(l, y, x, gw, k);
            else for (const c of fixtureColour(l, y, x)) labels[i++] = c;
          }
  const size = options.imageSize ?? FIXTURE.imageSize;
  const rgb = new Uint8Array(n * size * size * 3).map((_, j) => (j * 7) % 256);
  const shape = [models.length, layers.length, n, gh, gw];
  if (options.corruptLabels) shape[3] = gh + 1;
  const frame = {
    models,
    rep: "tokens",
    k,
    layers,
    images: shown,
    grid: [gh, gw],
    ...(lens === "clusters"
      ? { labels: { dtype: "uint8", shape, buffer: null } }
      : {
          lens,
          ...(options.noColors ? {} : { colors: { dtype: "uint8", shape: [...shape, 3], buffer: null } }),
          ...(lens === "pca"
            ? { explained: models.map(() => layers.map((_, l) => fixtureExplained(l))) }
            : { head: options.head ?? "mean" }),
        }),
    metrics: models.map((_, m) =>
      layers.map((l) =>
        lens === "clusters"
          ? { pb: 0.1 * l + 0.05 * m + (options.pbShift ?? 0), lc: 0.9 - 0.1 * l, ba: null }
          : { pb: null, lc: null, ba: null },
      ),
    ),
    ...(options.modelLayers === undefined ? {} : { model_layers: options.modelLayers }),
    ...(options.provisional === undefined ? {} : { provisional: options.provisional }),
    ...(options.layersReady === undefined ? {} : { layers_ready: options.layersReady }),
  };
  const withImages = options.withImages ?? true;
  const state = {
    frame,
    images: withImages ? { dtype: "uint8", shape: [n, size, size, 3], buffer: null } : null,
    page_images: withImages ? shown : [],
    page: options.page ?? 0,
  };
  const mapsPath = ["frame", lens === "clusters" ? "labels" : "colors", "buffer"];
  const maps = options.noColors ? [] : [mapsPath];
  const bufferPaths = withImages ? [...maps, ["images", "buffer"]] : maps;
  const mapBuffers = options.noColors ? [] : [labels.buffer];
  const buffers = withImages ? [...mapBuffers, rgb.buffer] : mapBuffers;
  return { state, bufferPaths, buffers };
}

function openState(options: FixtureOptions): Omit<ExplorerState, "frame" | "images"> {
  return {
    ...EXPLORER_IDENTITY,
    model_choices: [...FIXTURE.modelIds],
    layer_bounds: [0, options.layerCount ?? 3],
    image_names: imageNames(options),
    models: FIXTURE.modelIds.slice(0, options.models ?? 1),
    k: options.k ?? FIXTURE.k,
    rep: "tokens",
    lens: options.lens ?? "clusters",
    head: options.head ?? "mean",
    heads: options.heads ?? 0,
    layer_range: [1, options.layerCount ?? 3],
    image: options.allImages ? "all" : 0,
    page: options.page ?? 0,
    page_size: options.pageSize ?? 12,
    page_images: [],
    opacity: options.opacity ?? 1,
    normalize: "l2",
    status: { kind: "ready" },
    view_error: null,
  };
}

let comm = new RecordingComm();
let view: ExplorerView | null = null;
let model: base.WidgetModel | null = null;
const manager = new TestManager();

function requireView(): ExplorerView {
  if (!view || !model) throw new Error("harness.open() first");
  return view;
}

const harness: HarnessApi = {
  async open(options = {}) {
    comm = new RecordingComm();
    const { state, bufferPaths, buffers } = fixture(options);
    const content = {
      comm_id: comm.comm_id,
      target_name: comm.target_name,
      data: { state: { ...openState(options), ...state }, buffer_paths: bufferPaths },
    };
    // biome-ignore lint/suspicious/noExplicitAny: a hand-made comm_open message, only the fields ManagerBase reads
    const msg = { content, buffers, metadata: { version: "2.1.0" } } as any;
    model = await manager.handle_comm_open(comm, msg);
    view = (await manager.create_view(model)) as ExplorerView;
    Widget.attach(view.luminoWidget, document.getElementById("host") as HTMLElement);
  },
  async update(state) {
    comm.deliver({ method: "update", state, buffer_paths: [] }, []);
    await requireView().model.state_change;
  },
  async updateFrame(options = {}) {
    const { state, bufferPaths, buffers } = fixture(options);
    if (options.frameOnly) {
      comm.deliver({ method: "update", state: { frame: state.frame }, buffer_paths: [bufferPaths[0]] }, [
        buffers[0] as ArrayBuffer,
      ]);
    } else comm.deliver({ method: "update", state, buffer_paths: bufferPaths }, buffers);
    await requireView().model.state_change;
  },
  async custom(content, bytes) {
    // JupyterLab hands widgets their buffers as DataViews.
    const buffers = bytes === undefined ? [] : [new DataView(new Uint8Array(bytes).buffer)];
    comm.deliver({ method: "custom", content }, buffers);
  },
  async chartTraces() {
    const chart = requireView().el.querySelector(".seglens-chart") as HTMLElement & { data?: unknown[] };
    // The chart is drawn when the page is idle: on a busy machine that can take many seconds.
    const deadline = performance.now() + 60_000;
    while (!chart.data && performance.now() < deadline) await new Promise((r) => setTimeout(r, 25));
    return chart.data?.length ?? 0;
  },
  async chartGeometry() {
    await harness.chartTraces();
    const chart = requireView().el.querySelector(".seglens-chart") as HTMLElement & {
      _fullLayout?: { yaxis: { range: number[] } };
    };
    const box = (selector: string) => {
      const r = chart.querySelector(selector)?.getBoundingClientRect();
      return r ? { left: r.left, top: r.top, right: r.right, bottom: r.bottom } : null;
    };
    return {
      yRange: [...(chart._fullLayout?.yaxis.range ?? [])],
      xTitle: box(".g-xtitle"),
      legend: box(".legend"),
      plot: box(".nsewdrag"),
      ticks: [...chart.querySelectorAll(".xtick text")].map((t) => t.textContent ?? ""),
    };
  },
  sent: () => comm.messages.map((m) => structuredClone(m)),
  get: (key) => requireView().model.get(key),
  pixel(m, layer, x, y) {
    const canvas = requireView().el.querySelector(
      `.seglens-row[data-model-index="${m}"] .seglens-panel[data-layer="${layer}"] canvas`,
    ) as HTMLCanvasElement;
    return [...(canvas.getContext("2d")?.getImageData(x, y, 1, 1).data ?? [])];
  },
  remove() {
    const v = requireView();
    const chart = v.el.querySelector(".seglens-chart") as HTMLElement;
    const cancel = v.el.querySelector(".seglens-cancel") as HTMLButtonElement;
    v.luminoWidget.dispose(); // as JupyterLab does when the output is cleared: disposes and removes the view
    const before = comm.messages.length;
    cancel.click();
    const report = {
      attached: v.el.isConnected,
      chartChildren: chart.childElementCount,
      sentAfterRemove: comm.messages.length - before,
    };
    view = null;
    return report;
  },
  marks: () =>
    performance
      .getEntriesByType("mark")
      .filter((m) => m.name.startsWith("seglens:"))
      .map((m) => ({ name: m.name, startTime: m.startTime, detail: (m as PerformanceMark).detail })),
  waitForMarks(name, count) {
    return new Promise((done) => {
      const enough = () => performance.getEntriesByName(name, "mark").length >= count;
      if (enough()) return done();
      const observer = new PerformanceObserver(() => {
        if (!enough()) return;
        observer.disconnect();
        done();
      });
      observer.observe({ type: "mark" });
    });
  },
};

(globalThis as unknown as { harness: HarnessApi }).harness = harness;
// What an AMD loader hands the widget bundle as its dependency "@jupyter-widgets/base".
(globalThis as unknown as { jupyterWidgetsBase: typeof base }).jupyterWidgetsBase = base;
