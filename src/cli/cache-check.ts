import { InputError } from "../errors";
import { seglensCacheDir } from "../util/cache-dir";
import { makeDirs } from "../util/make-dirs";

/**
 * Makes seglens' cache folder before a command that writes into it (edited graphs, features), so
 * an unusable `SEGLENS_CACHE` is one line naming it rather than a failure deep inside, or, under
 * /proc, Node's recursive mkdir spinning forever.
 */
export function ensureCacheDir(env: NodeJS.ProcessEnv = process.env): void {
  const dir = seglensCacheDir(env);
  try {
    makeDirs(dir);
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code ?? String(cause);
    const source = env.SEGLENS_CACHE ? "SEGLENS_CACHE" : "the default cache folder";
    throw new InputError(`cannot use "${dir}" (${source}) as seglens' cache folder: ${code}`, { cause });
  }
}
