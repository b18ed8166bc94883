// What the browser test page (harness.ts) exposes as `globalThis.harness`, shared type-only with the
// Node side (test/widgets/); no DOM types here, the Node typecheck includes this file.

/** The synthetic explorer the page opens. */
export interface FixtureOptions {
  /** Number of models side by side, 1..3 (default 1). */
  models?: number;
  /** Overlay opacity (default 1: pixels show pure palette colours). */
  opacity?: number;
  /** Send RGB images (default true). */
  withImages?: boolean;
  /** Declare a labels shape that does not match the buffer (default false). */
  corruptLabels?: boolean;
  /** The frame's `model_layers`: each model's own block per column (default none, as older kernels). */
  modelLayers?: number[][];
  /** Images in the set (default FIXTURE.imageNames, 2); more are named `img-<n>.png`. */
  imageCount?: number;
  /** Images a page (default 12). */
  pageSize?: number;
  /** The page whose frame and images are sent (default 0). */
  page?: number;
  /** Layers shown, blocks 1..n (default FIXTURE.layers, 3). */
  layerCount?: number;
  /** The label grid's side (default FIXTURE.grid, 4 × 4). */
  gridSide?: number;
  /** The images' side in pixels (default FIXTURE.imageSize). */
  imageSize?: number;
  /** The frame's K (default FIXTURE.k); labels use all of 0..k−1 from the grid's 5th cell on. */
  k?: number;
  /** The frame's `provisional` flag (default: absent, as older kernels send). */
  provisional?: boolean;
  /** The frame's `layers_ready` (default: absent, every layer filled). */
  layersReady?: number;
  /** Show all of the page's images in each panel (default: the first image alone). */
  allImages?: boolean;
  /** Added to every PB score of the fixture (default 0; PB is 0.1 · layer + 0.05 · model). */
  pbShift?: number;
  /**
   * A `pca` or `attention` frame: `colors` (FIXTURE_COLOUR per cell) instead of labels, null
   * scores; pca adds `explained`, attention `head` (default absent: a clusters frame).
   */
  lens?: "pca" | "attention";
  /** The attention frame's head and the state's `head` (default "mean"). */
  head?: number | "mean";
  /** The state's `heads` (default 0). */
  heads?: number;
  /** Leave `colors` out of a colour frame (a malformed frame; default false). */
  noColors?: boolean;
  /** updateFrame: send the frame alone, as the kernel does once the page's images are sent. */
  frameOnly?: boolean;
}

/** A message the view sent through the comm. */
export interface SentMessage {
  method: string;
  state?: Record<string, unknown>;
  content?: unknown;
  buffer_paths?: unknown;
  buffers: number;
}

/** A box in page coordinates. */
export interface Box {
  left: number;
  top: number;
  right: number;
  bottom: number;
}

/** What chartGeometry() measured. */
export interface ChartGeometry {
  yRange: number[];
  xTitle: Box | null;
  legend: Box | null;
  /** The plot area. */
  plot: Box | null;
  ticks: string[];
}

/** What remove() observed. */
export interface RemoveReport {
  /** Whether the view's element is still in the document. */
  attached: boolean;
  /** Child elements left in the chart container (Plotly.purge empties it). */
  chartChildren: number;
  /** Messages sent by clicking the (detached) cancel button after removal. */
  sentAfterRemove: number;
}

/** The test page's API. */
export interface HarnessApi {
  /** Opens the explorer as the kernel would (comm_open with state and buffers) and displays it. */
  open(options?: FixtureOptions): Promise<void>;
  /** A kernel `update` with JSON state only; resolves once the model has it. */
  update(state: Record<string, unknown>): Promise<void>;
  /** A kernel `update` carrying a new frame (and images) as binary buffers. */
  updateFrame(options?: FixtureOptions): Promise<void>;
  /** A kernel `custom` message; `bytes`, if given, travel as its one binary buffer. */
  custom(content: Record<string, unknown>, bytes?: number[]): Promise<void>;
  /** Resolves when the metrics chart has drawn its traces; returns their count. */
  chartTraces(): Promise<number>;
  /** Once the chart is drawn: its y-axis range, x tick texts and the boxes of x title, legend, plot. */
  chartGeometry(): Promise<ChartGeometry>;
  sent(): SentMessage[];
  get(key: string): unknown;
  /** RGBA at canvas pixel (x, y) of model `model`'s panel of layer `layer` (first shown image). */
  pixel(model: number, layer: number, x: number, y: number): number[];
  remove(): RemoveReport;
  /** The `seglens:*` performance marks so far, in order: name, time and detail. */
  marks(): { name: string; startTime: number; detail: unknown }[];
  /** Resolves once `count` marks named `name` exist (the view sets them as it draws). */
  waitForMarks(name: string, count: number): Promise<void>;
}

/** The colour a pca or attention fixture frame gives cell (y, x) of layer position `l` (any model, image). */
export function fixtureColour(l: number, y: number, x: number): [number, number, number] {
  return [40 + 60 * l, 30 + 50 * y, 20 + 60 * x];
}

/** The `explained` shares of a pca fixture frame at layer position `l` (any model). */
export const fixtureExplained = (l: number): [number, number, number] => [0.3 + 0.1 * l, 0.1, 0.05];

/** The fixture's values, for assertions: palette colours and cluster shares it was built to give. */
export const FIXTURE = {
  layers: [1, 2, 3],
  k: 4,
  grid: [4, 4],
  imageSize: 32,
  imageNames: ["a.png", "b.png"],
  modelIds: ["tiny-a", "tiny-b", "tiny-c"],
  /** Share of cluster 0 per layer position: the first 4·(l+1) of 16 cells. */
  shareOfCluster0: [0.25, 0.5, 0.75],
} as const;
