// The README's catalog table is models/catalog.json as a table: when the catalog changes, this
// test fails with the table to paste between the README's catalog markers.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = join(__dirname, "..", "..");

interface Entry {
  id: string;
  name: string;
  category: string;
  layers: number;
  patch_size: number;
  input_size: number;
  hub?: { repo: string };
  convert?: { from: "hub" | "url" | "file"; repo?: string };
  verified: boolean;
}

/** Where `--model <id>` gets its ONNX: ready on the Hub, converted on first use, or exported with Python. */
function onnxSource(e: Entry): string {
  if (e.hub) return `Hub: ${e.hub.repo}`;
  if (e.convert?.from === "hub") return `converted on first use from ${e.convert.repo}`;
  if (e.convert?.from === "url") return "converted on first use from the authors' checkpoint";
  if (e.convert?.from === "file") return "converted from `--checkpoint PATH` (a download link)";
  return "export script (`models/export/`)";
}

/** The table, one row per catalog entry in catalog order. */
function catalogTable(entries: readonly Entry[]): string {
  const rows = entries.map((e) =>
    [
      `\`${e.id}\``,
      e.name,
      e.category,
      e.layers,
      e.patch_size,
      e.input_size,
      onnxSource(e),
      e.verified ? "" : "unverified",
    ].join(" | "),
  );
  return [
    "| id | model | category | layers | patch | input | ONNX | note |",
    "|---|---|---|---|---|---|---|---|",
    ...rows.map((row) => `| ${row} |`),
  ].join("\n");
}

describe("README catalog table", () => {
  it("lists every models/catalog.json entry with its category, depth, patch, input size and ONNX source", () => {
    const catalog = JSON.parse(readFileSync(join(ROOT, "models", "catalog.json"), "utf8")) as {
      models: Entry[];
    };
    const readme = readFileSync(join(ROOT, "README.md"), "utf8");
    const found = /<!-- catalog:start -->\n([\s\S]*?)\n<!-- catalog:end -->/.exec(readme);
    expect(found, "README.md needs <!-- catalog:start --> … <!-- catalog:end -->").not.toBeNull();
    expect(found?.[1]).toBe(catalogTable(catalog.models));
  });
});
