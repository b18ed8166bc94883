import { resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { testCacheDir } from "../support/temp";
import { runKernelScript, setUpKernelTest } from "./kernel-test-setup";

const temp = testCacheDir();
afterAll(() => temp.remove());

interface CellOutput {
  output_type: string;
  text?: string;
  data?: Record<string, unknown>;
}

describe("a notebook of TypeScript cells under nbclient", () => {
  it("fixtures/typescript-cells.ipynb runs headlessly: values, printed output, an awaited cell and a widget", () => {
    const setup = setUpKernelTest(temp.path);
    const notebook = resolve("test", "kernel", "fixtures", "typescript-cells.ipynb");
    const run = runKernelScript(setup, "run_notebook.py", [notebook, setup.work], 180_000);
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
