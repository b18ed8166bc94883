import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { join, relative, sep } from "node:path";
import { describe, expect, it } from "vitest";
import { readNpy } from "../../src/features/npy";

/** What models/fixtures/sources/<id>/reference/meta.json says about a source checkpoint. */
interface SourceMeta {
  id: string;
  kind: "transformers" | "timm" | "checkpoint";
  format: "safetensors" | "safetensors-sharded" | "pytorch-bin" | "torch-zip";
  files: Record<string, { sha256: string; bytes: number; pickle_globals?: string[] }>;
  hidden_size: number;
  num_heads: number;
  image_size: number;
  sequence_length: number;
  reference_tensors: Record<string, number[]>;
}

const SOURCES_DIR = "models/fixtures/sources";
// What `generate.sh --sources` makes (models/fixtures/sources.py): a folder missing here was not committed.
const EXPECTED_IDS = [
  "clip",
  "dino",
  "dinov2",
  "dinov2-reg",
  "dinov3",
  "dinov3-gated",
  "dinov3-gated-sharded",
  "ibot",
  "ijepa",
  "mocov3",
  "mugs",
  "pe-core",
  "siglip",
  "simdino",
  "timm-vit",
  "timm-vit-reg",
  "vit",
  "vit-mae",
  "vit-mae-bin",
];
const ids = readdirSync(SOURCES_DIR).sort();

function meta(id: string): SourceMeta {
  return JSON.parse(readFileSync(join(SOURCES_DIR, id, "reference", "meta.json"), "utf8")) as SourceMeta;
}

/** Every file under dir except reference/, as forward-slash paths relative to dir. */
function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile())
    .map((d) => relative(dir, join(d.parentPath, d.name)).split(sep).join("/"))
    .filter((path) => !path.startsWith("reference/"))
    .sort();
}

/** Bytes a safetensors file's header promises: 8 + header length + the tensors' data. */
function safetensorsSize(data: Buffer): number {
  const headerLength = Number(data.readBigUInt64LE(0));
  const header = JSON.parse(data.subarray(8, 8 + headerLength).toString("utf8")) as Record<
    string,
    { data_offsets?: [number, number] }
  >;
  const end = Math.max(0, ...Object.values(header).map((t) => t.data_offsets?.[1] ?? 0));
  return 8 + headerLength + end;
}

describe("source-checkpoint fixtures (models/fixtures/sources)", () => {
  it("has every source the generator makes", () => {
    expect(ids).toEqual(EXPECTED_IDS);
  });

  describe.each(ids)("%s", (id) => {
    const dir = join(SOURCES_DIR, id);
    const m = meta(id);

    it("holds exactly the files meta.json lists, with their sizes and sha256", () => {
      expect(m.id).toBe(id);
      expect(sourceFiles(dir)).toEqual(Object.keys(m.files).sort());
      for (const [name, want] of Object.entries(m.files)) {
        const data = readFileSync(join(dir, name));
        expect({ name, bytes: data.length }).toEqual({ name, bytes: want.bytes });
        expect(createHash("sha256").update(data).digest("hex"), name).toBe(want.sha256);
      }
    });

    it("has weight files whose own structure is whole", () => {
      for (const name of Object.keys(m.files)) {
        const data = readFileSync(join(dir, name));
        if (name.endsWith(".safetensors")) expect(safetensorsSize(data), name).toBe(data.length);
        if (/\.(pth|bin|tar)$/.test(name))
          expect(data.subarray(0, 4).toString("latin1"), name).toBe("PK\x03\x04");
      }
      if (m.format === "safetensors-sharded") {
        const index = JSON.parse(readFileSync(join(dir, "model.safetensors.index.json"), "utf8")) as {
          weight_map: Record<string, string>;
        };
        expect([...new Set(Object.values(index.weight_map))].sort()).toEqual(
          Object.keys(m.files).filter((f) => f.endsWith(".safetensors")),
        );
      }
    });

    it("has the reference tensors meta.json states, shaped as the fixture's tokens", () => {
      const t = m.sequence_length;
      const shapes = { pixel_values: [2, 3, m.image_size, m.image_size], ...m.reference_tensors };
      for (const [name, dims] of Object.entries(shapes)) {
        const expected = name.startsWith("attn_")
          ? [2, m.num_heads, t, t]
          : name === "pixel_values"
            ? dims
            : [2, t, m.hidden_size];
        expect({ name, dims }).toEqual({ name, dims: expected });
        const array = readNpy(join(dir, "reference", `${name}.npy`));
        expect({ name, dims: array.dims, dtype: array.dtype }).toEqual({ name, dims, dtype: "float32" });
      }
      expect(Object.keys(m.reference_tensors)).toContain("last_hidden_state");
    });
  });
});
