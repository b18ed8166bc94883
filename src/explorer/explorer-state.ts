/**
 * The explorer widget's synced state: the one description of what crosses the comm between the
 * kernel (`src/explorer/`) and the browser (`widgets/src/`). Type-only: the browser bundle imports
 * it with `import type`, so nothing here may exist at run time; the words both sides share as
 * values (representations, K range, defaults) are in `src/vocabulary.ts`.
 *
 * Keys are snake_case because they are wire names (ipywidgets protocol 2.1, `update` messages).
 * "Kernel writes" / "view writes" says which side owns a key; the other side only reads it.
 *
 * @module
 */

import type { KMeansNormalize, Lens, Rep } from "../vocabulary";

/** The widget's module identity; the version is `"^<package version>"`, injected at build. */
export interface ExplorerIdentity {
  _model_module: "seglens";
  _model_module_version: string;
  _model_name: "ExplorerModel";
  _view_module: "seglens";
  _view_module_version: string;
  _view_name: "ExplorerView";
}

/**
 * The stages a `loading` status reports, in the order they run: `download` (a model's files from
 * the Hub, or a checkpoint), `convert` (a catalog model converted on first use), `features`,
 * `kmeans`, `metrics`; `lens` for the PCA and attention lenses (their attention rows and maps).
 */
export type LoadingStage = "download" | "convert" | "features" | "kmeans" | "metrics" | "lens";

/**
 * What the kernel is doing; the view shows a progress bar and a cancel button while `loading`, and
 * the message of an `error` in the widget, so a failure is never only in a log.
 */
export type ExplorerStatus =
  | { kind: "idle" }
  /**
   * `done` of `total` units of `stage` (bytes, blocks, images, layers): `total` ≥ 1, 0 ≤ `done` ≤
   * `total`. `detail`, when present, is the progress in words for the user (e.g.
   * `downloading model.safetensors: 12.0 of 343.3 MB`), which the view shows instead of the counts.
   */
  | { kind: "loading"; stage: LoadingStage; done: number; total: number; detail?: string }
  | { kind: "ready" }
  /** `message` is one line for the user; the view shows it verbatim. */
  | { kind: "error"; message: string };

/** A binary payload as it sits in the state: on the wire it travels as a raw buffer frame. */
export type BinaryBuffer = ArrayBuffer | ArrayBufferView;

/**
 * A C-order array whose bytes cross the comm as one binary buffer, never as JSON. The kernel puts
 * `["<key>", …, "buffer"]` in `buffer_paths`; the descriptor (`dtype`, `shape`) stays in the JSON.
 * The element count is the product of `shape`; `buffer` holds exactly that many elements.
 */
export interface BinaryArray<D extends "uint8" = "uint8"> {
  dtype: D;
  shape: number[];
  buffer: BinaryBuffer;
}

/** Chance-corrected scores of one (model, representation, layer), see README.md; `null` if undefined. */
export interface LayerMetrics {
  /** Positional bias. */
  pb: number | null;
  /** Locality. */
  lc: number | null;
  /** Border artifact. */
  ba: number | null;
}

/** An attention head, 0-based, or the mean over the heads. */
export type AttentionHead = number | "mean";

/**
 * One result: label maps of the shown models × layers × images (each model's layers aligned
 * through depth, the other models to the first) — or, for the `pca` and `attention` lenses, a
 * colour per patch — with the settings that produced them (they may lag the controls while the
 * kernel works).
 */
export interface ExplorerFrame {
  /** Model ids, axis 0 of `labels` and of `metrics`. */
  models: string[];
  rep: Rep;
  k: number;
  /**
   * What the frame shows (absent: `clusters`, as older kernels sent). `clusters` frames carry
   * `labels`; `pca` and `attention` frames carry `colors` instead, and null scores.
   */
  lens?: Lens;
  /** 1-based block numbers (0 = embeddings), axis 1 of `labels` and axis 1 of `metrics`. */
  layers: number[];
  /**
   * Indices into `image_names` of the page's images, axis 2 of `labels`: a frame carries one page
   * of the set (clustered jointly with the rest of the set).
   */
  images: number[];
  /**
   * The grid `labels` are drawn on: the models' patch grid, or their common grid when the models'
   * grids differ (each patch a block of cells; see `model_grids`).
   */
  grid: [gh: number, gw: number];
  /** Each model's own patch grid, on which its metrics are computed (optional for older kernels). */
  model_grids?: [gh: number, gw: number][];
  /**
   * Per model, the block shown in each column, in that model's own numbering: `layers` are the
   * first model's, and a model of another depth shows the block at the same relative depth
   * (optional for older kernels, which matched absolute indices).
   */
  model_layers?: number[][];
  /**
   * uint8 labels 0..k−1, shape `[models, layers, images, gh, gw]`; buffer path
   * `["frame", "labels", "buffer"]`.
   */
  labels?: BinaryArray<"uint8">;
  /**
   * `pca` and `attention` frames: RGB uint8, shape `[models, layers, images, gh, gw, 3]`, each
   * patch's colour (PCA components 1–3 as red, green, blue, black outside the foreground; attention
   * as a heat map, each map scaled min..max); buffer path `["frame", "colors", "buffer"]`.
   */
  colors?: BinaryArray<"uint8">;
  /** `pca` frames: `explained[m][l]`, each component's share of the layer's variance over the set. */
  explained?: [number, number, number][][];
  /** `attention` frames: the head shown. */
  head?: AttentionHead;
  /** `metrics[m][l]`: scores of model `models[m]` at layer `layers[l]`. */
  metrics: LayerMetrics[][];
  /**
   * A quick clustering (one short k-means restart on a sample of the patches), sent at once after a
   * change; the refined frame of the same setting follows, equal to `seglens segment`'s labels.
   * Optional for older kernels (absent: refined).
   */
  provisional?: boolean;
  /**
   * Columns `0..layers_ready−1` hold labels; the others are still being clustered and are zero (a
   * cold start's first picture, sent while the rest arrive). Absent: every column.
   */
  layers_ready?: number;
  /** Kernel milliseconds from the request to this frame (features, k-means, alignment, packing). */
  timing?: { compute_ms: number };
}

/** The explorer's complete synced state. */
export interface ExplorerState extends ExplorerIdentity {
  // ---- choices offered (kernel writes) ----
  /** Model ids the selector offers. */
  model_choices: string[];
  /** Smallest and largest selectable layer (0 when the embeddings are available, else 1; depth). */
  layer_bounds: [min: number, max: number];
  /** Display names of every image of the set, in set order; image indices refer to it. */
  image_names: string[];

  // ---- controls (view writes; the kernel recomputes) ----
  /** Models shown side by side: 1 to 3 of `model_choices`. */
  models: string[];
  /** Number of clusters, 2..32. */
  k: number;
  rep: Rep;
  /** Inclusive layer range, within `layer_bounds`. */
  layer_range: [first: number, last: number];
  /**
   * The image shown in every panel (an index into `image_names`, one of the page's), or all of the
   * page's side by side.
   */
  image: number | "all";
  /**
   * The page of images shown, 0-based: images `page · page_size` up to `(page + 1) · page_size`
   * (the last page the rest). Checked against the page size held before the update; past the last
   * page (after a page size change) the kernel shows the last one and writes it back. Changing it
   * cuts another frame from the kept clustering: no k-means, no model.
   */
  page: number;
  /**
   * Images a page, 1..64 (default 12). Changed alone, the kernel moves `page` to the one holding
   * the first image shown until then.
   */
  page_size: number;
  /** Overlay opacity over the image, 0..1 (display only; also used for the static PNG). */
  opacity: number;
  normalize: KMeansNormalize;
  /** What the panels show (default `clusters`); changing it computes from the features kept. */
  lens: Lens;
  /** The attention lens's head: 0-based, below `heads`, or `"mean"` (default). */
  head: AttentionHead;

  // ---- results (kernel writes) ----
  /** Attention heads of the first model (0 until its attention has been computed). */
  heads: number;
  status: ExplorerStatus;
  /**
   * The shown page's images, as RGB uint8 `[page images, height, width, 3]` (the model input after
   * resize and crop), sent once per page; buffer path `["images", "buffer"]`. `null` until decoded.
   */
  images: BinaryArray<"uint8"> | null;
  /** Indices into `image_names` of the images in `images` (its axis 0); sent with them. */
  page_images: number[];
  /** The newest finished frame, `null` before the first. */
  frame: ExplorerFrame | null;
  /**
   * Why the kernel refused the view's last change of a control, one line for the user (e.g.
   * `invalid k 99; expected 2..32; kept k 6`); `null` again once the view makes a change the kernel
   * accepts. The kernel also sends the kept value back, so the control shows it again.
   */
  view_error: string | null;
}

/** The file formats the current view exports to (the figure renderer's). */
export type ExportFormat = "png" | "svg";

/** Custom messages the view sends (`{method: "custom", content}`). */
export type ExplorerViewMessage =
  /** Stop the running work; the kernel sets `status` to `idle` (or `ready` with the last frame). */
  | { action: "cancel" }
  /** Render the current view (frame, image, opacity) as `format`; the kernel answers `export`. */
  | { action: "export"; format: ExportFormat };

/** Custom messages the kernel sends to the view, answering an {@link ExplorerViewMessage}. */
export type ExplorerKernelMessage =
  /** The exported file: its bytes are the message's one binary buffer; `filename` is a suggestion. */
  | { action: "export"; format: ExportFormat; filename: string }
  /** The export failed (no frame, a malformed request); `error` is one line for the user. */
  | { action: "export"; error: string };
