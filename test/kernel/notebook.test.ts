import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { installKernelspec } from "../../src/kernel/kernelspec";
import { testCacheDir } from "../support/temp";

const temp = testCacheDir();
afterAll(() => temp.remove());
const here = resolve("test", "kernel");

interface CellOutput {
  output_type: string;
  text?: string;
  data?: Record<string, unknown>;
}

describe("a notebook of TypeScript cells under nbclient", () => {
  it("fixtures/typescript-cells.ipynb runs headlessly: values, printed output, an awaited cell and a widget", () => {
    const venv = execFileSync("bash", [join(here, "setup-venv.sh")], { encoding: "utf8" }).trim();
    installKernelspec({ scope: { kind: "prefix", prefix: join(temp.path, "prefix") } });
    const work = join(temp.path, "work");
    mkdirSync(work);
    const run = spawnSync(
      join(venv, "bin", "python"),
      [join(here, "run_notebook.py"), join(here, "fixtures", "typescript-cells.ipynb"), work],
      {
        encoding: "utf8",
        env: { ...process.env, JUPYTER_PATH: join(temp.path, "prefix", "share", "jupyter") },
        timeout: 180_000,
      },
    );
    expect(run.stderr).not.toMatch(/Traceback/);
    expect(run.status).toBe(0);
    const cells = JSON.parse(run.stdout) as { execution_count: number; outputs: CellOutput[] }[];
    expect(cells.map((c) => c.execution_count)).toEqual([1, 2, 3, 4]);
    expect(cells[0]?.outputs).toEqual([
      { output_type: "execute_result", data: { "text/plain": "tokens q k v" } },
    ]);
    expect(cells[1]?.outputs).toEqual([
      { output_type: "stream", text: "hello from TypeScript\n" },
      { output_type: "execute_result", data: { "text/plain": "42" } },
    ]);
    const view = cells[2]?.outputs[0]?.data?.["application/vnd.jupyter.widget-view+json"] as Record<
      string,
      unknown
    >;
    expect(view).toMatchObject({ version_major: 2, version_minor: 1 });
    expect(cells[3]?.outputs).toEqual([{ output_type: "execute_result", data: { "text/plain": "2" } }]);
  }, 240_000);
});
