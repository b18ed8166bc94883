import { createRuntimeSession, type RawTensor, type RuntimeSession } from "../runtime/onnx-runtime";
import { buildDistanceGraph, buildLloydStepGraph, DISTANCES, LLOYD_STEP } from "./kmeans-graph";

/** What one Lloyd step returns for `restarts` restarts of K centroids over m measured vectors. */
export interface LloydStepResult {
  /** int32 `[m, restarts]`: nearest centroid (0..K−1) of each vector per restart. */
  labels: Int32Array;
  /**
   * float32 `[m, restarts, 2]`: ‖c‖² − 2 x·c for the nearest and the second-nearest centroid; add
   * ‖x‖² for the squared distances.
   */
  partial: Float32Array;
  /** float32 `[restarts·K, d]` (with `previous`): per centroid, Σ x joined − Σ x left. */
  sums?: Float32Array;
  /** float32 `[restarts·K]` (with `previous`): per centroid, vectors joined − vectors left. */
  counts?: Float32Array;
}

/**
 * The k-means graphs, each in one onnxruntime session created on first use and reused for every
 * fit afterwards (sessions are costly to create, and repeated create/release leaks memory in
 * onnxruntime-node).
 * `run()` blocks the calling thread: use it inside the k-means worker, or in tests.
 */
export interface KMeansEngine {
  /**
   * One Lloyd iteration of `restarts` restarts at once: `data` float32 `[n, d]`, `centroids` float32
   * `[restarts·k, d]` (restart r's centroids in rows r·k .. r·k+k−1).
   */
  lloydStep(
    data: Float32Array,
    dims: readonly [n: number, d: number],
    centroids: Float32Array,
    k: number,
    options?: LloydStepOptions,
  ): Promise<LloydStepResult>;
  /** float32 `[m, t]`: ‖p‖² − 2 x·p from each of the m rows of `data` to each of the t `points`. */
  distances(
    data: Float32Array,
    dims: readonly [m: number, d: number],
    points: Float32Array,
  ): Promise<Float32Array>;
  /** Releases the sessions; the engine must not be used afterwards. */
  dispose(): Promise<void>;
}

/** What {@link KMeansEngine.lloydStep} measures and returns besides labels and distances. */
export interface LloydStepOptions {
  /** int32: measure only these rows (the results have one row per entry). Default: all. */
  rows?: Int32Array;
  /**
   * int32 `[m, restarts]`: the measured rows' labels before the step (−1 for none); the step then
   * also returns how every cluster's sum and count change (a second GEMM as large as the first).
   */
  previous?: Int32Array;
}

/** Options of {@link createKMeansEngine}. */
export interface KMeansEngineOptions {
  /** onnxruntime intra-op threads per session; default: onnxruntime's choice (all cores). */
  threads?: number;
}

/** Creates an engine; its sessions open lazily, on the first fit. */
export function createKMeansEngine(options: KMeansEngineOptions = {}): KMeansEngine {
  // No spinning: three sessions alternate, and one's spinning threads would slow the next one's run.
  // No arena: inputs of many sizes would leave it at the largest one's doubling.
  const sessionOptions = {
    spinning: false,
    memoryArena: false,
    ...(options.threads === undefined ? {} : { threads: options.threads }),
  };
  const sessions = new Map<string, Promise<RuntimeSession>>();
  const session = (name: string, graph: () => Uint8Array): Promise<RuntimeSession> => {
    let s = sessions.get(name);
    if (s === undefined) {
      s = createRuntimeSession(graph(), { ...sessionOptions, label: `k-means ${name} graph` });
      sessions.set(name, s);
    }
    return s;
  };
  return {
    async lloydStep(data, dims, centroids, k, stepOptions = {}) {
      const { rows, previous } = stepOptions;
      const name = `Lloyd step${previous === undefined ? "" : " with sums"}${rows === undefined ? "" : " on rows"}`;
      const graph = session(name, () =>
        buildLloydStepGraph({ sums: previous !== undefined, subset: rows !== undefined }),
      );
      const fetches: string[] = [LLOYD_STEP.labels, LLOYD_STEP.partial];
      if (previous !== undefined) fetches.push(LLOYD_STEP.sums, LLOYD_STEP.counts);
      const out = await (await graph).run(lloydStepFeeds(data, dims, centroids, k, stepOptions), fetches);
      const result: LloydStepResult = {
        labels: out[LLOYD_STEP.labels]?.data as Int32Array,
        partial: out[LLOYD_STEP.partial]?.data as Float32Array,
      };
      if (previous !== undefined) {
        result.sums = out[LLOYD_STEP.sums]?.data as Float32Array;
        result.counts = out[LLOYD_STEP.counts]?.data as Float32Array;
      }
      return result;
    },
    async distances(data, [m, d], points) {
      const graph = session("distance", buildDistanceGraph);
      const out = await (await graph).run(
        {
          [DISTANCES.data]: { type: "float32", data, dims: [m, d] },
          [DISTANCES.points]: { type: "float32", data: points, dims: [points.length / d, d] },
        },
        [DISTANCES.partial],
      );
      return out[DISTANCES.partial]?.data as Float32Array;
    },
    async dispose() {
      const open = [...sessions.values()];
      sessions.clear();
      for (const s of await Promise.all(open)) await s.dispose();
    },
  };
}

/** The Lloyd step graph's inputs. */
function lloydStepFeeds(
  data: Float32Array,
  [n, d]: readonly [n: number, d: number],
  centroids: Float32Array,
  k: number,
  { rows, previous }: LloydStepOptions,
): Record<string, RawTensor> {
  const restarts = centroids.length / d / k;
  const feeds: Record<string, RawTensor> = {
    [LLOYD_STEP.data]: { type: "float32", data, dims: [n, d] },
    [LLOYD_STEP.centroids]: { type: "float32", data: centroids, dims: [restarts * k, d] },
    [LLOYD_STEP.slots]: { type: "int32", data: Int32Array.from({ length: k }, (_, i) => i), dims: [k] },
  };
  if (rows !== undefined) feeds[LLOYD_STEP.rows] = { type: "int32", data: rows, dims: [rows.length] };
  if (previous !== undefined)
    feeds[LLOYD_STEP.previous] = { type: "int32", data: previous, dims: [rows?.length ?? n, restarts] };
  return feeds;
}
