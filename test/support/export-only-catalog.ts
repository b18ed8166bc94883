import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** The id of the entry {@link writeExportOnlyCatalog} adds. */
export const EXPORT_ONLY_ID = "export-only-vit";

/**
 * Writes `dir/catalog.json`: the bundled catalog plus one entry that only a Python export makes
 * (`export` in the catalog, `models/export/export.py`), and returns its path for SEGLENS_CATALOG.
 * Every bundled model is ready or converted on first use, but a catalog of one's own may still
 * name export-only models, and that path keeps its tests.
 */
export function writeExportOnlyCatalog(dir: string): string {
  const catalog = JSON.parse(readFileSync("models/catalog.json", "utf8")) as {
    models: Record<string, unknown>[];
  };
  const base = catalog.models.find((m) => m.id === "pe-core-b16") as Record<string, unknown>;
  const { convert: _convert, ...rest } = base;
  catalog.models.push({
    ...rest,
    id: EXPORT_ONLY_ID,
    name: "a model only models/export/export.py makes",
    export: {
      command: `python models/export/export.py ${EXPORT_ONLY_ID}`,
      tool: "timm",
      model: "vit_pe_core_base_patch16_224.fb",
      verified: false,
    },
  });
  const path = join(dir, "catalog.json");
  writeFileSync(path, JSON.stringify(catalog));
  return path;
}
