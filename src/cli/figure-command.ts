import { basename, extname, resolve } from "node:path";
import type { Command } from "commander";
import { InputError } from "../errors";
import { prepareRequest } from "../features/feature-request";
import { matchingBlock } from "../features/relative-depth";
import { parseLayerSpec, parseLayers, parseReps } from "../features/selection";
import { defaultModel } from "../models/default-model";
import { figurePng, figureSvg } from "../render/figure";
import { type FigureLayout, segmentationFigure } from "../render/segmentation-figure";
import type { Segmentation } from "../segmentation/segment";
import { beginOutputFile } from "../util/output-transaction";
import type { Rep } from "../vocabulary";
import { addModelFlags, type ModelFlags, requestFromFlags } from "./features-command";
import { abortOnSignals } from "./interrupt";
import { choiceOption, nameList } from "./option-parsers";
import { addClusterFlags, type ClusterFlags, segmentFromFlags } from "./segment-command";

interface FigureFlags extends Omit<ModelFlags, "model">, ClusterFlags {
  model?: string;
  out: string;
  rows: "layers" | "models";
  cols: "images" | "reps" | "layers";
  models?: string[];
  image?: string;
}

// The bundled fixtures have random weights: a figure of them must say so.
function footnoteFor(models: readonly string[]): string | undefined {
  const tiny = models.some(
    (m) => resolve(m).includes(`${resolve("models", "fixtures")}`) || m.includes("models/fixtures"),
  );
  return tiny
    ? "bundled tiny random-weight test model: the maps show the pipeline, not a trained model"
    : undefined;
}

/**
 * The layers of a figure whose panels need q, k or v (`--cols reps`, or `--cols images` of q, k
 * or v): layer 0 (the embeddings) has none, so its row is left out, with a note; a figure left
 * with no row is refused. With `--reps q` alone, the request refuses in the words `features` and
 * `segment` use.
 */
function layersWithoutEmbeddings(flags: FigureFlags, shown: Rep): string {
  const layers = flags.layers ?? "all";
  const spec = parseLayerSpec(layers);
  if (typeof spec === "string" || !spec.some(([from]) => from === 0)) return layers;
  const kept = spec.filter(([, to]) => to > 0).map(([from, to]) => (from === 0 ? [1, to] : [from, to]));
  if (kept.length === 0) {
    if (flags.cols === "images" && flags.reps?.trim() === shown) return layers;
    const what =
      flags.cols === "reps"
        ? "--cols reps shows q, k, v"
        : `--cols images shows the first of --reps, "${shown}"`;
    throw new InputError(
      `${what}, and --layers "${layers}" is layer 0, the embeddings, which have tokens but no q, k, v; choose layers from 1 up${flags.cols === "reps" ? ", or --cols images" : ", or put tokens first in --reps"}`,
    );
  }
  process.stderr.write("note: layer 0 (the embeddings) has no q, k, v: the figure leaves its row out\n");
  return kept.map(([from, to]) => (from === to ? `${from}` : `${from}-${to}`)).join(",");
}

/**
 * Models × layers: the first model's layers (`--layers`, default all, 0 left out), and for every
 * other model the blocks at the same relative depth, whatever its depth. Each model is segmented
 * at exactly the blocks it shows.
 */
async function modelsByLayers(
  flags: FigureFlags & { model: string },
  signal: AbortSignal,
): Promise<{ segmentations: Segmentation[]; modelLayers: number[][] }> {
  const models = flags.models ?? [flags.model];
  const rep = parseReps(flags.reps ?? "tokens")[0] as string;
  const depths: number[] = [];
  for (const model of models) {
    const prepared = await prepareRequest(
      { ...requestFromFlags({ ...flags, model }), layers: "all", reps: rep },
      { signal },
    );
    depths.push(prepared.tapped.taps.blocks.length);
  }
  const first = parseLayers(flags.layers ?? "all", depths[0] as number).filter((l) => l > 0);
  if (first.length === 0) {
    throw new InputError(
      `--cols layers needs blocks from 1 up; --layers "${flags.layers}" names only the embeddings`,
    );
  }
  const modelLayers = depths.map((depth) => first.map((l) => matchingBlock(l, depths[0] as number, depth)));
  const segmentations: Segmentation[] = [];
  for (const [m, model] of models.entries()) {
    const layers = [...new Set(modelLayers[m])].join(",");
    segmentations.push(await segmentFromFlags({ ...flags, model, reps: rep, layers }, { signal }));
  }
  return { segmentations, modelLayers };
}

/** `--image`: a 1-based index into the images, or a file name among them; default the first. */
function imageIndex(value: string | undefined, images: readonly string[]): number {
  if (value === undefined) return 0;
  const index = /^\d+$/.test(value)
    ? Number(value) - 1
    : images.findIndex((p) => basename(p) === value || p === value);
  if (index < 0 || index >= images.length) {
    throw new InputError(
      `--image "${value}" is not one of the ${images.length} images: give 1..${images.length} or a file name among them`,
    );
  }
  return index;
}

async function segmentations(
  flags: FigureFlags & { model: string },
  signal: AbortSignal,
): Promise<Segmentation[]> {
  // Columns of images, and rows of models, show one representation (the first of --reps):
  // cluster only that one.
  const first = parseReps(flags.reps ?? "tokens")[0] as Rep;
  if (flags.rows === "layers") {
    const needsAttention = flags.cols === "reps" || first !== "tokens";
    const layers = needsAttention ? layersWithoutEmbeddings(flags, first) : flags.layers;
    const reps = flags.cols === "images" ? first : flags.reps;
    return [
      await segmentFromFlags(
        {
          ...flags,
          ...(reps === undefined ? {} : { reps }),
          ...(layers === undefined ? {} : { layers }),
        },
        { signal },
      ),
    ];
  }
  const models = flags.models ?? [flags.model];
  const out: Segmentation[] = [];
  // One representation and one layer per model: each model's last block unless --layers names one.
  const layers = flags.layers === undefined || flags.layers.trim() === "all" ? "last" : flags.layers;
  for (const model of models)
    out.push(await segmentFromFlags({ ...flags, model, reps: first, layers }, { signal }));
  return out;
}

/** `seglens figure … --out FILE.png|FILE.svg` */
export function addFigureCommand(program: Command): void {
  const command = program
    .command("figure")
    .description("a paper-style grid of label maps with metric values");
  addClusterFlags(addModelFlags(command, { modelOptional: true }))
    .requiredOption("--out <FILE>", "FILE.png or FILE.svg")
    .addOption(choiceOption("--rows <R>", "one row per layer, or per model", ["layers", "models"], "layers"))
    .addOption(
      choiceOption(
        "--cols <C>",
        "one column per image (first of --reps), per representation (first image), or per layer (with --rows models: models of any depth matched by relative depth)",
        ["images", "reps", "layers"],
        "images",
      ),
    )
    .option("--image <I>", "the image of a --cols layers figure: 1-based index or file name (default 1)")
    .option(
      "--models <M1,M2,...>",
      "models side by side (with --rows models), each at its last layer or the one --layers names",
      nameList("--models"),
    )
    .action(async (flags: FigureFlags) => {
      if (flags.cols === "layers" && flags.rows !== "models") {
        throw new InputError(
          "--cols layers draws models × layers: use it with --rows models (and --models A,B,…)",
        );
      }
      if (flags.image !== undefined && flags.cols !== "layers") {
        throw new InputError(
          "--image chooses the image of a models × layers figure (--rows models --cols layers)",
        );
      }
      const format = extname(flags.out).toLowerCase();
      if (format !== ".png" && format !== ".svg") {
        throw new InputError(`--out "${flags.out}" must end in .png or .svg`);
      }
      // Ctrl-C or SIGTERM stops the run; the figure is written whole or not at all.
      const interrupt = abortOnSignals();
      const file = beginOutputFile(flags.out, { signal: interrupt.signal });
      try {
        // --models names every model shown: the default model is looked up only when none is named.
        const named = flags.model ?? flags.models?.[0];
        const chosen = named === undefined ? await defaultModel() : { model: named };
        if (chosen.fallback !== undefined) process.stdout.write(`seglens figure: ${chosen.fallback}\n`);
        const byLayers =
          flags.cols === "layers"
            ? await modelsByLayers({ ...flags, model: chosen.model }, interrupt.signal)
            : undefined;
        const results =
          byLayers?.segmentations ??
          (await segmentations({ ...flags, model: chosen.model }, interrupt.signal));
        const first = results[0] as Segmentation;
        const rep = first.request.reps[0] ?? "tokens";
        const layout: FigureLayout = { rows: flags.rows, cols: flags.cols, rep };
        if (byLayers !== undefined) {
          layout.modelLayers = byLayers.modelLayers;
          layout.image = imageIndex(flags.image, first.request.images);
        }
        const footnote = footnoteFor(results.map((s) => s.request.model.onnxPath));
        if (footnote !== undefined) layout.footnote = footnote;
        const spec = await segmentationFigure(results, layout);
        const content = format === ".png" ? await figurePng(spec) : await figureSvg(spec);
        file.write(content);
        process.stdout.write(
          `seglens figure: ${spec.rows.length} × ${spec.columns.length} panels → ${flags.out}\n`,
        );
        if (footnote !== undefined) process.stdout.write(`  note: ${footnote}\n`);
      } finally {
        file.rollback();
        interrupt.dispose();
      }
    });
}
