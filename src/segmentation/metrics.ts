import { InputError } from "../errors";
import { createRandom } from "../util/random";

/** Label maps of one (model, representation, layer): int32 `[images, gh, gw]`, labels 0..k-1. */
export interface LabelMaps {
  labels: Int32Array;
  dims: [images: number, height: number, width: number];
  k: number;
}

/** Options of the chance-corrected scores. */
export interface MetricOptions {
  /** Shuffles averaged for the permutation baseline X* (README.md, Metrics). Default 20. */
  shuffles?: number;
  /** Seed of the shuffles. Default 0. */
  seed?: number;
}

/** Defaults of {@link MetricOptions}. */
export const METRIC_DEFAULTS = Object.freeze({ shuffles: 20, seed: 0 });

/** Positional bias, locality and border artifact scores, chance-corrected (README.md, Metrics). */
export interface MapScores {
  pb: number;
  lc: number;
  ba: number;
}

// Scores whose denominator vanishes (one cluster, or no interior patches) are reported as 0.
const EPSILON = 1e-12;

function check(maps: LabelMaps): void {
  const [n, h, w] = maps.dims;
  if (maps.labels.length !== n * h * w) {
    throw new InputError(`label maps hold ${maps.labels.length} labels, not ${n}×${h}×${w}`);
  }
  for (const label of maps.labels) {
    if (label < 0 || label >= maps.k) throw new InputError(`label ${label} is outside 0..${maps.k - 1}`);
  }
}

/** Entropy (natural log) of a histogram of `total` counts. */
function entropy(counts: ArrayLike<number>, total: number): number {
  let h = 0;
  for (let i = 0; i < counts.length; i++) {
    const c = counts[i] as number;
    if (c > 0) h -= (c / total) * Math.log(c / total);
  }
  return h;
}

/**
 * Mutual information (natural log) between `labels` (0..k-1) and `groups` (0..g-1), from the
 * counts over all entries.
 */
function mutualInformation(labels: Int32Array, k: number, groups: Int32Array, g: number): number {
  const joint = new Float64Array(k * g);
  const byLabel = new Float64Array(k);
  const byGroup = new Float64Array(g);
  for (let i = 0; i < labels.length; i++) {
    const c = labels[i] as number;
    const p = groups[i] as number;
    joint[c * g + p] = (joint[c * g + p] as number) + 1;
  }
  for (let c = 0; c < k; c++) {
    for (let p = 0; p < g; p++) {
      byLabel[c] = (byLabel[c] as number) + (joint[c * g + p] as number);
      byGroup[p] = (byGroup[p] as number) + (joint[c * g + p] as number);
    }
  }
  const n = labels.length;
  let mi = 0;
  for (let c = 0; c < k; c++) {
    for (let p = 0; p < g; p++) {
      const j = joint[c * g + p] as number;
      if (j > 0) mi += (j / n) * Math.log((n * j) / ((byLabel[c] as number) * (byGroup[p] as number)));
    }
  }
  return mi;
}

/** I(c; group) chance-corrected: (I − I*) / (H(group) − I*), with I* over label shuffles. */
function correctedInformation(
  maps: LabelMaps,
  groups: Int32Array,
  g: number,
  groupEntropy: number,
  options: Required<MetricOptions>,
): number {
  const observed = mutualInformation(maps.labels, maps.k, groups, g);
  const random = createRandom(options.seed);
  const shuffled = Int32Array.from(maps.labels);
  let baseline = 0;
  for (let s = 0; s < options.shuffles; s++) {
    random.shuffle(shuffled);
    baseline += mutualInformation(shuffled, maps.k, groups, g);
  }
  baseline /= options.shuffles;
  const denominator = groupEntropy - baseline;
  return denominator <= EPSILON ? 0 : (observed - baseline) / denominator;
}

/**
 * Positional bias PB = (I(c;p) − I*) / (H(c) − I*): 1 when the label is a function of the grid
 * position alone, ≈ 0 when labels are unrelated to position.
 */
export function positionalBias(maps: LabelMaps, options: MetricOptions = {}): number {
  check(maps);
  const [n, h, w] = maps.dims;
  const positions = new Int32Array(n * h * w);
  for (let i = 0; i < positions.length; i++) positions[i] = i % (h * w);
  const labelCounts = new Float64Array(maps.k);
  for (const c of maps.labels) labelCounts[c] = (labelCounts[c] as number) + 1;
  // PB normalizes by H(c), the label entropy: the information position could explain at most.
  const hc = entropy(labelCounts, maps.labels.length);
  return correctedInformation(maps, positions, h * w, hc, { ...METRIC_DEFAULTS, ...options });
}

/** Border artifact BA = (I(c;b) − I*) / (H(b) − I*), b = on the outermost ring of the grid. */
export function borderArtifact(maps: LabelMaps, options: MetricOptions = {}): number {
  check(maps);
  const [n, h, w] = maps.dims;
  const ring = new Int32Array(n * h * w);
  let onRing = 0;
  for (let i = 0; i < ring.length; i++) {
    const p = i % (h * w);
    const y = Math.floor(p / w);
    const x = p % w;
    ring[i] = y === 0 || x === 0 || y === h - 1 || x === w - 1 ? 1 : 0;
    onRing += ring[i] as number;
  }
  const hb = entropy([onRing, ring.length - onRing], ring.length);
  return correctedInformation(maps, ring, 2, hb, { ...METRIC_DEFAULTS, ...options });
}

/** Share of 4-neighbour patch pairs within an image that have the same label. */
function sameLabelShare(labels: Int32Array, n: number, h: number, w: number): number {
  let same = 0;
  let pairs = 0;
  for (let img = 0; img < n; img++) {
    const base = img * h * w;
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const here = labels[base + y * w + x];
        if (x + 1 < w) {
          pairs++;
          if (labels[base + y * w + x + 1] === here) same++;
        }
        if (y + 1 < h) {
          pairs++;
          if (labels[base + (y + 1) * w + x] === here) same++;
        }
      }
    }
  }
  return pairs === 0 ? 0 : same / pairs;
}

/**
 * Locality LC = (s − s*) / (1 − s*): s is the share of 4-neighbour pairs with equal labels, s* the
 * same with patch positions shuffled within each image.
 */
export function locality(maps: LabelMaps, options: MetricOptions = {}): number {
  check(maps);
  const { shuffles, seed } = { ...METRIC_DEFAULTS, ...options };
  const [n, h, w] = maps.dims;
  const observed = sameLabelShare(maps.labels, n, h, w);
  const random = createRandom(seed);
  const shuffled = Int32Array.from(maps.labels);
  let baseline = 0;
  for (let s = 0; s < shuffles; s++) {
    for (let img = 0; img < n; img++) random.shuffle(shuffled, img * h * w, (img + 1) * h * w);
    baseline += sameLabelShare(shuffled, n, h, w);
  }
  baseline /= shuffles;
  return 1 - baseline <= EPSILON ? 0 : (observed - baseline) / (1 - baseline);
}

/** PB, LC and BA of one set of label maps. */
export function mapScores(maps: LabelMaps, options: MetricOptions = {}): MapScores {
  return {
    pb: positionalBias(maps, options),
    lc: locality(maps, options),
    ba: borderArtifact(maps, options),
  };
}
