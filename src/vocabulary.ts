/**
 * The words seglens speaks everywhere: the CLI, the library, the explorer's kernel side and its
 * browser view. Browser-safe on purpose — constants and types only, no imports — because the
 * view's bundle includes this module.
 */

/** The representations of a block: its output tokens and its attention's queries, keys and values. */
export const REPS = Object.freeze(["tokens", "q", "k", "v"] as const);
export type Rep = (typeof REPS)[number];

/**
 * What a panel shows of a layer: its k-means clusters (`clusters`), its first three principal
 * components as red, green, blue (`pca`), or the attention of the CLS token (the patch queries'
 * mean without one) over the patches as a heat map (`attention`).
 */
export const LENSES = Object.freeze(["clusters", "pca", "attention"] as const);
export type Lens = (typeof LENSES)[number];

/** What k-means sees: each patch vector scaled to unit length (`l2`, the default), or as it is. */
export const KMEANS_NORMALIZATIONS = Object.freeze(["l2", "none"] as const);
export type KMeansNormalize = (typeof KMEANS_NORMALIZATIONS)[number];

/** Number of clusters: the default, and the range the CLI, the library and the explorer accept. */
export const DEFAULT_K = 6;
export const K_RANGE = Object.freeze([2, 32] as const);

/** Weight of the cluster colours over the photo in a label map, 0 (photo only) to 1 (labels only). */
export const DEFAULT_OPACITY = 0.6;

/**
 * Images the explorer shows at a time: it lays out, packs and sends one page of the image set,
 * while k-means clusters the whole set. 12 images × 12 layers is 144 panels.
 */
export const DEFAULT_PAGE_SIZE = 12;

/** Limits the explorer's view enforces and its kernel side validates. */
export const EXPLORER_LIMITS = Object.freeze({
  maxModels: 3,
  minK: K_RANGE[0],
  maxK: K_RANGE[1],
  /** Images a page may hold: 64 images × 12 layers × 3 models is already 2,304 canvases. */
  maxPageSize: 64,
} as const);
export type ExplorerLimits = typeof EXPLORER_LIMITS;
