import { homedir } from "node:os";
import { join } from "node:path";

/** seglens' own cache folder: `SEGLENS_CACHE`, else `$XDG_CACHE_HOME/seglens`, else `~/.cache/seglens`. */
export function seglensCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.SEGLENS_CACHE) return env.SEGLENS_CACHE;
  return join(env.XDG_CACHE_HOME || join(homedir(), ".cache"), "seglens");
}
