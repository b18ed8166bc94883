import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testCacheDir } from "../support/temp";
import { type KernelTestSetup, runKernelScript, setUpKernelTest } from "./kernel-test-setup";

// A real jupyter_client (in the venv test/kernel/setup-venv.sh creates once, .venv-test/ in the
// checkout) starts the kernel from the kernelspec `seglens install --prefix` writes, and runs
// kernel_checks.py; each check is asserted by its own test below. The kernel runs dist/ (npm test
// builds first).
const temp = testCacheDir();
afterAll(() => temp.remove());
let results: Record<string, { ok: boolean; detail: string }> = {};
let setup: KernelTestSetup;

beforeAll(() => {
  setup = setUpKernelTest(temp.path);
  const run = runKernelScript(setup, "kernel_checks.py", [setup.work], 280_000);
  if (run.status !== 0) throw new Error(`kernel_checks.py failed (${run.status}): ${run.stderr}`);
  results = JSON.parse(run.stdout) as typeof results;
}, 300_000);

const checks: [name: string, title: string][] = [
  [
    "kernel_info",
    "kernel_info on shell and control names seglens, protocol 5.3, typescript, own session id; heartbeat beats",
  ],
  [
    "execute_value_output_error",
    "execute: a value as execute_result, console output as stream, thrown and compile errors",
  ],
  [
    "import_seglens_resolves_to_the_kernel_copy",
    'import { REPS } from "seglens" type-checks and runs in a notebook folder without node_modules',
  ],
  [
    "complete_and_inspect",
    "complete_request offers a declared name; is_complete says an open block is incomplete",
  ],
  [
    "error_aborts_queued_cells",
    "a cell that throws aborts the two execute_requests queued behind it (status aborted, busy/idle only); the next one runs",
  ],
  [
    "stop_on_error_false_runs_queued_cells",
    "with stop_on_error false, the execute_requests queued behind a throwing cell run",
  ],
  [
    "interrupt_during_long_await",
    "SIGINT during a 10-minute await ends the cell with an error and aborts interruptSignal; the next cell runs",
  ],
  [
    "sync_loop_interrupt_and_display",
    "SIGINT stops a busy loop; display_data, update_display_data and tslab.display reach IOPub",
  ],
  [
    "comm_served_while_a_cell_awaits",
    "a comm_open is served (busy/idle) while a cell awaits it, and resolves the cell",
  ],
  [
    "comm_both_ways_with_buffers",
    "comms opened from either side carry all 256 byte values byte-exact; comm_info lists them",
  ],
  ["unknown_target_is_closed", "a comm opened for an unknown target is answered with comm_close"],
  ["thousand_rapid_comm_messages", "1000 rapid comm messages are echoed in order, each with its own idle"],
  [
    "malformed_messages_and_bad_signature",
    "malformed content is answered with errors; forged and broken frames are dropped",
  ],
  [
    "int_slider_from_a_cell",
    "an IntSlider model from a cell has ipywidgets' state keys and updates both ways",
  ],
  [
    "allocator_settings_reach_the_kernel",
    "the kernel process starts with kernel.json's allocator settings in its environment",
  ],
  ["shutdown", "shutdown_request on control is answered, then the kernel process ends"],
];

describe("the seglens kernel under jupyter_client", () => {
  it("seglens install --prefix writes kernel.json with absolute node and kernel paths", () => {
    const spec = JSON.parse(
      readFileSync(join(setup.jupyterPath, "kernels", "seglens", "kernel.json"), "utf8"),
    );
    expect(spec).toEqual({
      argv: [process.execPath, resolve("dist", "kernel", "kernel-main.js"), "{connection_file}"],
      env: {
        MALLOC_MMAP_THRESHOLD_: "33554432",
        MALLOC_TRIM_THRESHOLD_: "1073741824",
        GLIBC_TUNABLES: "glibc.malloc.hugetlb=1",
      },
      display_name: "TypeScript (seglens)",
      language: "typescript",
      interrupt_mode: "signal",
      metadata: { debugger: false },
    });
    expect(existsSync(spec.argv[1])).toBe(true);
  });
  for (const [name, title] of checks) {
    it(title, () => {
      // Checks that ran but are not listed here would go unasserted.
      expect(Object.keys(results).sort()).toEqual(checks.map(([n]) => n).sort());
      expect(results[name], `check ${name} did not run`).toBeDefined();
      expect(results[name]?.detail).toBe("");
      expect(results[name]?.ok).toBe(true);
    });
  }
});
