import { readFile } from "node:fs/promises";
import { availableParallelism } from "node:os";
import type * as ort from "onnxruntime-node";
import { InputError, UnsupportedModelError } from "../errors";

/** Execution providers seglens offers; CUDA needs onnxruntime-node's CUDA binaries installed. */
export type ExecutionProvider = "cpu" | "cuda";

/** A tensor as it leaves onnxruntime: flat data in C order plus its dims. float16 arrives as raw Uint16Array. */
export interface RawTensor {
  type: "float32" | "float16" | "int32" | "int64" | "uint8" | "int8";
  data: Float32Array | Uint16Array | Int32Array | BigInt64Array | Uint8Array | Int8Array;
  dims: number[];
}

/** Session options. */
export interface RuntimeSessionOptions {
  /** Intra-op threads; default {@link defaultThreads}. */
  threads?: number;
  /** Default "cpu". */
  ep?: ExecutionProvider;
  /**
   * Folder of the model's external weight files when `modelPath` is an edited copy living elsewhere.
   * onnxruntime refuses data files outside the model's folder, links included, so the copy is
   * loaded from memory with this folder named as the place of its initializers.
   */
  externalDataDir?: string;
  /** How errors name the model (default `modelPath`), e.g. the original file of an edited copy. */
  label?: string;
  /**
   * Whether idle intra-op threads spin-wait for the next parallel section (default true, as
   * onnxruntime). Spinning speeds up back-to-back runs of one session, but a process alternating
   * between sessions (the k-means graphs) lets one session's spinning threads take the cores from
   * another's run: false halved the k-means step time on 2 cores.
   */
  spinning?: boolean;
  /**
   * Whether onnxruntime keeps freed buffers in its arena for the next run (default true). The
   * arena never shrinks and grows in doublings, so sessions fed arrays of many sizes (k-means on
   * 20k to 65k rows) hold far more than one run needs: without it two k-means fits over a
   * 196,000 × 384 matrix peaked at 770 MB instead of 970 MB, at the same speed.
   */
  memoryArena?: boolean;
}

/** One loaded model file. Reuse it: repeated create/release leaks in onnxruntime-node. */
export interface RuntimeSession {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  /** Runs the model on `feeds` and returns only the outputs named in `fetches`. Blocks the calling thread. */
  run(feeds: Record<string, RawTensor>, fetches: readonly string[]): Promise<Record<string, RawTensor>>;
  dispose(): Promise<void>;
}

// The one place that loads onnxruntime-node, so its options live in one module; loaded lazily so
// importing seglens is cheap.
function runtime(): typeof ort {
  return require("onnxruntime-node") as typeof ort;
}

/** The onnxruntime-node version in use. */
export function runtimeVersion(): string {
  return runtime().env.versions.node ?? "unknown";
}

/**
 * Intra-op threads when the caller names none: one per core the process may use. onnxruntime's
 * own default counts physical cores, and where it cannot tell them it takes half the logical
 * processors: one on a 2-core virtual machine, where the forward pass
 * then used 1.00 core and took 66–74 ms per image against 37–41 ms with 2 threads. onnxruntime pins
 * its threads to cores only for its own default count, so these may move off a busy core.
 */
export function defaultThreads(): number {
  return availableParallelism();
}

/**
 * What `options` become for onnxruntime: its session options, and the session config entries
 * (onnxruntime_session_options_config_keys.h, nested at the dots) that go under `extra.session`.
 */
export function ortSessionOptions(options: RuntimeSessionOptions): {
  sessionOptions: ort.InferenceSession.SessionOptions;
  config: Record<string, unknown>;
} {
  const sessionOptions: ort.InferenceSession.SessionOptions = {
    executionProviders: [options.ep ?? "cpu"],
    graphOptimizationLevel: "all",
    ...(options.memoryArena === false ? { enableCpuMemArena: false } : {}),
    // Fatal only: run failures reach the caller as errors; onnxruntime's own copy on stderr is noise.
    logSeverityLevel: 4,
    intraOpNumThreads: options.threads ?? defaultThreads(),
  };
  const config: Record<string, unknown> =
    options.spinning === false ? { intra_op: { allow_spinning: "0" } } : {};
  return { sessionOptions, config };
}

/**
 * Opens `modelPath` (external data files are found beside it), or a model given as ONNX bytes in
 * memory (e.g. a graph made with `createGraphBuilder`, such as the k-means steps).
 */
export async function createRuntimeSession(
  modelPath: string | Uint8Array,
  options: RuntimeSessionOptions = {},
): Promise<RuntimeSession> {
  const { InferenceSession, Tensor, env } = runtime();
  // Failures reach the caller as errors; onnxruntime's own log lines on stderr would be noise.
  env.logLevel = "fatal";
  const ep = options.ep ?? "cpu";
  if (ep !== "cpu" && ep !== "cuda")
    throw new InputError(`unsupported execution provider: "${ep}"; use cpu or cuda`);
  const { sessionOptions, config } = ortSessionOptions(options);
  const configured =
    Object.keys(config).length === 0 ? sessionOptions : { ...sessionOptions, extra: { session: config } };
  let session: ort.InferenceSession;
  try {
    if (typeof modelPath !== "string") {
      session = await InferenceSession.create(modelPath, configured);
    } else if (options.externalDataDir === undefined) {
      session = await InferenceSession.create(modelPath, configured);
    } else {
      const folder = { model_external_initializers_file_folder_path: options.externalDataDir };
      const extra = { session: { ...config, ...folder } };
      session = await InferenceSession.create(await readFile(modelPath), { ...sessionOptions, extra });
    }
  } catch (cause) {
    const reason = cause instanceof Error ? cause.message.split("\n")[0] : String(cause);
    if (ep === "cuda" && /cuda|shared librar/i.test(reason)) {
      throw new InputError(
        `the CUDA execution provider is not available (${reason}); onnxruntime-node installs its CUDA binaries only when installed without ONNXRUNTIME_NODE_INSTALL=skip on a Linux x64 machine with CUDA 12 — or use --ep cpu`,
        { cause },
      );
    }
    throw new UnsupportedModelError(
      `onnxruntime could not load "${options.label ?? (typeof modelPath === "string" ? modelPath : "an in-memory model")}": ${reason}`,
      {
        cause,
      },
    );
  }
  return {
    inputNames: session.inputNames,
    outputNames: session.outputNames,
    async run(feeds, fetches) {
      const inputs: Record<string, ort.Tensor> = {};
      for (const [name, t] of Object.entries(feeds)) inputs[name] = new Tensor(t.type, t.data, t.dims);
      const results = await session.run(inputs, fetches);
      const out: Record<string, RawTensor> = {};
      for (const name of fetches) {
        const t = results[name];
        if (t === undefined) throw new UnsupportedModelError(`onnxruntime returned no output "${name}"`);
        out[name] = {
          type: t.type as RawTensor["type"],
          data: t.data as RawTensor["data"],
          dims: [...t.dims],
        };
      }
      return out;
    },
    dispose: () => session.release(),
  };
}
