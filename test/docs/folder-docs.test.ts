// The repository explains itself: every folder of src/ (and the widget's view) has a README, the
// architecture overview's dependency table says what the structure test enforces, and the files
// and links these documents name exist.
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = resolve(__dirname, "..", "..");
const ARCHITECTURE = join(ROOT, "ARCHITECTURE.md");

/** Folders directly under src/ that hold modules, and widgets/src. */
function codeFolders(): string[] {
  const folders = readdirSync(join(ROOT, "src"), { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => join("src", entry.name))
    .filter((folder) => readdirSync(join(ROOT, folder)).some((name) => name.endsWith(".ts")));
  return [...folders, join("widgets", "src")];
}

/** Every README.md under src/ and widgets/ (build outputs and node_modules left out), and ARCHITECTURE.md. */
function documents(): string[] {
  const found: string[] = [ARCHITECTURE];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.isDirectory() && !["node_modules", "lib", "labextension"].includes(entry.name)) {
        walk(join(dir, entry.name));
      } else if (entry.name === "README.md") found.push(join(dir, entry.name));
    }
  };
  walk(join(ROOT, "src"));
  walk(join(ROOT, "widgets"));
  return found;
}

/** Backticked paths and link targets a document names, each with the places it may be relative to. */
function namedPaths(document: string): { path: string; bases: string[] }[] {
  const text = readFileSync(document, "utf8");
  const here = dirname(document);
  const links = [...text.matchAll(/\]\(([^)#\s]+)(?:#[^)]*)?\)/g)]
    .map((m) => m[1] as string)
    .filter((target) => !/^[a-z]+:/.test(target))
    .map((path) => ({ path, bases: [here] }));
  // A repo path in backticks: from the repository root, or from the document's folder.
  const code = [
    ...text.matchAll(
      /`((?:src|widgets|test|models|notebooks)\/[\w./-]*|[\w-]+\/[\w./-]*\.(?:ts|md|mjs|py|sh))`/g,
    ),
  ]
    .map((m) => m[1] as string)
    .filter((path) => !path.includes("<") && !path.startsWith("dist/"))
    .map((path) => ({ path, bases: [ROOT, here] }));
  return [...links, ...code];
}

describe("the documentation of the code", () => {
  it("every folder of src/ with modules, and widgets/src, has a README.md", () => {
    const missing = codeFolders().filter((folder) => !existsSync(join(ROOT, folder, "README.md")));
    expect(missing).toEqual([]);
  });

  it("ARCHITECTURE.md links every folder README and is linked from README.md", () => {
    const text = readFileSync(ARCHITECTURE, "utf8");
    const unlinked = codeFolders().filter((folder) => !text.includes(`(${folder}/README.md)`));
    expect(unlinked).toEqual([]);
    expect(readFileSync(join(ROOT, "README.md"), "utf8")).toContain("(ARCHITECTURE.md)");
  });

  it("ARCHITECTURE.md's dependency ranks are those test/architecture/structure.test.ts enforces", () => {
    const test = readFileSync(join(ROOT, "test", "architecture", "structure.test.ts"), "utf8");
    const block = /const RANKS[^{]*\{([\s\S]*?)\n\};/.exec(test)?.[1] ?? "";
    const enforced = [...block.matchAll(/^\s*"?([\w/]+)"?: (\d+),/gm)].map((m) => `${m[1]} ${m[2]}`).sort();
    const table = readFileSync(ARCHITECTURE, "utf8").match(/^\| \d+ \| .*\|$/gm) ?? [];
    const documented = table
      .flatMap((row) => {
        const [, rank, folders] = /^\| (\d+) \| (.*) \|$/.exec(row) ?? [];
        // Each folder in backticks; "(with `wire/`, …)" names subfolders of the one before.
        const names: string[] = [];
        for (const part of (folders ?? "").split(/(?=`src\/|`widgets\/)/)) {
          const [main, ...subs] = [...part.matchAll(/`([\w/]+?)\/?`/g)].map((m) => m[1] as string);
          if (main === undefined) continue;
          names.push(main, ...subs.filter((s) => !s.includes(".")).map((s) => `${main}/${s}`));
        }
        return names.filter((name) => !name.includes(".")).map((name) => `${name} ${rank}`);
      })
      .sort();
    expect(enforced.length).toBeGreaterThan(10);
    expect(documented).toEqual(enforced);
  });

  it("every file, folder and link these documents name exists (or is a build output git ignores)", () => {
    const ignored = (path: string): boolean => {
      try {
        execFileSync("git", ["check-ignore", "-q", path], { cwd: ROOT });
        return true;
      } catch {
        return false;
      }
    };
    const missing = documents().flatMap((document) =>
      namedPaths(document)
        .filter(({ path, bases }) => !bases.some((base) => existsSync(resolve(base, path))))
        .filter(({ path }) => !ignored(path))
        .map(({ path }) => `${relative(ROOT, document)}: ${path}`),
    );
    expect(missing).toEqual([]);
  });
});
