import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type { ConversionRecipe } from "../convert/conversion-recipe";
import { InputError } from "../errors";
import type { PreprocessOverrides } from "../images/preprocess-config-from-hub";
import { PIL_RESAMPLE_FILTERS, type ResampleFilter } from "../images/resample-filter";

/** How a model was trained, in the paper's grouping. */
export type ModelCategory = "CL" | "MIM" | "supervised" | "language-supervised" | "JEPA";

/** Kinds of position information a ViT adds to its tokens. */
export type PositionEncoding = "learned" | "sincos-2d" | "rope-2d" | "learned+rope-2d";

/** Where a catalog model's ready ONNX export lives on the Hub. */
export interface CatalogHubFile {
  repo: string;
  /** Branch, tag or commit; default `main`. */
  revision: string;
  /** The ONNX file in the repo, e.g. `onnx/model.onnx` or `onnx/vision_model.onnx`. */
  file: string;
  /** False when the repo or file name could not be checked against a known source. */
  verified: boolean;
}

/** How to make an ONNX export of a model that has none on the Hub (models/export/export.py). */
export interface CatalogExport {
  /** The command that writes the export to seglens' model folder, e.g. `python models/export/export.py mae-base`. */
  command: string;
  /** Which loader `export.py` uses. */
  tool: "transformers" | "timm" | "checkpoint";
  /** A transformers or timm model id (the architecture and, without `checkpoint`, the weights). */
  model: string;
  /** Weights to load into `model` (URL or path) when they are not the model id's own. */
  checkpoint?: string;
  /** A graph change the export needs, e.g. `mae-no-mask` (keep every patch, in order). */
  patch?: "mae-no-mask";
  /** Architecture arguments that differ from the timm model's defaults (e.g. `{"num_heads": 12}`). */
  model_args?: Record<string, number | string | boolean>;
  /** False when the source or the recipe could not be checked. */
  verified: boolean;
}

/** One model of the catalog (`models/catalog.json`, schema `models/catalog.schema.json`). */
export interface CatalogEntry {
  id: string;
  name: string;
  family: string;
  size: string;
  category: ModelCategory;
  /** Parameters of the vision backbone, in millions (approximate, as the papers give them). */
  params_m: number;
  patch_size: number;
  /** CLS and register tokens before the patches. */
  prefix_tokens: number;
  position_encoding: PositionEncoding;
  /** Whether the ONNX model runs at other input sizes (`--size`). */
  any_input_size: boolean;
  layers: number;
  hidden_size: number;
  /** The input resolution of the preprocessing (after any crop). */
  input_size: number;
  training_data: string;
  /** Estimated peak memory of a run on one image at `input_size` in fp32 (`estimateRunBytes`), GB. */
  memory_gb: number;
  /** Where the original weights come from. */
  source: string;
  hub?: CatalogHubFile;
  /** How seglens converts the model on first use when the Hub has no ready ONNX. */
  convert?: ConversionRecipe;
  export?: CatalogExport;
  /** Corrections applied over the model's preprocessor_config.json (e.g. DINO v1's ImageNet mean/std). */
  preprocessing: { overrides: PreprocessOverrides; note?: string };
  /** False when any fact of the entry is unchecked; `notes` says which. */
  verified: boolean;
  notes?: string;
}

/** The loaded catalog. */
export interface Catalog {
  /** The file it was read from. */
  path: string;
  entries: readonly CatalogEntry[];
  /** The entry with this id, if any. */
  find(id: string): CatalogEntry | undefined;
}

const CATEGORIES: readonly ModelCategory[] = ["CL", "MIM", "supervised", "language-supervised", "JEPA"];
const POSITIONS: readonly PositionEncoding[] = ["learned", "sincos-2d", "rope-2d", "learned+rope-2d"];
const TOOLS = ["transformers", "timm", "checkpoint"] as const;

/** `SEGLENS_CATALOG` when set (a catalog of one's own, e.g. for tests), else the bundled `models/catalog.json`. */
export function defaultCatalogPath(env: NodeJS.ProcessEnv = process.env): string {
  return env.SEGLENS_CATALOG
    ? resolve(env.SEGLENS_CATALOG)
    : join(__dirname, "..", "..", "models", "catalog.json");
}

/**
 * Reads and validates a catalog file (default {@link defaultCatalogPath}). Throws an `InputError`
 * naming the entry and field for anything the schema does not allow that seglens relies on.
 *
 * @example
 * loadCatalog().find("dinov2-small")?.hub; // { repo: "Xenova/dinov2-small", file: "onnx/model.onnx", … }
 */
export function loadCatalog(path = defaultCatalogPath()): Catalog {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, "utf8"));
  } catch (cause) {
    throw new InputError(`cannot read the model catalog "${path}": ${(cause as Error).message}`, { cause });
  }
  const models = isRecord(json) ? json.models : undefined;
  if (!Array.isArray(models))
    throw new InputError(`invalid model catalog "${path}": expected {"models": [...]}`);
  const entries = models.map((m: unknown, i) => readEntry(m, `${path}: models[${i}]`));
  const byId = new Map(entries.map((e) => [e.id, e]));
  if (byId.size !== entries.length) throw new InputError(`invalid model catalog "${path}": duplicate ids`);
  return { path, entries, find: (id) => byId.get(id) };
}

function readEntry(json: unknown, where: string): CatalogEntry {
  if (!isRecord(json)) throw new InputError(`invalid ${where}: expected an object`);
  const r = reader(json, `${where} (${String(json.id)})`);
  const entry: CatalogEntry = {
    id: r.string("id"),
    name: r.string("name"),
    family: r.string("family"),
    size: r.string("size"),
    category: r.oneOf("category", CATEGORIES),
    params_m: r.number("params_m"),
    patch_size: r.number("patch_size"),
    prefix_tokens: r.number("prefix_tokens"),
    position_encoding: r.oneOf("position_encoding", POSITIONS),
    any_input_size: r.boolean("any_input_size"),
    layers: r.number("layers"),
    hidden_size: r.number("hidden_size"),
    input_size: r.number("input_size"),
    training_data: r.string("training_data"),
    memory_gb: r.number("memory_gb"),
    source: r.string("source"),
    preprocessing: readPreprocessing(r.record("preprocessing"), `${where}.preprocessing`),
    verified: r.boolean("verified"),
  };
  if (json.hub !== undefined) {
    const h = reader(r.record("hub"), `${where}.hub`);
    entry.hub = {
      repo: h.string("repo"),
      revision: h.string("revision"),
      file: h.string("file"),
      verified: h.boolean("verified"),
    };
  }
  if (json.convert !== undefined) entry.convert = readConvert(r.record("convert"), `${where}.convert`);
  if (json.export !== undefined) entry.export = readExport(r.record("export"), `${where}.export`);
  if (json.notes !== undefined) entry.notes = r.string("notes");
  if (entry.hub === undefined && entry.convert === undefined && entry.export === undefined) {
    throw new InputError(
      `invalid ${where}: an entry needs "hub" (a ready ONNX), "convert" (how seglens converts it) or "export" (how to make one with Python)`,
    );
  }
  return entry;
}

function readConvert(json: Record<string, unknown>, where: string): ConversionRecipe {
  const r = reader(json, where);
  const common = {
    layout: r.oneOf("layout", ["transformers", "timm"] as const),
    verified: r.boolean("verified"),
    ...(r.has("prefix") ? { prefix: r.string("prefix") } : {}),
    ...(r.has("heads") ? { heads: r.number("heads") } : {}),
    ...(r.has("norm_eps") ? { norm_eps: r.number("norm_eps") } : {}),
    ...(r.has("preprocessor") ? { preprocessor: r.record("preprocessor") } : {}),
  };
  const from = r.oneOf("from", ["hub", "url", "file"] as const);
  switch (from) {
    case "hub":
      return {
        ...common,
        from,
        repo: r.string("repo"),
        ...(r.has("revision") ? { revision: r.string("revision") } : {}),
        ...(r.has("file") ? { file: r.string("file") } : {}),
        ...(r.has("gated") ? { gated: r.boolean("gated") } : {}),
      };
    case "url": {
      const sha256 = json.sha256 === null ? null : r.string("sha256");
      if (sha256 !== null && !/^[0-9a-f]{64}$/.test(sha256)) {
        throw new InputError(
          `invalid ${where}.sha256: "${sha256}"; expected 64 lower-case hex digits or null`,
        );
      }
      return { ...common, from, url: r.string("url"), sha256 };
    }
    case "file":
      return { ...common, from, where: r.string("where") };
  }
}

function readExport(json: Record<string, unknown>, where: string): CatalogExport {
  const r = reader(json, where);
  const out: CatalogExport = {
    command: r.string("command"),
    tool: r.oneOf("tool", TOOLS),
    model: r.string("model"),
    verified: r.boolean("verified"),
  };
  if (json.checkpoint !== undefined) out.checkpoint = r.string("checkpoint");
  if (json.patch !== undefined) out.patch = r.oneOf("patch", ["mae-no-mask"] as const);
  if (json.model_args !== undefined) {
    const args: Record<string, number | string | boolean> = {};
    for (const [key, value] of Object.entries(r.record("model_args"))) {
      if (typeof value !== "number" && typeof value !== "string" && typeof value !== "boolean") {
        throw new InputError(`invalid ${where}.model_args.${key}: expected a number, string or boolean`);
      }
      args[key] = value;
    }
    out.model_args = args;
  }
  return out;
}

function readPreprocessing(json: Record<string, unknown>, where: string): CatalogEntry["preprocessing"] {
  const r = reader(json, where);
  const o = reader(r.record("overrides"), `${where}.overrides`);
  const overrides: PreprocessOverrides = {};
  if (o.has("mean")) overrides.mean = o.rgb("mean");
  if (o.has("std")) overrides.std = o.rgb("std");
  if (o.has("resample")) overrides.resample = o.oneOf("resample", PIL_RESAMPLE_FILTERS) as ResampleFilter;
  if (o.has("size")) overrides.size = o.number("size");
  return { overrides, ...(json.note === undefined ? {} : { note: r.string("note") }) };
}

function reader(json: Record<string, unknown>, where: string) {
  const fail = (key: string, expected: string): never => {
    throw new InputError(
      `invalid ${where}.${key}: ${JSON.stringify(json[key]) ?? "missing"}; expected ${expected}`,
    );
  };
  return {
    has: (key: string) => json[key] !== undefined,
    string: (key: string): string => {
      const v = json[key];
      return typeof v === "string" && v !== "" ? v : fail(key, "a string");
    },
    number: (key: string): number => {
      const v = json[key];
      return typeof v === "number" && Number.isFinite(v) && v >= 0 ? v : fail(key, "a number ≥ 0");
    },
    boolean: (key: string): boolean => {
      const v = json[key];
      return typeof v === "boolean" ? v : fail(key, "true or false");
    },
    record: (key: string): Record<string, unknown> => {
      const v = json[key];
      return isRecord(v) ? v : fail(key, "an object");
    },
    oneOf<T extends string>(key: string, values: readonly T[]): T {
      const v = json[key];
      return typeof v === "string" && (values as readonly string[]).includes(v)
        ? (v as T)
        : fail(key, values.join(", "));
    },
    rgb(key: string): [number, number, number] {
      const v = json[key];
      if (Array.isArray(v) && v.length === 3 && v.every((x) => typeof x === "number"))
        return [v[0], v[1], v[2]];
      return fail(key, "three numbers");
    },
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
