import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import Ajv from "ajv";
import { afterAll, describe, expect, it } from "vitest";
import { InputError } from "../../src/errors";
import { defaultCatalogPath, loadCatalog } from "../../src/models/catalog";
import { estimateRunBytes } from "../../src/models/memory-estimate";
import { testCacheDir } from "../support/temp";

const temp = testCacheDir();
afterAll(() => temp.remove());
const CATALOG = "models/catalog.json";
const json: unknown = JSON.parse(readFileSync(CATALOG, "utf8"));
const IMAGENET = { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] };

describe("models/catalog.json", () => {
  it("validates against models/catalog.schema.json", () => {
    const schema: unknown = JSON.parse(readFileSync("models/catalog.schema.json", "utf8"));
    const validate = new Ajv({
      allErrors: true,
      strict: true,
      strictRequired: false,
      allowUnionTypes: true,
    }).compile(schema as object);
    expect(validate(json) ? [] : validate.errors).toEqual([]);
  });

  it("loads through loadCatalog: unique ids, each with a Hub file, a conversion recipe or an export command", () => {
    const catalog = loadCatalog(CATALOG);
    expect(catalog.entries.length).toBeGreaterThanOrEqual(30);
    for (const entry of catalog.entries) {
      const ways = [entry.hub, entry.convert, entry.export].filter((w) => w !== undefined);
      expect(ways, entry.id).toHaveLength(1);
      if (entry.hub !== undefined) {
        expect(entry.hub.repo, entry.id).toMatch(/^[\w.-]+\/[\w.-]+$/);
        expect(entry.hub.file, entry.id).toMatch(/^onnx\/\w+\.onnx$/);
        expect(entry.preprocessing.overrides, entry.id).toBeTypeOf("object");
      }
      if (entry.export !== undefined)
        expect(entry.export.command).toBe(
          `python models/export/export.py ${entry.id}${entry.export.checkpoint === undefined && entry.export.tool === "checkpoint" ? " --checkpoint PATH" : ""}`,
        );
    }
  });

  it("no model needs a Python export: every one is ready or converted on first use, Perception Encoder from timm's repos", () => {
    const catalog = loadCatalog(CATALOG);
    const python = catalog.entries.filter((e) => e.export !== undefined).map((e) => e.id);
    expect(python).toEqual([]);
    expect(catalog.find("pe-core-b16")?.convert).toMatchObject({
      from: "hub",
      repo: "timm/vit_pe_core_base_patch16_224.fb",
      layout: "timm",
    });
    expect(catalog.find("pe-core-l14")?.convert).toMatchObject({
      from: "hub",
      repo: "timm/vit_pe_core_large_patch14_336.fb",
      layout: "timm",
    });
    for (const entry of catalog.entries.filter((e) => e.convert?.from === "url")) {
      expect(entry.convert, entry.id).toMatchObject({ layout: "timm", preprocessor: expect.any(Object) });
    }
  });

  it("covers the paper's families and categories", () => {
    const catalog = loadCatalog(CATALOG);
    const families = new Set(catalog.entries.map((e) => e.family));
    for (const family of [
      "ViT",
      "DINO",
      "MoCo v3",
      "iBOT",
      "Mugs",
      "DINOv2",
      "DINOv3",
      "MAE",
      "SimDINO",
      "I-JEPA",
      "CLIP",
      "OpenCLIP",
      "SigLIP",
      "Perception Encoder",
      "LeJEPA",
    ]) {
      expect(families, family).toContain(family);
    }
    expect(new Set(catalog.entries.map((e) => e.category))).toEqual(
      new Set(["CL", "MIM", "supervised", "language-supervised", "JEPA"]),
    );
  });

  it("memory_gb is estimateRunBytes for one image at input_size in fp32", () => {
    for (const e of loadCatalog(CATALOG).entries) {
      const tokens = e.prefix_tokens + (e.input_size / e.patch_size) ** 2;
      const bytes = estimateRunBytes({
        weightBytes: e.params_m * 4e6,
        layers: e.layers,
        hiddenSize: e.hidden_size,
        tokens,
      });
      expect(e.memory_gb, e.id).toBeCloseTo(bytes / 1e9, 1);
    }
  });

  it("DINO v1 entries correct the Hub's 0.5 mean/std to ImageNet's; the others keep their configs", () => {
    const catalog = loadCatalog(CATALOG);
    for (const id of ["dino-vits16", "dino-vits8", "dino-vitb16"]) {
      expect(catalog.find(id)?.preprocessing.overrides).toEqual({ ...IMAGENET, resample: "bicubic" });
    }
    expect(catalog.find("dinov2-small")?.preprocessing.overrides).toEqual({});
    expect(catalog.find("clip-vitb16")?.hub?.file).toBe("onnx/vision_model.onnx");
    expect(catalog.find("mae-base")?.convert).toMatchObject({ from: "hub", repo: "facebook/vit-mae-base" });
  });
});

describe("loadCatalog(path)", () => {
  it("SEGLENS_CATALOG names a catalog of one's own", () => {
    expect(defaultCatalogPath({ SEGLENS_CATALOG: "my/catalog.json" })).toBe(
      join(process.cwd(), "my/catalog.json"),
    );
    expect(defaultCatalogPath({})).toMatch(/models[/\\]catalog\.json$/);
  });

  it.each([
    [
      { category: "SSL" },
      /models\[0\] \(dino-vits16\)\.category: "SSL"; expected CL, MIM, supervised, language-supervised, JEPA/,
    ],
    [{ params_m: "21M" }, /\.params_m: "21M"; expected a number/],
    [{ hub: undefined }, /needs "hub" \(a ready ONNX\), "convert" \(how seglens converts it\) or "export"/],
    [
      {
        hub: undefined,
        convert: { from: "url", url: "https://x/y.pth", sha256: "abc", layout: "timm", verified: false },
      },
      /\.convert\.sha256: "abc"; expected 64 lower-case hex digits or null/,
    ],
  ])("an entry with %j: an InputError naming the entry and field", (change, message) => {
    const catalog = JSON.parse(readFileSync(CATALOG, "utf8"));
    catalog.models = [{ ...catalog.models[0], ...change }];
    const path = join(temp.path, "bad.json");
    writeFileSync(path, JSON.stringify(catalog));
    expect(() => loadCatalog(path)).toThrow(InputError);
    expect(() => loadCatalog(path)).toThrow(message);
  });
});
