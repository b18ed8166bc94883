import type {
  AttentionHead,
  BinaryArray,
  ExplorerFrame,
  LayerMetrics,
} from "../../src/explorer/explorer-state";
import { LENSES, type Lens } from "../../src/vocabulary";

/** A uint8 array as the view holds it after deserialization: a view on the received buffer. */
export interface Uint8NdArray {
  dtype: "uint8";
  shape: number[];
  data: Uint8Array;
}

/**
 * A frame after deserialization: `labels` or `colors` a typed array, everything checked. The lens
 * and the progress fields are optional on the wire (older kernels send none) and always set here.
 */
export interface DecodedFrame
  extends Omit<
    ExplorerFrame,
    "lens" | "labels" | "colors" | "explained" | "head" | "provisional" | "layers_ready" | "timing"
  > {
  /** What the frame shows: `clusters` (wire default) carry `labels`, the other lenses `colors`. */
  lens: Lens;
  /** `clusters`: labels 0..k−1 `[models, layers, images, gh, gw]`; `null` for the other lenses. */
  labels: Uint8NdArray | null;
  /** `pca`, `attention`: RGB `[models, layers, images, gh, gw, 3]`; `null` for clusters. */
  colors: Uint8NdArray | null;
  /** `pca`: each component's share of the variance, `explained[m][l]`. */
  explained?: [number, number, number][][];
  /** `attention`: the head shown. */
  head?: AttentionHead;
  /** A quick clustering that a refined frame of the same settings follows (wire default false). */
  provisional: boolean;
  /** The leading layers whose labels are filled; the others are still being clustered (default all). */
  layers_ready: number;
  /** The kernel's time spent on this frame, when it says. */
  timing?: { compute_ms: number };
}

/** The images after deserialization: RGB uint8 `[images, height, width, 3]`. */
export type DecodedImages = Uint8NdArray;

/**
 * The result of decoding a kernel-written field: the view renders `invalid` as an error in the
 * widget instead of throwing inside ipywidgets' `set_state`, which would log and swallow it.
 */
export type Decoded<T> = { kind: "ok"; value: T } | { kind: "invalid"; message: string };

/** Thrown by the decoders below; its message names the field and quotes the value. */
export class InvalidStateError extends TypeError {
  override name = "InvalidStateError";
}

function describe(value: unknown): string {
  const text = JSON.stringify(value, (_k, v: unknown) =>
    ArrayBuffer.isView(v) ? `<${v.byteLength} bytes>` : v,
  );
  return text === undefined ? String(value) : text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

function fail(name: string, value: unknown, expected: string): never {
  throw new InvalidStateError(`invalid ${name}: ${describe(value)}; expected ${expected}`);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function nonNegativeInts(value: unknown, name: string): number[] {
  if (!Array.isArray(value) || !value.every((v) => Number.isInteger(v) && v >= 0)) {
    fail(name, value, "an array of non-negative integers");
  }
  return value as number[];
}

function bytesOf(value: unknown, name: string): Uint8Array {
  // ipywidgets' put_buffers places a DataView at each buffer path; a kernel-side test may pass others.
  if (value instanceof ArrayBuffer) return new Uint8Array(value);
  if (ArrayBuffer.isView(value)) return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  return fail(name, value, "a binary buffer (is the path in buffer_paths?)");
}

/** Checks a `{dtype: "uint8", shape, buffer}` descriptor and returns a typed view on its bytes. */
export function decodeUint8Array(value: unknown, name: string): Uint8NdArray {
  if (!isRecord(value)) fail(name, value, "{dtype, shape, buffer}");
  if (value.dtype !== "uint8") fail(`${name}.dtype`, value.dtype, '"uint8"');
  const shape = nonNegativeInts(value.shape, `${name}.shape`);
  const data = bytesOf(value.buffer, `${name}.buffer`);
  const count = shape.reduce((a, b) => a * b, 1);
  if (data.length !== count) {
    throw new InvalidStateError(
      `invalid ${name}: ${data.length} bytes for shape [${shape.join(", ")}]; expected ${count}`,
    );
  }
  return { dtype: "uint8", shape, data };
}

function decodeMetrics(value: unknown, models: number, layers: number): LayerMetrics[][] {
  const score = (v: unknown, name: string) =>
    v === null || (typeof v === "number" && Number.isFinite(v)) ? v : fail(name, v, "a number or null");
  if (!Array.isArray(value) || value.length !== models) fail("frame.metrics", value, `${models} arrays`);
  return value.map((row: unknown, m) => {
    if (!Array.isArray(row) || row.length !== layers) fail(`frame.metrics[${m}]`, row, `${layers} entries`);
    return row.map((entry: unknown, l) => {
      const name = `frame.metrics[${m}][${l}]`;
      if (!isRecord(entry)) fail(name, entry, "{pb, lc, ba}");
      return {
        pb: score(entry.pb, `${name}.pb`),
        lc: score(entry.lc, `${name}.lc`),
        ba: score(entry.ba, `${name}.ba`),
      };
    });
  });
}

/**
 * The optional per-model fields: `model_layers` (each model's own block per column) and
 * `model_grids` (each model's own patch grid); absent from older kernels' frames.
 */
function decodePerModel(
  value: Record<string, unknown>,
  models: number,
  layers: number,
): Pick<DecodedFrame, "model_layers" | "model_grids"> {
  const decoded: Pick<DecodedFrame, "model_layers" | "model_grids"> = {};
  const perModel = (key: string, length: number, what: string): number[][] | undefined => {
    const field = value[key];
    if (field === undefined) return undefined;
    if (!Array.isArray(field) || field.length !== models) fail(`frame.${key}`, field, `${models} arrays`);
    return field.map((row: unknown, m) => {
      const entries = nonNegativeInts(row, `frame.${key}[${m}]`);
      if (entries.length !== length) fail(`frame.${key}[${m}]`, row, what);
      return entries;
    });
  };
  const modelLayers = perModel("model_layers", layers, `${layers} block numbers`);
  if (modelLayers !== undefined) decoded.model_layers = modelLayers;
  const grids = perModel("model_grids", 2, "[gh, gw]");
  if (grids !== undefined) decoded.model_grids = grids.map(([gh, gw]) => [gh as number, gw as number]);
  return decoded;
}

function decodeFrameStrict(value: Record<string, unknown>): DecodedFrame {
  const { models, rep, k, grid } = value;
  if (!Array.isArray(models) || models.length === 0 || !models.every((m) => typeof m === "string")) {
    fail("frame.models", models, "a non-empty array of model ids");
  }
  if (rep !== "tokens" && rep !== "q" && rep !== "k" && rep !== "v")
    fail("frame.rep", rep, "tokens, q, k or v");
  if (typeof k !== "number" || !Number.isInteger(k) || k < 2 || k > 32)
    fail("frame.k", k, "an integer in 2..32");
  const layers = nonNegativeInts(value.layers, "frame.layers");
  const images = nonNegativeInts(value.images, "frame.images");
  const g = nonNegativeInts(grid, "frame.grid");
  if (g.length !== 2 || g[0] === 0 || g[1] === 0) fail("frame.grid", grid, "[gh, gw], both ≥ 1");
  const [gh, gw] = g as [number, number];
  const { lens = "clusters" } = value;
  if (!(LENSES as readonly unknown[]).includes(lens)) fail("frame.lens", lens, LENSES.join(", "));
  const shape = [models.length, layers.length, images.length, gh, gw];
  const maps = lens === "clusters" ? decodeLabels(value, shape, k) : decodeColors(value, shape);
  const metrics = decodeMetrics(value.metrics, models.length, layers.length);
  const perModel = decodePerModel(value, models.length, layers.length);
  return {
    models: models as string[],
    rep,
    k,
    lens: lens as Lens,
    layers,
    images,
    grid: [gh, gw],
    ...maps,
    metrics,
    ...perModel,
    ...decodeLensFields(value, lens as Lens, models.length, layers.length),
    ...decodeProgress(value, layers.length),
  };
}

/** A clusters frame's `labels`: `shape` = [models, layers, images, gh, gw], every label below `k`. */
function decodeLabels(
  value: Record<string, unknown>,
  shape: number[],
  k: number,
): Pick<DecodedFrame, "labels" | "colors"> {
  const labels = decodeUint8Array(value.labels, "frame.labels");
  if (labels.shape.join() !== shape.join()) {
    fail("frame.labels.shape", labels.shape, `[models, layers, images, gh, gw] = [${shape.join(", ")}]`);
  }
  const over = labels.data.findIndex((label) => label >= k);
  if (over >= 0) fail(`frame.labels at element ${over}`, labels.data[over], `a label below k = ${k}`);
  return { labels, colors: null };
}

/** A pca or attention frame's `colors`: RGB, `shape` = [models, layers, images, gh, gw] plus 3. */
function decodeColors(
  value: Record<string, unknown>,
  shape: number[],
): Pick<DecodedFrame, "labels" | "colors"> {
  const colors = decodeUint8Array(value.colors, "frame.colors");
  const expected = [...shape, 3];
  if (colors.shape.join() !== expected.join()) {
    fail(
      "frame.colors.shape",
      colors.shape,
      `[models, layers, images, gh, gw, 3] = [${expected.join(", ")}]`,
    );
  }
  return { labels: null, colors };
}

/** `explained` of a pca frame and `head` of an attention frame (each optional). */
function decodeLensFields(
  value: Record<string, unknown>,
  lens: Lens,
  models: number,
  layers: number,
): Pick<DecodedFrame, "explained" | "head"> {
  const { explained, head } = value;
  if (lens === "attention" && head !== undefined) {
    if (head !== "mean" && !(Number.isInteger(head) && (head as number) >= 0))
      fail("frame.head", head, '"mean" or a head index ≥ 0');
    return { head: head as AttentionHead };
  }
  if (lens !== "pca" || explained === undefined) return {};
  const share = (v: unknown) => typeof v === "number" && Number.isFinite(v) && v >= 0 && v <= 1;
  if (!Array.isArray(explained) || explained.length !== models)
    fail("frame.explained", explained, `${models} arrays`);
  for (const [m, row] of explained.entries()) {
    if (!Array.isArray(row) || row.length !== layers) fail(`frame.explained[${m}]`, row, `${layers} entries`);
    for (const [l, entry] of row.entries())
      if (!Array.isArray(entry) || entry.length !== 3 || !entry.every(share))
        fail(`frame.explained[${m}][${l}]`, entry, "three shares in 0..1");
  }
  return { explained: explained as [number, number, number][][] };
}

/** The optional fields of a frame sent while the kernel still works: `provisional`, `layers_ready`, `timing`. */
function decodeProgress(
  value: Record<string, unknown>,
  layers: number,
): Pick<DecodedFrame, "provisional" | "layers_ready" | "timing"> {
  const { provisional = false, layers_ready = layers, timing } = value;
  if (typeof provisional !== "boolean") fail("frame.provisional", provisional, "true or false");
  if (!Number.isInteger(layers_ready) || (layers_ready as number) < 0 || (layers_ready as number) > layers)
    fail("frame.layers_ready", layers_ready, `an integer in 0..${layers}`);
  const progress = { provisional, layers_ready: layers_ready as number };
  if (timing === undefined) return progress;
  const ms = isRecord(timing) ? timing.compute_ms : undefined;
  if (typeof ms !== "number" || !Number.isFinite(ms) || ms < 0)
    fail("frame.timing", timing, "{compute_ms: a number ≥ 0}");
  return { ...progress, timing: { compute_ms: ms } };
}

/**
 * Deserializer of `frame` (`null` stays `null`). Marks `seglens:frame-received` and
 * `seglens:frame-decoded` on the page's performance timeline (detail: `k`, `provisional` and the
 * kernel's `compute_ms` when sent), so a benchmark can tell the comm's time from the view's; two
 * marks a frame cost nothing to keep.
 */
export function decodeFrame(value: unknown): Decoded<DecodedFrame> | null {
  if (value === null || value === undefined) return null;
  // The kernel's time for the frame, when it says, so a benchmark can split the latency.
  const timing = isRecord(value) && isRecord(value.timing) ? { compute_ms: value.timing.compute_ms } : {};
  const detail = isRecord(value) ? { k: value.k, provisional: value.provisional === true, ...timing } : {};
  performance.mark("seglens:frame-received", { detail });
  try {
    if (!isRecord(value)) fail("frame", value, "an object or null");
    const decoded = decodeFrameStrict(value);
    performance.mark("seglens:frame-decoded", { detail });
    return { kind: "ok", value: decoded };
  } catch (error) {
    if (error instanceof InvalidStateError) return { kind: "invalid", message: error.message };
    throw error;
  }
}

/** Deserializer of `images` (`null` stays `null`). */
export function decodeImages(value: unknown): Decoded<DecodedImages> | null {
  if (value === null || value === undefined) return null;
  try {
    const images = decodeUint8Array(value, "images");
    if (images.shape.length !== 4 || images.shape[3] !== 3) {
      fail("images.shape", images.shape, "[images, height, width, 3]");
    }
    return { kind: "ok", value: images };
  } catch (error) {
    if (error instanceof InvalidStateError) return { kind: "invalid", message: error.message };
    throw error;
  }
}

function encodeArray(array: Uint8NdArray): BinaryArray<"uint8"> {
  const { data } = array;
  return {
    dtype: "uint8",
    shape: array.shape,
    buffer: new DataView(data.buffer, data.byteOffset, data.byteLength),
  };
}

/** Serializer of `frame` (for saved widget state; the view never writes `frame`). */
export function encodeFrame(value: Decoded<DecodedFrame> | null): ExplorerFrame | null {
  // A cast: the kernel's frame type may require progress fields that older saved frames lack.
  if (value?.kind !== "ok") return null;
  const { labels, colors, ...rest } = value.value;
  return {
    ...rest,
    ...(labels && { labels: encodeArray(labels) }),
    ...(colors && { colors: encodeArray(colors) }),
  } as ExplorerFrame;
}

/** Serializer of `images`. */
export function encodeImages(value: Decoded<DecodedImages> | null): BinaryArray<"uint8"> | null {
  return value?.kind === "ok" ? encodeArray(value.value) : null;
}
