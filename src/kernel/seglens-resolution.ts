/**
 * Makes `import … from "seglens"` resolve to the kernel's own copy in any notebook, so notebooks
 * work outside the repository, for both the type checker and `require`, the way tslab resolves
 * "tslab" (its converter forwards
 * `<cwd>/node_modules/tslab/…` to its install, `forwardTslabPath` in `dist/converter.js`; its
 * executor's `wrapRequire` maps the id "tslab").
 */
import { join, resolve, sep } from "node:path";

/** The seglens package root: two folders up from both src/kernel and dist/kernel. */
export function seglensRoot(): string {
  return resolve(__dirname, "..", "..");
}

/** The file-system calls of TypeScript's `ts.sys` that module resolution goes through. */
export interface TypeScriptSys {
  readFile(path: string, encoding?: string): string | undefined;
  fileExists(path: string): boolean;
  directoryExists(path: string): boolean;
  getDirectories(path: string): string[];
  realpath?(path: string): string;
}

/** Maps `<cwd>/node_modules/seglens[/rest]` to `<root>[/rest]`; other paths stay as they are. */
export function createPathForwarder(cwd: string, root: string): (path: string) => string | undefined {
  const virtual = join(cwd, "node_modules", "seglens");
  const norm = (path: string): string => path.split("/").join(sep);
  return (path) => {
    const p = norm(path);
    if (p === virtual) return root;
    if (p.startsWith(virtual + sep)) return join(root, p.slice(virtual.length + 1));
    return undefined;
  };
}

/**
 * Patches TypeScript's `sys` (the object tslab's converter inherits from) so the type checker
 * finds seglens under `<cwd>/node_modules/seglens`. `realpath` keeps the virtual path, so
 * seglens' files stay "external library" files that are never emitted.
 */
export function forwardSeglensTypes(sys: TypeScriptSys, cwd: string, root = seglensRoot()): void {
  const forward = createPathForwarder(cwd, root);
  const { readFile, fileExists, directoryExists, getDirectories } = sys;
  sys.readFile = (path, encoding) => readFile.call(sys, forward(path) ?? path, encoding);
  sys.fileExists = (path) => fileExists.call(sys, forward(path) ?? path);
  sys.directoryExists = (path) => directoryExists.call(sys, forward(path) ?? path);
  sys.getDirectories = (path) => getDirectories.call(sys, forward(path) ?? path);
  const realpath = sys.realpath;
  if (realpath !== undefined) {
    sys.realpath = (path) => (forward(path) === undefined ? realpath.call(sys, path) : path);
  }
}

/** Wraps a `require` so "seglens" and "seglens/<subpath>" load the kernel's own copy. */
export function wrapSeglensRequire(req: NodeJS.Require, root = seglensRoot()): (id: string) => unknown {
  return new Proxy(req, {
    apply(target, thisArg, args: unknown[]) {
      const id = args[0];
      if (args.length === 1 && typeof id === "string") {
        if (id === "seglens") return target(root);
        if (id.startsWith("seglens/")) return target(join(root, id.slice("seglens/".length)));
      }
      return Reflect.apply(target, thisArg, args);
    },
  });
}
