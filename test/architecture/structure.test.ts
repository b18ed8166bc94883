// The shape of the code base, checked: small folders and modules, no import cycle, dependencies
// pointing one way (ARCHITECTURE.md), and no reference to documents the repository does not hold.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { importCycles, readModuleGraph } from "./module-graph";

const ROOT = resolve(__dirname, "..", "..");
const graph = readModuleGraph(ROOT, ["src", "widgets/src"]);
const folderOf = (module: string) => dirname(module);

/**
 * The folders in dependency order: a module may import from its own folder's rank or below. The
 * kernel is a generic comm-capable tslab: it sits low and knows nothing of seglens.
 */
const RANKS: Record<string, number> = {
  src: 0, // errors.ts, vocabulary.ts
  "src/util": 0,
  "src/images": 1,
  "src/onnx": 1,
  "src/checkpoints": 1,
  "src/kernel": 1,
  "src/kernel/wire": 1,
  "src/kernel/ipywidgets": 1,
  "src/runtime": 2,
  "src/hub": 2,
  "src/convert": 3,
  "src/models": 4,
  "src/features": 5,
  "src/kmeans": 5,
  "src/segmentation": 6,
  "src/lenses": 6,
  "src/render": 7,
  "src/explorer": 8,
  "widgets/src": 8,
  "src/cli": 9,
  "src/bench": 10,
};
// The package's public API puts the parts together.
const ENTRY_POINTS = new Set(["src/index.ts"]);

describe("the code base's structure", () => {
  it("no folder of src/ or widgets/src/ holds more than 20 modules (subfolders counted apart)", () => {
    const counts = new Map<string, number>();
    for (const module of graph.modules) counts.set(folderOf(module), (counts.get(folderOf(module)) ?? 0) + 1);
    const crowded = [...counts].filter(([, n]) => n > 20);
    expect(crowded).toEqual([]);
  });

  it("no module is over 350 lines", () => {
    const long = graph.modules
      .map((module) => [module, readFileSync(resolve(ROOT, module), "utf8").split("\n").length - 1] as const)
      .filter(([, lines]) => lines > 350);
    expect(long).toEqual([]);
  });

  it("no import cycle, type-only imports included", () => {
    expect(importCycles(graph)).toEqual([]);
  });

  it("every folder has a rank, and imports point to the same rank or below", () => {
    const unranked = [...new Set(graph.modules.map(folderOf))].filter((f) => RANKS[f] === undefined);
    expect(unranked).toEqual([]);
    const upward: string[] = [];
    for (const [module, targets] of graph.imports) {
      if (ENTRY_POINTS.has(module)) continue;
      for (const target of targets) {
        const from = RANKS[folderOf(module)] as number;
        if ((RANKS[folderOf(target)] as number) > from) upward.push(`${module} → ${target}`);
      }
    }
    expect(upward).toEqual([]);
  });

  it("the kernel imports nothing of seglens outside src/kernel/ but the utilities and error classes", () => {
    const outside = [...graph.imports]
      .filter(([module]) => module.startsWith("src/kernel/"))
      .flatMap(([module, targets]) =>
        targets
          .filter((t) => !t.startsWith("src/kernel/") && !t.startsWith("src/util/") && t !== "src/errors.ts")
          .map((t) => `${module} → ${t}`),
      );
    expect(outside).toEqual([]);
  });

  it("no file refers to documents the repository does not hold", () => {
    const tracked = execFileSync("git", ["ls-files", "-z"], { cwd: ROOT, encoding: "utf8" })
      .split("\0")
      .filter((path) => /\.(ts|tsx|js|mjs|md|ipynb|py|sh|json|css|yml|yaml|toml)$/.test(path))
      .filter((path) => path !== "package-lock.json" && !path.startsWith("widgets/package-lock"));
    const outsideReference =
      /design\s*§|design\.md|facts\.md|style\.md|style rules? \d|\bissue #\d|§\s?\d|shared\/notes|DEVELOPERS\.md/;
    const found = tracked.flatMap((path) =>
      readFileSync(resolve(ROOT, path), "utf8")
        .split("\n")
        .flatMap((line, i) =>
          outsideReference.test(line) ? [`${path}:${i + 1}: ${line.trim().slice(0, 100)}`] : [],
        ),
    );
    expect(found).toEqual([]);
  });
});
