import { writeFileSync } from "node:fs";
import { dirname, extname, resolve } from "node:path";
import type { Command } from "commander";
import { InputError } from "../errors";
import { defaultModel } from "../models/default-model";
import type { Segmentation } from "../protocol/segment";
import { parseLayerSpec, parseReps, type Rep } from "../protocol/selection";
import { figurePng, figureSvg } from "../render/figure";
import { type FigureLayout, segmentationFigure } from "../render/segmentation-figure";
import { makeDirs } from "../util/make-dirs";
import { addModelFlags, type ModelFlags } from "./features-command";
import { choiceOption, nameList } from "./option-parsers";
import { addClusterFlags, type ClusterFlags, segmentFromFlags } from "./segment-command";

interface FigureFlags extends Omit<ModelFlags, "model">, ClusterFlags {
  model?: string;
  out: string;
  rows: "layers" | "models";
  cols: "images" | "reps";
  models?: string[];
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

async function segmentations(flags: FigureFlags & { model: string }): Promise<Segmentation[]> {
  // Columns of images, and rows of models, show one representation (the first of --reps):
  // cluster only that one.
  const first = parseReps(flags.reps ?? "tokens")[0] as Rep;
  if (flags.rows === "layers") {
    const needsAttention = flags.cols === "reps" || first !== "tokens";
    const layers = needsAttention ? layersWithoutEmbeddings(flags, first) : flags.layers;
    const reps = flags.cols === "images" ? first : flags.reps;
    return [
      await segmentFromFlags({
        ...flags,
        ...(reps === undefined ? {} : { reps }),
        ...(layers === undefined ? {} : { layers }),
      }),
    ];
  }
  const models = flags.models ?? [flags.model];
  const out: Segmentation[] = [];
  // One representation and one layer per model: each model's last block unless --layers names one.
  const layers = flags.layers === undefined || flags.layers.trim() === "all" ? "last" : flags.layers;
  for (const model of models) out.push(await segmentFromFlags({ ...flags, model, reps: first, layers }));
  return out;
}

/** Writes the figure, making its folder; a failure names the file and the reason. */
function writeOutput(path: string, content: Buffer | string): void {
  try {
    makeDirs(dirname(resolve(path)));
    writeFileSync(path, content);
  } catch (cause) {
    throw new InputError(`cannot write --out "${path}": ${(cause as NodeJS.ErrnoException).code ?? cause}`, {
      cause,
    });
  }
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
        "one column per image (first of --reps), or per representation (first image)",
        ["images", "reps"],
        "images",
      ),
    )
    .option(
      "--models <M1,M2,...>",
      "models side by side (with --rows models), each at its last layer or the one --layers names",
      nameList("--models"),
    )
    .action(async (flags: FigureFlags) => {
      const format = extname(flags.out).toLowerCase();
      if (format !== ".png" && format !== ".svg") {
        throw new InputError(`--out "${flags.out}" must end in .png or .svg`);
      }
      const chosen = flags.model === undefined ? await defaultModel() : { model: flags.model };
      if (chosen.fallback !== undefined) process.stdout.write(`seglens figure: ${chosen.fallback}\n`);
      const results = await segmentations({ ...flags, model: chosen.model });
      const first = results[0] as Segmentation;
      const rep = first.request.reps[0] ?? "tokens";
      const layout: FigureLayout = { rows: flags.rows, cols: flags.cols, rep };
      const footnote = footnoteFor(results.map((s) => s.request.model.onnxPath));
      if (footnote !== undefined) layout.footnote = footnote;
      const spec = await segmentationFigure(results, layout);
      writeOutput(flags.out, format === ".png" ? await figurePng(spec) : await figureSvg(spec));
      process.stdout.write(
        `seglens figure: ${spec.rows.length} × ${spec.columns.length} panels → ${flags.out}\n`,
      );
      if (footnote !== undefined) process.stdout.write(`  note: ${footnote}\n`);
    });
}
