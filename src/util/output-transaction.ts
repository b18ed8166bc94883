import { existsSync, renameSync, rmSync, statSync, unlinkSync, writeFileSync } from "node:fs";
import { basename, dirname, join, relative, resolve, sep } from "node:path";
import { CancelledError, InputError } from "../errors";
import { makeDirs } from "./make-dirs";
import { removeAbandonedTemps, tempPathFor } from "./temp-files";

/**
 * The files of one run, written so that nothing half-done is ever seen under their final names.
 * Every file is written under a temporary name (see `temp-files.ts`); a folder the run has to make
 * is made under a temporary name too, with its files inside. {@link OutputTransaction.commit}
 * renames everything into place, `meta.json` files last (the top one last of all), so a folder
 * with a `meta.json` is complete; {@link OutputTransaction.rollback} removes every temporary file
 * and folder, so a failed or interrupted run leaves the output folder as it found it.
 */
export interface OutputTransaction {
  /** The final folder, absolute. */
  readonly root: string;
  /**
   * Where to write the file that becomes `root/<relPath>` at commit (`/`-separated, inside root);
   * its temporary folders are made. Asking twice for one file gives the same path.
   */
  path(relPath: string): string;
  /** Writes `data` to the file that becomes `root/<relPath>`. */
  writeFile(relPath: string, data: string | Uint8Array): void;
  /** Moves everything into place. Throws a CancelledError, after rolling back, if the signal was aborted. */
  commit(): void;
  /** Removes everything not yet committed. Safe to call more than once, and after commit. */
  rollback(): void;
}

/** Options of {@link beginOutput}. */
export interface OutputOptions {
  /** When aborted before commit, commit rolls back instead. */
  signal?: AbortSignal;
  /** How the folder is named in messages; default `--out`. */
  label?: string;
}

/**
 * Starts a transaction for the folder `root` (made at commit if missing, with missing parents).
 * Abandoned temporary files of killed runs in `root`, or where it will be made, are removed first,
 * and so are those in every existing folder a file is written to. An existing file in the way is
 * an InputError naming the folder.
 */
export function beginOutput(root: string, options: OutputOptions = {}): OutputTransaction {
  const label = options.label ?? "--out";
  const absolute = resolve(root);
  const top = topMissing(absolute, root, label);
  const cleaned = new Set<string>();
  const cleanOnce = (dir: string) => {
    if (!cleaned.has(dir)) removeAbandonedTemps(dir);
    cleaned.add(dir);
  };
  cleanOnce(top === undefined ? absolute : dirname(top));
  // Final path → temporary path: files written into existing folders, and the topmost missing folders.
  const files = new Map<string, string>();
  const folders = new Map<string, string>();

  /** Where the contents of folder `dir` go until commit: itself when it exists, else inside a staged folder. */
  const folderTemp = (dir: string): string => {
    const held = folders.get(dir);
    if (held !== undefined) return held;
    if (existsSync(dir)) return dir;
    const parent = folderTemp(dirname(dir));
    if (parent !== dirname(dir)) return join(parent, basename(dir));
    const temporary = tempPathFor(dir);
    folders.set(dir, temporary);
    return temporary;
  };
  let open = true;
  const rollback = () => {
    open = false;
    for (const temporary of [...files.values(), ...folders.values()]) {
      rmSync(temporary, { recursive: true, force: true });
    }
    files.clear();
    folders.clear();
  };

  return {
    root: absolute,
    path(relPath) {
      if (!open) throw new Error("output transaction already committed or rolled back");
      const final = resolve(absolute, relPath);
      if (!final.startsWith(`${absolute}${sep}`)) {
        throw new InputError(`output file "${relPath}" is not inside ${label} "${root}"`);
      }
      const parent = folderTemp(dirname(final));
      let temporary = join(parent, basename(final));
      if (parent === dirname(final)) {
        cleanOnce(parent);
        temporary = files.get(final) ?? tempPathFor(final);
        files.set(final, temporary);
      }
      try {
        makeDirs(parent);
      } catch (cause) {
        // A staged folder that cannot be made means the output folder itself cannot be.
        if (parent !== dirname(final)) {
          throw folderError(root, label, (cause as NodeJS.ErrnoException).code ?? String(cause), cause);
        }
        throw writeError(dirname(final), cause);
      }
      return temporary;
    },
    writeFile(relPath, data) {
      const temporary = this.path(relPath);
      try {
        writeFileSync(temporary, data);
      } catch (cause) {
        throw writeError(resolve(absolute, relPath), cause);
      }
    },
    commit() {
      try {
        if (options.signal?.aborted) throw new CancelledError("interrupted; no output was written");
        commitAll(files, folders, absolute);
        files.clear();
        folders.clear();
      } finally {
        rollback();
      }
    },
    rollback,
  };
}

/**
 * Runs `work` with a transaction for `root`: commits when it resolves, rolls back when it throws
 * (an error, or a CancelledError after Ctrl-C), and returns its result.
 *
 * @example
 * await withOutput("out/features", { signal }, async (out) => {
 *   out.writeFile("a.json", "{}");
 *   out.writeFile("meta.json", "{}"); // renamed into place last
 * });
 */
export async function withOutput<T>(
  root: string,
  options: OutputOptions,
  work: (output: OutputTransaction) => Promise<T>,
): Promise<T> {
  const output = beginOutput(root, options);
  try {
    const result = await work(output);
    output.commit();
    return result;
  } finally {
    output.rollback();
  }
}

/** A transaction for one file: see {@link beginOutputFile}. */
export interface OutputFile {
  /** Writes the whole file and moves it into place. */
  write(data: string | Uint8Array): void;
  /** Removes what was not moved into place. */
  rollback(): void;
}

/**
 * Starts writing the file `path` atomically, making its folder if needed; started before the work
 * that produces the file, so a path that cannot be written fails first. Nothing is left behind when
 * it fails, which is an OutputWriteError naming `path` and the reason (`label`, default `--out`).
 */
export function beginOutputFile(path: string, options: OutputOptions = {}): OutputFile {
  const label = options.label ?? "--out";
  const named = <T>(work: () => T): T => {
    try {
      return work();
    } catch (cause) {
      if (!(cause instanceof OutputWriteError)) throw cause;
      throw new OutputWriteError(`cannot write ${label} "${path}": ${cause.reason}`, cause.reason, { cause });
    }
  };
  const output = named(() => beginOutput(dirname(resolve(path)), options));
  return {
    write: (data) =>
      named(() => {
        output.writeFile(basename(path), data);
        output.commit();
      }),
    rollback: () => output.rollback(),
  };
}

/** Writes the file `path` atomically: {@link beginOutputFile} and its `write` at once. */
export function writeOutputFile(path: string, data: string | Uint8Array, options: OutputOptions = {}): void {
  const file = beginOutputFile(path, options);
  try {
    file.write(data);
  } finally {
    file.rollback();
  }
}

/**
 * Renames staged entries into place: data files, then made folders (whole, with their own
 * meta.json), then `meta.json` files, deepest first, so the top one is last.
 */
function commitAll(files: Map<string, string>, folders: Map<string, string>, root: string): void {
  const depth = (path: string) => relative(root, path).split(sep).length;
  const metas = [...files].filter(([final]) => basename(final) === "meta.json");
  metas.sort(([a], [b]) => depth(b) - depth(a));
  const data = [...files].filter(([final]) => basename(final) !== "meta.json");
  // An old meta.json goes first: between the renames the folder reads as incomplete, never as old.
  for (const [final] of metas) if (existsSync(final)) unlinkSync(final);
  for (const [final, temporary] of [...data, ...folders, ...metas]) {
    try {
      renameSync(temporary, final);
    } catch (cause) {
      throw writeError(final, cause);
    }
  }
}

/** The topmost folder of `dir` (itself included) that does not exist; undefined when `dir` exists. */
function topMissing(dir: string, given: string, label: string): string | undefined {
  let missing: string | undefined;
  for (let d = dir; ; d = dirname(d)) {
    let isDir: boolean | undefined;
    try {
      isDir = statSync(d).isDirectory();
    } catch (cause) {
      const code = (cause as NodeJS.ErrnoException).code ?? String(cause);
      if (code !== "ENOENT") throw folderError(given, label, code === "ENOTDIR" ? IN_THE_WAY : code, cause);
    }
    if (isDir === false) throw folderError(given, label, IN_THE_WAY);
    if (isDir === true) return missing;
    missing = d;
    if (d === dirname(d)) return missing;
  }
}

const IN_THE_WAY = "a file is in the way";

/** An output that cannot be written: an InputError whose `reason` is the short why (an errno code, or that a file is in the way). */
export class OutputWriteError extends InputError {
  override name = "OutputWriteError";
  constructor(
    message: string,
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

function folderError(given: string, label: string, reason: string, cause?: unknown): OutputWriteError {
  return new OutputWriteError(`cannot use ${label} "${given}" as an output folder: ${reason}`, reason, {
    cause,
  });
}

function writeError(path: string, cause: unknown): OutputWriteError {
  const reason = (cause as NodeJS.ErrnoException).code ?? String(cause);
  return new OutputWriteError(`cannot write "${path}": ${reason}`, reason, { cause });
}
