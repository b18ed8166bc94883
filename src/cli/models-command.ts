import { relative, sep } from "node:path";
import type { Command } from "commander";
import {
  type BundledModel,
  listBundledModels,
  listModels,
  type ModelListing,
  modelStatus,
} from "../models/list-models";

/** `seglens models [--json]`: the catalog, which models are on this machine, and the bundled ones. */
export function addModelsCommand(program: Command): void {
  program
    .command("models")
    .description(
      "list the model catalog (catalog ids for --model), which models are cached, and the bundled models",
    )
    .option("--json", "one JSON object per model instead of a table")
    .action((flags: { json?: boolean }) => {
      const listing = listModels();
      const bundled = listBundledModels();
      process.stdout.write(
        flags.json
          ? formatModelsJson(listing) + formatBundledJson(bundled)
          : formatModelsTable(listing) + formatBundledTable(bundled),
      );
    });
}

const COLUMNS = ["id", "family", "size", "category", "params", "memory", "status"] as const;

/**
 * The listing as an aligned text table with a summary line, e.g.
 * ```
 * id            family  size  category  params  memory  status
 * dinov2-small  DINOv2  S     CL        21 M    0.7 GB  ready (Hub ONNX), cached
 * mae-base      MAE     B     MIM       86 M    1.3 GB  convertible (converted on first use)
 * ```
 */
export function formatModelsTable(listing: readonly ModelListing[]): string {
  const rows = listing.map((m) => [
    m.entry.id,
    m.entry.family,
    m.entry.size,
    m.entry.category,
    `${m.entry.params_m} M`,
    `${m.entry.memory_gb.toFixed(1)} GB`,
    modelStatus(m),
  ]);
  const lines = alignedRows([[...COLUMNS], ...rows]);
  const count = (onnx: readonly ModelListing["onnx"][]) =>
    listing.filter((m) => onnx.includes(m.onnx)).length;
  const cachedCount = listing.filter((m) => m.cached).length;
  const exports = count(["export"]);
  lines.push(
    "",
    `${listing.length} models: ${count(["hub"])} ready, ${count(["convert", "convert --checkpoint"])} convertible` +
      `${exports === 0 ? "" : `, ${exports} need the export script`}; ${cachedCount} cached.`,
    "  ready: a ready ONNX on the Hub, downloaded on first use (`--model <id>`)",
    "  convertible: `--model <id>` fetches the checkpoint and converts it once into seglens' cache;" +
      " needs --checkpoint PATH: the checkpoint is only shared by a download link (a run without it says where)",
  );
  // Only catalogs with export-only entries (none in the bundled one) need the export script's line.
  if (exports > 0)
    lines.push(
      "  export script needed: run `python models/export/export.py <id>` once (models/export/README.md)",
    );
  return `${lines.join("\n")}\n`;
}

/** The listing as JSON lines: `{"id", "family", …, "onnx", "cached", "status", "path"}` per model. */
export function formatModelsJson(listing: readonly ModelListing[]): string {
  return listing
    .map(
      ({ entry, onnx, cached, path }) =>
        `${JSON.stringify({ ...entry, onnx, cached, status: modelStatus({ onnx, cached }), path })}\n`,
    )
    .join("");
}

/** Rows of cells as lines, each column padded to its widest cell. */
function alignedRows(table: readonly (readonly string[])[]): string[] {
  const columns = table[0]?.length ?? 0;
  const widths = Array.from({ length: columns }, (_, c) =>
    Math.max(...table.map((row) => (row[c] as string).length)),
  );
  return table.map((row) =>
    row
      .map((cell, c) => cell.padEnd(widths[c] as number))
      .join("  ")
      .trimEnd(),
  );
}

/** A path as the user can type it here: relative to the working folder when inside it. */
function shownPath(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel === "" || rel.startsWith("..") || rel.startsWith(sep) ? path : rel;
}

/**
 * The bundled models as a second table after the catalog, e.g.
 * ```
 * bundled: ship with seglens, tiny, random weights (for tests and offline demos; pass the path to --model)
 * path                        type    layers  patch  input
 * models/fixtures/dinov2-tf4  dinov2  2       8      32
 * ```
 */
export function formatBundledTable(bundled: readonly BundledModel[]): string {
  if (bundled.length === 0) return "";
  const rows = bundled.map((m) => [
    shownPath(m.path),
    m.modelType,
    String(m.layers),
    String(m.patchSize),
    String(m.inputSize),
  ]);
  const lines = alignedRows([["path", "type", "layers", "patch", "input"], ...rows]);
  return `\nbundled: ship with seglens, tiny, random weights (for tests and offline demos; pass the path to --model)\n${lines.join("\n")}\n`;
}

/** The bundled models as JSON lines: `{"id", "bundled": true, "path", "model_type", "layers", …}`. */
export function formatBundledJson(bundled: readonly BundledModel[]): string {
  return bundled
    .map((m) =>
      JSON.stringify({
        id: m.id,
        bundled: true,
        path: m.path,
        model_type: m.modelType,
        layers: m.layers,
        patch_size: m.patchSize,
        input_size: m.inputSize,
        hidden_size: m.hiddenSize,
        cached: true,
      }),
    )
    .map((line) => `${line}\n`)
    .join("");
}
