import type { Command } from "commander";
import { listModels, type ModelListing } from "../models/list-models";

/** `seglens models [--json]`: the catalog, and which models are on this machine. */
export function addModelsCommand(program: Command): void {
  program
    .command("models")
    .description("list the model catalog (catalog ids for --model) and which models are cached")
    .option("--json", "one JSON object per model instead of a table")
    .action((flags: { json?: boolean }) => {
      const listing = listModels();
      process.stdout.write(flags.json ? formatModelsJson(listing) : formatModelsTable(listing));
    });
}

const COLUMNS = ["id", "family", "size", "category", "params", "memory", "onnx", "cached"] as const;

/**
 * The listing as an aligned text table with a summary line, e.g.
 * ```
 * id            family  size  category  params  memory  onnx  cached
 * dinov2-small  DINOv2  S     CL        21 M    0.7 GB  hub   yes
 * ```
 */
export function formatModelsTable(listing: readonly ModelListing[]): string {
  const rows = listing.map(({ entry, onnx, cached }) => [
    entry.id,
    entry.family,
    entry.size,
    entry.category,
    `${entry.params_m} M`,
    `${entry.memory_gb.toFixed(1)} GB`,
    onnx,
    cached ? "yes" : "no",
  ]);
  const table = [[...COLUMNS], ...rows];
  const widths = COLUMNS.map((_, c) => Math.max(...table.map((row) => (row[c] as string).length)));
  const lines = table.map((row) =>
    row
      .map((cell, c) => cell.padEnd(widths[c] as number))
      .join("  ")
      .trimEnd(),
  );
  const cachedCount = listing.filter((m) => m.cached).length;
  lines.push(
    "",
    `${listing.length} models, ${cachedCount} cached. \`seglens features --model <id>\` downloads a hub model on first use;` +
      " export ones need `python models/export/export.py <id>` once (models/export/README.md).",
  );
  return `${lines.join("\n")}\n`;
}

/** The listing as JSON lines: `{"id", "family", …, "onnx", "cached", "path"}` per model. */
export function formatModelsJson(listing: readonly ModelListing[]): string {
  return listing
    .map(({ entry, onnx, cached, path }) => `${JSON.stringify({ ...entry, onnx, cached, path })}\n`)
    .join("");
}
