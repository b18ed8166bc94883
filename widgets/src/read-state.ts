import type { ExplorerIdentity, ExplorerState, ExplorerStatus } from "../../src/explorer/explorer-state";
import { DEFAULT_K, DEFAULT_OPACITY, DEFAULT_PAGE_SIZE, EXPLORER_LIMITS, LENSES } from "../../src/vocabulary";
import type { Decoded, DecodedFrame, DecodedImages } from "./binary";

/** The state as the view reads it: wire fields narrowed, binary fields decoded. */
export interface ViewState extends Omit<ExplorerState, keyof ExplorerIdentity | "frame" | "images"> {
  images: Decoded<DecodedImages> | null;
  frame: Decoded<DecodedFrame> | null;
}

const DEFAULTS: Omit<ViewState, "images" | "frame"> = {
  model_choices: [],
  layer_bounds: [1, 1],
  image_names: [],
  models: [],
  k: DEFAULT_K,
  rep: "tokens",
  lens: "clusters",
  head: "mean",
  heads: 0,
  layer_range: [1, 1],
  image: 0,
  page: 0,
  page_size: DEFAULT_PAGE_SIZE,
  page_images: [],
  opacity: DEFAULT_OPACITY,
  normalize: "l2",
  status: { kind: "idle" },
  view_error: null,
};

/** Defaults of every synced field but the identity and the binary ones (the kernel sends them all). */
export const STATE_DEFAULTS: Readonly<Omit<ViewState, "images" | "frame">> = Object.freeze(DEFAULTS);

const isStrings = (v: unknown): v is string[] => Array.isArray(v) && v.every((s) => typeof s === "string");
const isIntPair = (v: unknown): v is [number, number] =>
  Array.isArray(v) && v.length === 2 && v.every((n) => Number.isInteger(n) && n >= 0) && v[0] <= v[1];
const isCount = (v: unknown): v is number => typeof v === "number" && Number.isInteger(v) && v >= 0;

function isStatus(v: unknown): v is ExplorerStatus {
  if (typeof v !== "object" || v === null) return false;
  const s = v as Record<string, unknown>;
  switch (s.kind) {
    case "idle":
    case "ready":
      return true;
    case "loading":
      return (
        typeof s.stage === "string" &&
        isCount(s.done) &&
        isCount(s.total) &&
        s.total >= 1 &&
        s.done <= s.total &&
        (s.detail === undefined || typeof s.detail === "string")
      );
    case "error":
      return typeof s.message === "string";
    default:
      return false;
  }
}

type Checks = { [K in keyof typeof STATE_DEFAULTS]: (v: unknown) => boolean };

const CHECKS: Checks = {
  model_choices: isStrings,
  layer_bounds: isIntPair,
  image_names: isStrings,
  models: (v) => isStrings(v) && v.length <= 3,
  k: (v) => typeof v === "number" && Number.isInteger(v) && v >= 2 && v <= 32,
  rep: (v) => v === "tokens" || v === "q" || v === "k" || v === "v",
  lens: (v) => (LENSES as readonly unknown[]).includes(v),
  head: (v) => v === "mean" || isCount(v),
  heads: isCount,
  layer_range: isIntPair,
  image: (v) => v === "all" || isCount(v),
  page: isCount,
  page_size: (v) => isCount(v) && v >= 1 && v <= EXPLORER_LIMITS.maxPageSize,
  page_images: (v) => Array.isArray(v) && v.every(isCount),
  opacity: (v) => typeof v === "number" && v >= 0 && v <= 1,
  normalize: (v) => v === "l2" || v === "none",
  status: isStatus,
  view_error: (v) => v === null || typeof v === "string",
};

/**
 * Reads and narrows the synced state: it arrives as `unknown` and is checked, never cast. A field
 * that fails its check takes its default and adds a line to `problems`, which the view shows in the
 * widget.
 */
export function readState(get: (key: string) => unknown): { state: ViewState; problems: string[] } {
  const problems: string[] = [];
  const state: Record<string, unknown> = {};
  for (const key of Object.keys(CHECKS) as (keyof Checks)[]) {
    const value = get(key);
    if (CHECKS[key](value)) {
      state[key] = value;
    } else {
      problems.push(`invalid ${key}: ${JSON.stringify(value)}`);
      state[key] = STATE_DEFAULTS[key];
    }
  }
  state.images = get("images") ?? null;
  state.frame = get("frame") ?? null;
  // Every key was checked above, with a default where the check failed.
  return { state: state as unknown as ViewState, problems };
}

/**
 * The shown page of `state` as the kernel's paging model (`src/util/paging.ts`) defines it:
 * `pageSize` images a page, page p holding images p·pageSize to (p + 1)·pageSize − 1, at least
 * one page; `start`/`end` are 0-based, `end` exclusive.
 */
export function shownPage(state: Pick<ViewState, "page" | "page_size" | "image_names">): {
  index: number;
  count: number;
  start: number;
  end: number;
} {
  const items = state.image_names.length;
  const count = Math.max(1, Math.ceil(items / state.page_size));
  const index = Math.min(state.page, count - 1);
  const start = Math.min(items, index * state.page_size);
  return { index, count, start, end: Math.min(items, start + state.page_size) };
}
