import { join } from "node:path";
import { type Command, InvalidArgumentError, Option } from "commander";
import { ALPHA_MODES, type AlphaMode, ORIENTATIONS, type Orientation } from "../images/decode-options";
import type { Rgb } from "../images/preprocess-config";
import type { ExecutionProvider } from "../models/onnx-runtime";
import type { ExtractReport } from "../protocol/extract-features";
import { createFeatureCache } from "../protocol/feature-cache";
import { type FeatureRequest, type PrepareOptions, prepareRequest } from "../protocol/feature-request";
import { type FeaturesMeta, writeFeatures } from "../protocol/write-features";
import { abortOnSignals } from "../util/abort-on-signals";
import { seglensCacheDir } from "../util/cache-dir";
import { createProgressBar, type ProgressBar } from "./progress-bar";

/** Options shared by every command that runs a model (design §6). */
export interface ModelFlags {
  model: string;
  file?: string;
  variant?: string;
  images: string[];
  size?: number;
  layers?: string;
  reps?: string;
  ep?: ExecutionProvider;
  threads?: number;
  mean?: Rgb;
  std?: Rgb;
  prefixTokens?: number;
  alpha?: AlphaMode;
  orientation?: Orientation;
}

function positiveInteger(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0)
    throw new InvalidArgumentError(`expected a positive integer, got "${value}"`);
  return n;
}

function rgb(value: string): Rgb {
  const parts = value.split(",").map(Number);
  if (parts.length !== 3 || parts.some((p) => !Number.isFinite(p))) {
    throw new InvalidArgumentError(`expected three comma-separated numbers (R,G,B), got "${value}"`);
  }
  return [parts[0] as number, parts[1] as number, parts[2] as number];
}

const MODEL_HELP = "model folder, .onnx file, catalog id (seglens models) or Hub id org/name[@rev]";

/** Adds the model and image flags of design §6 to `command`; `--model` may be optional (`figure`). */
export function addModelFlags(command: Command, options: { modelOptional?: boolean } = {}): Command {
  const model = options.modelOptional
    ? command.option("--model <M>", MODEL_HELP)
    : command.requiredOption("--model <M>", MODEL_HELP);
  return model
    .option("--file <F>", "ONNX file inside the model folder, e.g. onnx/vision_model.onnx")
    .option("--variant <V>", "fp32, fp16, q8, int8, uint8, q4, q4f16 or bnb4")
    .requiredOption(
      "--images <X...>",
      "image files or folders (folder: its images sorted by name); repeatable",
    )
    .option("--size <S>", "input resolution in pixels, rounded to the patch size", positiveInteger)
    .option("--layers <L>", "all, or block numbers and ranges like 1,3-5 (0 = embeddings)", "all")
    .option("--reps <R>", "comma-separated subset of tokens,q,k,v", "tokens,q,k,v")
    .addOption(new Option("--ep <EP>", "execution provider").choices(["cpu", "cuda"]).default("cpu"))
    .option("--threads <N>", "onnxruntime intra-op threads (default: all cores)", positiveInteger)
    .option("--mean <R,G,B>", "normalization mean (for an .onnx without preprocessor_config.json)", rgb)
    .option("--std <R,G,B>", "normalization std (likewise)", rgb)
    .addOption(
      new Option("--alpha <A>", "transparency: drop it as transformers does, or composite on white")
        .choices(ALPHA_MODES)
        .default("drop"),
    )
    .addOption(
      new Option("--orientation <O>", "pixels as stored (as transformers' processors) or turned by EXIF")
        .choices(ORIENTATIONS)
        .default("stored"),
    )
    .option(
      "--prefix-tokens <N>",
      "expected number of prefix tokens (CLS + registers), checked",
      nonNegativeInteger,
    );
}

function nonNegativeInteger(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0)
    throw new InvalidArgumentError(`expected a whole number ≥ 0, got "${value}"`);
  return n;
}

/** The request the model flags describe. */
export function requestFromFlags(flags: ModelFlags): FeatureRequest {
  const request: FeatureRequest = { model: flags.model, images: flags.images };
  if (flags.file !== undefined) request.file = flags.file;
  if (flags.variant !== undefined) request.variant = flags.variant;
  if (flags.size !== undefined) request.size = flags.size;
  if (flags.layers !== undefined) request.layers = flags.layers;
  if (flags.reps !== undefined) request.reps = flags.reps;
  if (flags.ep !== undefined) request.ep = flags.ep;
  if (flags.threads !== undefined) request.threads = flags.threads;
  if (flags.mean !== undefined) request.mean = flags.mean;
  if (flags.std !== undefined) request.std = flags.std;
  if (flags.prefixTokens !== undefined) request.prefixTokens = flags.prefixTokens;
  if (flags.alpha !== undefined) request.alpha = flags.alpha;
  if (flags.orientation !== undefined) request.orientation = flags.orientation;
  return request;
}

/** `seglens features … --out DIR` */
export function addFeaturesCommand(program: Command): void {
  const command = program
    .command("features")
    .description("write every layer's tokens, q, k, v as .npy files plus meta.json");
  addModelFlags(command)
    .requiredOption("--out <DIR>", "output folder")
    .option("--no-cache", "do not keep finished images in the feature cache (an interrupted run starts over)")
    .action(async (flags: ModelFlags & { out: string; cache: boolean }) => {
      const request = requestFromFlags(flags);
      const bar = createProgressBar();
      // Ctrl-C or SIGTERM stops the run; writeFeatures then removes what it had written.
      const interrupt = abortOnSignals();
      try {
        const prepared = await prepareRequest(request, downloadOptions(bar, interrupt.signal));
        bar.finish();
        const { meta, report } = await writeFeatures(prepared, flags.out, {
          ...(request.threads === undefined ? {} : { threads: request.threads }),
          ...(request.ep === undefined ? {} : { ep: request.ep }),
          ...(flags.cache ? { cache: createFeatureCache({ dir: join(seglensCacheDir(), "features") }) } : {}),
          signal: interrupt.signal,
          onProgress: (p) => bar.update(p.done, p.total, "images"),
        });
        bar.finish();
        process.stdout.write(summary(meta, report, flags.out));
      } finally {
        bar.finish();
        interrupt.dispose();
      }
    });
}

function summary(meta: FeaturesMeta, report: ExtractReport, out: string): string {
  const arrays = meta.reps.length * meta.layers.length;
  const shape = `[${meta.images.length}, ${meta.prefix_tokens + meta.grid[0] * meta.grid[1]}, ${meta.hidden_size}]`;
  const computed = meta.images.length - report.journaledImages;
  const resumed =
    report.journaledImages === 0
      ? ""
      : `  resumed: ${report.journaledImages} of ${meta.images.length} images were already in the feature cache, ${computed} computed\n`;
  return (
    `seglens features: ${meta.images.length} images through "${meta.model}" ` +
    `(${meta.num_layers} blocks, grid ${meta.grid[0]}×${meta.grid[1]}, ${meta.prefix_tokens} prefix tokens)\n` +
    `  wrote ${arrays} arrays ${shape} float32 + meta.json to ${out}\n` +
    resumed +
    `  inference ${(report.inferenceMs / Math.max(1, computed)).toFixed(1)} ms/image, total ${(report.wallMs / 1000).toFixed(2)} s\n`
  );
}

/**
 * Model download reporting for the command line: a byte progress bar per file on a terminal
 * (in MB), and a warning line on stderr when the Hub failed and the cache served.
 */
export function downloadOptions(bar: ProgressBar, signal: AbortSignal): PrepareOptions {
  let file = "";
  return {
    signal,
    onProgress: (p) => {
      if (p.file !== file) bar.finish();
      file = p.file;
      const mb = (bytes: number) => Math.round(bytes / 1e5) / 10;
      const total = p.totalBytes ?? p.doneBytes;
      bar.update(mb(p.doneBytes), mb(total), `MB ${p.file}`);
    },
    onWarning: (message) => process.stderr.write(`seglens: warning: ${message}\n`),
    onNote: (message) => process.stderr.write(`note: ${message}\n`),
  };
}
