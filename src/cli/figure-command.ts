import { basename, extname, resolve } from "node:path";
import type { Command } from "commander";
import { InputError } from "../errors";
import { checkLayerChoice } from "../features/feature-request";
import { listImages } from "../images/list-images";
import { defaultModel } from "../models/default-model";
import { type FigureSpec, figurePng, figureSvg } from "../render/figure";
import { type FigureLayout, segmentationFigure } from "../render/segmentation-figure";
import type { Segmentation } from "../segmentation/segment";
import { beginOutputFile, type OutputFile } from "../util/output-transaction";
import { DEFAULT_OPACITY, LENSES } from "../vocabulary";
import { attentionFigureSpec, checkAttentionFlags } from "./attention-figure";
import { addModelFlags } from "./features-command";
import { checkLensFlags, foregroundThreshold, type LensFigure, pcaFigureFromFlags } from "./figure-lens";
import { type FigureFlags, type Flags, planFigure } from "./figure-plan";
import { abortOnSignals } from "./interrupt";
import { choiceOption, headsSpec, nameList, numberIn } from "./option-parsers";
import { addClusterFlags } from "./segment-command";

// The bundled fixtures have random weights: a figure of them must say so.
function footnoteFor(models: readonly string[]): string | undefined {
  const tiny = models.some(
    (m) => resolve(m).includes(`${resolve("models", "fixtures")}`) || m.includes("models/fixtures"),
  );
  return tiny
    ? "bundled tiny random-weight test model: the maps show the pipeline, not a trained model"
    : undefined;
}

/** `--image`: `all`, a 1-based index into the images, or a file name among them; default the first. */
function imageChoice(value: string | undefined, images: readonly string[]): number | "all" {
  if (value === undefined) return 0;
  if (value === "all") return "all";
  const index = /^\d+$/.test(value)
    ? Number(value) - 1
    : images.findIndex((p) => basename(p) === value || p === value || p === resolve(value));
  if (index < 0 || index >= images.length) {
    throw new InputError(
      `--image "${value}" is not one of the ${images.length} images: give 1..${images.length}, a file name among them, or all`,
    );
  }
  return index;
}

/** Refuses flag combinations that draw nothing sensible, before any model is loaded. */
function checkFigureFlags(flags: FigureFlags): void {
  checkLayerChoice(flags);
  if (flags.lens === "attention") checkAttentionFlags(flags);
  else if (flags.heads !== undefined)
    throw new InputError(
      `--heads chooses attention heads: use it with --lens attention (the lens is "${flags.lens}")`,
    );
  if (flags.cols === "layers" && flags.rows !== "models") {
    throw new InputError(
      "--cols layers draws models × layers: use it with --rows models (and --models A,B,…)",
    );
  }
  if (flags.image !== undefined && flags.cols === "images") {
    throw new InputError(
      "--image chooses the image of a figure of one image per block: use it with --cols reps or --cols layers",
    );
  }
  const format = extname(flags.out).toLowerCase();
  if (format !== ".png" && format !== ".svg") {
    throw new InputError(`--out "${flags.out}" must end in .png or .svg`);
  }
}

/** Writes `spec` as PNG or SVG (by `out`'s extension) and says what was drawn. */
async function writeFigure(file: OutputFile, out: string, spec: FigureSpec): Promise<void> {
  file.write(extname(out).toLowerCase() === ".png" ? await figurePng(spec) : await figureSvg(spec));
  process.stdout.write(`seglens figure: ${spec.rows.length} × ${spec.columns.length} panels → ${out}\n`);
  if (spec.footnote !== undefined) process.stdout.write(`  note: ${spec.footnote}\n`);
}

/** `seglens figure … --out FILE.png|FILE.svg` */
export function addFigureCommand(program: Command): void {
  const command = program
    .command("figure")
    .description(
      "a paper-style grid of label maps with metric values: layers × images, layers × representations, models × images, models × representations, models × layers",
    );
  addClusterFlags(addModelFlags(command, { modelOptional: true }))
    .requiredOption(
      "--out <FILE>",
      "FILE.png or FILE.svg (label maps as vector shapes, photos embedded once)",
    )
    .addOption(choiceOption("--rows <R>", "one row per layer, or per model", ["layers", "models"], "layers"))
    .addOption(
      choiceOption(
        "--cols <C>",
        "one column per image (first of --reps), per representation (of one image), or per layer (with --rows models: models of any depth matched by relative depth)",
        ["images", "reps", "layers"],
        "images",
      ),
    )
    .option(
      "--image <I>",
      "the image of a --cols reps or --cols layers figure: 1-based index, file name, or all (a block of rows per image) (default: 1)",
    )
    .option(
      "--models <M1,M2,...>",
      "models side by side (with --rows models): blocks chosen for the first (--layers, default its last, or --depth) and matched by relative depth",
      nameList("--models"),
    )
    .option(
      "--opacity <O>",
      "weight of the label colours over the image, 0..1: 0 = the image only, 1 = labels only",
      numberIn("--opacity", 0, 1),
      DEFAULT_OPACITY,
    )
    .addOption(
      choiceOption(
        "--lens <L>",
        "what the panels show: clusters (joint k-means label maps), pca (the first three principal components of each layer, fitted over all images, as RGB) or attention (heat maps of the CLS token's attention over the patches, weighed by --opacity; without CLS, the patch queries' mean; layers × images only)",
        LENSES,
        "clusters",
      ),
    )
    .option(
      "--pca-foreground <T>",
      "with --lens pca: fit again on the patches whose first component (scaled 0..1 over the images) is above T, 0..1; the rest is black",
      foregroundThreshold,
    )
    .option(
      "--heads <H>",
      "with --lens attention: mean (the mean over heads), all (a block of rows per head), or 0-based head numbers, e.g. 0,3 (default: mean)",
      headsSpec,
    )
    .action(async (flags: FigureFlags, command: Command) => {
      checkFigureFlags(flags);
      checkLensFlags(flags, command);
      const image = imageChoice(flags.image, listImages(flags.images));
      // Ctrl-C or SIGTERM stops the run; the figure is written whole or not at all.
      const interrupt = abortOnSignals();
      const file = beginOutputFile(flags.out, { signal: interrupt.signal });
      try {
        // --models names every model shown: the default model is looked up only when none is named.
        const named = flags.model ?? flags.models?.[0];
        const chosen = named === undefined ? await defaultModel() : { model: named };
        if (chosen.fallback !== undefined) process.stdout.write(`seglens figure: ${chosen.fallback}\n`);
        const chosenFlags = { ...flags, model: chosen.model };
        if (flags.lens === "attention") {
          const spec = await attentionFigureSpec(chosenFlags, interrupt.signal, (path) =>
            footnoteFor([path]),
          );
          await writeFigure(file, flags.out, spec);
          return;
        }
        const { spec } = withFootnote(
          flags.lens === "pca"
            ? await pcaFigureFromFlags(chosenFlags, image, interrupt.signal)
            : await clustersFigure(chosenFlags, image, interrupt.signal),
        );
        await writeFigure(file, flags.out, spec);
      } finally {
        file.rollback();
        interrupt.dispose();
      }
    });
}

/** The figure with the tiny-model footnote, when its models are the bundled fixtures. */
function withFootnote(figure: LensFigure): { spec: FigureSpec; footnote: string | undefined } {
  const footnote = footnoteFor(figure.models);
  if (footnote !== undefined) figure.spec.footnote = footnote;
  return { spec: figure.spec, footnote };
}

/** The clusters lens: every segmentation the layout needs, laid out by `segmentationFigure`. */
async function clustersFigure(flags: Flags, image: number | "all", signal: AbortSignal): Promise<LensFigure> {
  const plan = await planFigure(flags, signal);
  const first = plan.segmentations[0] as Segmentation;
  const layout: FigureLayout = {
    rows: flags.rows,
    cols: flags.cols,
    rep: first.request.reps[0] ?? "tokens",
    image,
    opacity: flags.opacity,
  };
  if (plan.modelLayers !== undefined) layout.modelLayers = plan.modelLayers;
  if (plan.columnTitles !== undefined) layout.columnTitles = plan.columnTitles;
  const spec = await segmentationFigure(plan.segmentations, layout);
  return { spec, models: plan.segmentations.map((s) => s.request.model.onnxPath) };
}
