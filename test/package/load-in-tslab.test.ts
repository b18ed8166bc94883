import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { testCacheDir } from "../support/temp";

// tslab compiles notebook cells to CommonJS and type-checks them with TypeScript 5.0 and node10
// resolution: the built package must satisfy both, from outside the repo.
const temp = testCacheDir();
afterAll(() => temp.remove());
const repo = resolve(".");
mkdirSync(join(temp.path, "node_modules"), { recursive: true });
symlinkSync(repo, join(temp.path, "node_modules", "seglens"));

describe("the built package as a tslab cell sees it", () => {
  it("TypeScript 5.0 with moduleResolution node10 type-checks a cell importing seglens, .d.ts included", () => {
    const ts = createRequire(__filename)("typescript-5.0") as typeof import("typescript");
    expect(ts.version).toMatch(/^5\.0\./);
    const cell = join(temp.path, "cell.ts");
    writeFileSync(
      cell,
      [
        'import { features, InputError, REPS, type FeatureSet } from "seglens";',
        "const run: (options: Parameters<typeof features>[0]) => Promise<FeatureSet> = features;",
        "const reps: readonly string[] = REPS;",
        "export { run, reps, InputError };",
      ].join("\n"),
    );
    const program = ts.createProgram([cell], {
      module: ts.ModuleKind.CommonJS,
      moduleResolution: ts.ModuleResolutionKind.NodeJs,
      target: ts.ScriptTarget.ES2020,
      strict: true,
      noEmit: true,
      skipLibCheck: false,
      types: ["node"],
      typeRoots: [join(repo, "node_modules", "@types")],
    });
    const problems = ts
      .getPreEmitDiagnostics(program)
      .filter((d) => d.file === undefined || !d.file.fileName.includes("/@types/node/"))
      .map((d) => `${d.file?.fileName ?? ""}: ${ts.flattenDiagnosticMessageText(d.messageText, "\n")}`);
    expect(problems).toEqual([]);
  });

  it("require('seglens') loads the CommonJS build without loading onnxruntime or sharp", () => {
    const load = createRequire(join(temp.path, "cell.js"));
    const seglens = load("seglens") as Record<string, unknown>;
    expect(typeof seglens.features).toBe("function");
    expect(typeof seglens.prepareTappedModel).toBe("function");
    const loaded = Object.keys(load.cache);
    expect(loaded.some((f) => f.includes("onnxruntime-node"))).toBe(false);
    expect(loaded.some((f) => f.includes("/sharp/"))).toBe(false);
  });
});
