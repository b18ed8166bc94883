import { resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testCacheDir } from "../support/temp";
import { runKernelScript, setUpKernelTest } from "./kernel-test-setup";

// explore() in a real kernel (dist/, which npm test builds first) driven by jupyter_client as a
// front end would: explorer_checks.py reports each check; each is asserted by its own test below.
const temp = testCacheDir();
afterAll(() => temp.remove());
let results: Record<string, { ok: boolean; detail: string }> = {};

beforeAll(() => {
  const setup = setUpKernelTest(temp.path);
  const run = runKernelScript(setup, "explorer_checks.py", [setup.work, resolve(".")], 200_000);
  if (run.status !== 0) throw new Error(`explorer_checks.py failed (${run.status}): ${run.stderr}`);
  const report = JSON.parse(run.stdout) as { checks: typeof results; latency_ms: Record<string, number> };
  results = report.checks;
}, 240_000);

const checks: [name: string, title: string][] = [
  [
    "explore_opens_and_sends_a_ready_frame",
    "explore({model, images}) opens an ExplorerModel comm and displays it, then status ready with labels [1, layers, 5, 4, 4] of ≤ 6 values and the images",
  ],
  [
    "k_update_from_the_client_gives_a_new_frame",
    "an update {k: 3} from the client brings a frame with ≤ 3 labels",
  ],
  [
    "cancel_message_sets_status_back",
    "a {action: cancel} custom message right after an update ends in status ready",
  ],
  [
    "bad_model_shows_an_error_and_the_kernel_lives",
    "a missing model path ends in status error naming it, and the next cell runs",
  ],
];

describe("explore() under jupyter_client", () => {
  for (const [name, title] of checks) {
    it(title, () => {
      expect(Object.keys(results).sort()).toEqual(checks.map(([n]) => n).sort());
      expect(results[name]?.detail).toBe("");
      expect(results[name]?.ok).toBe(true);
    });
  }
});
