import { existsSync } from "node:fs";
import { join, relative, resolve } from "node:path";

const SRC = resolve(__dirname, "..");
const DIST = resolve(__dirname, "..", "..", "dist");

/**
 * The compiled script `<name>.js` of a worker thread living beside `dir` (pass `__dirname`). Under
 * tests the sources run as TypeScript, but worker threads need JavaScript, so a source folder maps
 * to its build output in dist/ (built by `npm test`).
 */
export function workerScript(dir: string, name: string): string {
  const beside = join(dir, `${name}.js`);
  if (existsSync(beside)) return beside;
  const built = join(DIST, relative(SRC, dir), `${name}.js`);
  if (existsSync(built)) return built;
  throw new Error(`worker script "${name}" not found at "${beside}" or "${built}"; run \`npm run build\``);
}
