import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import ts from "typescript";

/** The TypeScript modules under `roots` and the relative imports between them (type-only ones too). */
export interface ModuleGraph {
  /** Module paths relative to `base`, with `/` separators. */
  modules: string[];
  /** For each module, the modules it imports. */
  imports: Map<string, string[]>;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return /\.tsx?$/.test(name) && !name.endsWith(".d.ts") ? [path] : [];
  });
}

function resolveImport(from: string, specifier: string): string | undefined {
  if (!specifier.startsWith(".")) return undefined;
  const base = resolve(dirname(from), specifier);
  for (const candidate of [`${base}.ts`, `${base}.tsx`, join(base, "index.ts")]) {
    try {
      if (statSync(candidate).isFile()) return candidate;
    } catch {
      // not this one
    }
  }
  return undefined;
}

/** Reads every module under `roots` (paths relative to `base`) with TypeScript's own import scanner. */
export function readModuleGraph(base: string, roots: readonly string[]): ModuleGraph {
  const files = roots.flatMap((root) => sourceFiles(resolve(base, root)));
  const name = (path: string) => relative(base, path).split("\\").join("/");
  const imports = new Map<string, string[]>();
  for (const file of files) {
    const scanned = ts.preProcessFile(readFileSync(file, "utf8"), true, true).importedFiles;
    const targets = scanned.flatMap((ref) => {
      const target = resolveImport(file, ref.fileName);
      return target === undefined ? [] : [name(target)];
    });
    imports.set(name(file), [...new Set(targets)]);
  }
  return { modules: files.map(name), imports };
}

/** The import cycles of a graph: its strongly connected components of more than one module (Tarjan). */
export function importCycles(graph: ModuleGraph): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  let next = 0;
  const visit = (module: string): void => {
    index.set(module, next);
    low.set(module, next);
    next++;
    stack.push(module);
    onStack.add(module);
    for (const target of graph.imports.get(module) ?? []) {
      if (!index.has(target)) {
        visit(target);
        low.set(module, Math.min(low.get(module) as number, low.get(target) as number));
      } else if (onStack.has(target)) {
        low.set(module, Math.min(low.get(module) as number, index.get(target) as number));
      }
    }
    if (low.get(module) === index.get(module)) {
      const component: string[] = [];
      let member: string;
      do {
        member = stack.pop() as string;
        onStack.delete(member);
        component.push(member);
      } while (member !== module);
      const selfImport = graph.imports.get(module)?.includes(module) ?? false;
      if (component.length > 1 || selfImport) cycles.push(component.sort());
    }
  };
  for (const module of graph.modules) if (!index.has(module)) visit(module);
  return cycles;
}
