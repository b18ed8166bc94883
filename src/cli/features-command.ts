import { join } from "node:path";
import type { Command } from "commander";
import type { ExtractReport } from "../features/extract-features";
import { createFeatureCache } from "../features/feature-cache";
import {
  type FeatureRequest,
  type PreparedRequest,
  type PrepareOptions,
  prepareRequest,
} from "../features/feature-request";
import { missingFeatures, skippedNote } from "../features/selection";
import { type Shard, shardRange } from "../features/shard";
import { type FeaturesMeta, writeFeatures } from "../features/write-features";
import { ALPHA_MODES, type AlphaMode, ORIENTATIONS, type Orientation } from "../images/decode-options";
import type { Rgb } from "../images/preprocess-config";
import type { ExecutionProvider } from "../runtime/onnx-runtime";
import { seglensCacheDir } from "../util/cache-dir";
import { ensureCacheDir } from "./cache-check";
import { abortOnSignals } from "./interrupt";
import {
  choiceOption,
  depthList,
  integerIn,
  layerSpec,
  memorySize,
  repsSpec,
  rgb,
  shardSpec,
} from "./option-parsers";
import { createProgressBar, type ProgressBar } from "./progress-bar";

/** Options shared by every command that runs a model. */
export interface ModelFlags {
  model: string;
  file?: string;
  variant?: string;
  images: string[];
  size?: number;
  layers?: string;
  depth?: number[];
  reps?: string;
  ep?: ExecutionProvider;
  threads?: number;
  mean?: Rgb;
  std?: Rgb;
  prefixTokens?: number;
  alpha?: AlphaMode;
  orientation?: Orientation;
  checkpoint?: string;
  maxMemory?: string;
}

const MODEL_HELP = "model folder, .onnx file, catalog id (seglens models) or Hub id org/name[@rev]";
const EXECUTION_PROVIDERS = ["cpu", "cuda"] as const;
// Far above any ViT's training size, below sizes whose attention could not fit in memory anyway.
const SIZE_RANGE = [1, 4096] as const;
const THREADS_RANGE = [1, 256] as const;

/**
 * Adds the model and image flags to `command`; `--model` may be optional (`figure`), and both
 * `--model` and `--images` (`segment`, which can read stored features instead).
 */
export function addModelFlags(
  command: Command,
  options: { modelOptional?: boolean; imagesOptional?: boolean } = {},
): Command {
  const model =
    options.modelOptional || options.imagesOptional
      ? command.option("--model <M>", MODEL_HELP)
      : command.requiredOption("--model <M>", MODEL_HELP);
  const imagesHelp = "image files or folders (folder: its images sorted by name); repeatable";
  // --layers has no commander default: whether it was given tells whether it clashes with --depth.
  const withFile = model
    .option("--file <F>", "ONNX file inside the model folder, e.g. onnx/vision_model.onnx")
    .option("--variant <V>", "fp32, fp16, q8, int8, uint8, q4, q4f16 or bnb4");
  return (
    options.imagesOptional
      ? withFile.option("--images <X...>", imagesHelp)
      : withFile.requiredOption("--images <X...>", imagesHelp)
  )
    .option(
      "--size <S>",
      `input resolution in pixels, ${SIZE_RANGE.join("..")}, rounded to the patch size (default: the model's)`,
      integerIn("--size", ...SIZE_RANGE),
    )
    .option(
      "--layers <L>",
      "all, last, or 1-based block numbers and ranges like 1,3-5; 0 = the embeddings (tokens only) (default: all)",
      layerSpec,
    )
    .option(
      "--depth <F1,F2,...>",
      "instead of --layers: fractions of each model's depth, 0..1; block round(F·depth), 0 = the embeddings (e.g. 0.25,0.5,1)",
      depthList,
    )
    .option(
      "--reps <R>",
      "comma-separated subset of tokens,q,k,v (q, k, v: attention projections)",
      repsSpec,
      "tokens,q,k,v",
    )
    .addOption(choiceOption("--ep <EP>", "execution provider", EXECUTION_PROVIDERS, "cpu"))
    .option(
      "--threads <N>",
      `onnxruntime intra-op threads, ${THREADS_RANGE.join("..")} (default: all cores)`,
      integerIn("--threads", ...THREADS_RANGE),
    )
    .option(
      "--mean <R,G,B>",
      "normalization mean (for an .onnx without preprocessor_config.json)",
      rgb("--mean"),
    )
    .option("--std <R,G,B>", "normalization std, each above 0 (likewise)", rgb("--std", { positive: true }))
    .addOption(
      choiceOption(
        "--alpha <A>",
        "transparency: drop it as transformers does, or composite on white",
        ALPHA_MODES,
        "drop",
      ),
    )
    .addOption(
      choiceOption(
        "--orientation <O>",
        "pixels as stored (as transformers' processors) or turned by EXIF",
        ORIENTATIONS,
        "stored",
      ),
    )
    .option(
      "--prefix-tokens <N>",
      "expected number of prefix tokens (CLS + registers), 0..64, checked against the model",
      integerIn("--prefix-tokens", 0, 64),
    )
    .option(
      "--checkpoint <PATH>",
      "the checkpoint file of a catalog model converted on first use (those shared by download links; seglens models says which)",
    )
    .option(
      "--max-memory <SIZE>",
      "memory the run may use, e.g. 8G or 512M, or off; batches and the feature cache shrink to fit, and a run that cannot fit is refused before it starts (default: SEGLENS_MEMORY_LIMIT, else the machine's memory)",
      memorySize("--max-memory"),
    );
}

/** The request the model flags describe. */
export function requestFromFlags(flags: ModelFlags): FeatureRequest {
  const request: FeatureRequest = { model: flags.model, images: flags.images };
  if (flags.file !== undefined) request.file = flags.file;
  if (flags.variant !== undefined) request.variant = flags.variant;
  if (flags.size !== undefined) request.size = flags.size;
  if (flags.layers !== undefined) request.layers = flags.layers;
  if (flags.depth !== undefined) request.depth = flags.depth;
  if (flags.reps !== undefined) request.reps = flags.reps;
  if (flags.ep !== undefined) request.ep = flags.ep;
  if (flags.threads !== undefined) request.threads = flags.threads;
  if (flags.mean !== undefined) request.mean = flags.mean;
  if (flags.std !== undefined) request.std = flags.std;
  if (flags.prefixTokens !== undefined) request.prefixTokens = flags.prefixTokens;
  if (flags.alpha !== undefined) request.alpha = flags.alpha;
  if (flags.orientation !== undefined) request.orientation = flags.orientation;
  if (flags.checkpoint !== undefined) request.checkpoint = flags.checkpoint;
  if (flags.maxMemory !== undefined) request.maxMemory = flags.maxMemory;
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
    .option(
      "--shard <i/N>",
      "write only shard i of N of the images (from 0: 0/4 … 3/4), a contiguous run of their order; auto: SLURM_ARRAY_TASK_ID of SLURM_ARRAY_TASK_COUNT",
      shardSpec,
    )
    .action(async (flags: ModelFlags & { out: string; cache: boolean; shard?: Shard }) => {
      ensureCacheDir();
      const request = requestFromFlags(flags);
      if (flags.shard !== undefined) request.shard = flags.shard;
      const bar = createProgressBar();
      // Ctrl-C or SIGTERM stops the run; writeFeatures then removes what it had written.
      const interrupt = abortOnSignals();
      try {
        const prepared = await prepareRequest(request, downloadOptions(bar, interrupt.signal));
        bar.finish();
        noteSkipped(prepared);
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
  const arrays = meta.reps.length * meta.layers.length - missingFeatures(meta.layers, meta.reps).length;
  const shape = `[${meta.images.length}, ${meta.prefix_tokens + meta.grid[0] * meta.grid[1]}, ${meta.hidden_size}]`;
  const computed = meta.images.length - report.journaledImages;
  const resumed =
    report.journaledImages === 0
      ? ""
      : `  resumed: ${report.journaledImages} of ${meta.images.length} images were already in the feature cache, ${computed} computed\n`;
  const shard =
    meta.shard === undefined
      ? ""
      : `(shard ${meta.shard.index} of ${meta.shard.count}: ${shardSpan(meta.shard, meta.images.length)} of ${meta.shard.images_total}) `;
  return (
    `seglens features: ${meta.images.length} images ${shard}through "${meta.model}" ` +
    `(${meta.num_layers} blocks, grid ${meta.grid[0]}×${meta.grid[1]}, ${meta.prefix_tokens} prefix tokens)\n` +
    `  wrote ${arrays} arrays ${shape} float32 + meta.json to ${out}\n` +
    resumed +
    `  inference ${(report.inferenceMs / Math.max(1, computed)).toFixed(1)} ms/image, total ${(report.wallMs / 1000).toFixed(2)} s\n`
  );
}

/** `images 4-6`, 1-based, as the shard's place in the whole list. */
function shardSpan(shard: NonNullable<FeaturesMeta["shard"]>, count: number): string {
  const [first] = shardRange(shard, shard.images_total);
  return count === 1 ? `image ${first + 1}` : `images ${first + 1}-${first + count}`;
}

/**
 * Model download reporting for the command line: a byte progress bar per file on a terminal
 * (in MB), then one of the blocks a conversion has written, and a warning line on stderr when the
 * Hub failed and the cache served.
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
    onConvertProgress: (p) => {
      if (file !== "") bar.finish();
      file = "";
      bar.update(p.done, p.total, "blocks converted");
    },
    onWarning: (message) => process.stderr.write(`warning: ${message}\n`),
    onNote: (message) => process.stderr.write(`note: ${message}\n`),
  };
}

const notesWritten = new Set<string>();

/**
 * Says on stderr, once per run, which requested features do not exist and were skipped (q, k, v
 * at layer 0). Notes and warnings start with `note:` / `warning:`: only failures start `seglens:`.
 */
export function noteSkipped(request: Pick<PreparedRequest, "layers" | "reps">): void {
  const note = skippedNote(missingFeatures(request.layers, request.reps));
  if (note === undefined || notesWritten.has(note)) return;
  notesWritten.add(note);
  process.stderr.write(`note: ${note}\n`);
}
