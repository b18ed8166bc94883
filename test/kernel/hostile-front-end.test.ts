import { resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testCacheDir } from "../support/temp";
import { runKernelScript, setUpKernelTest } from "./kernel-test-setup";

// The kernel (dist/, which npm test builds first) driven by jupyter_client as a hostile or broken
// front end: hostile_front_end.py reports each check; each is asserted by its own test below.
// The fuzz is seeded; SEGLENS_FUZZ_SEED replays another seed.
const SEED = Number(process.env.SEGLENS_FUZZ_SEED ?? 11);
const temp = testCacheDir();
afterAll(() => temp.remove());
let results: Record<string, { ok: boolean; detail: string }> = {};

beforeAll(() => {
  const setup = setUpKernelTest(temp.path);
  const run = runKernelScript(
    setup,
    "hostile_front_end.py",
    [setup.work, resolve("."), String(SEED)],
    280_000,
  );
  if (run.status !== 0) throw new Error(`hostile_front_end.py failed (${run.status}): ${run.stderr}`);
  results = (JSON.parse(run.stdout) as { checks: typeof results }).checks;
}, 300_000);

const checks: [name: string, title: string][] = [
  ["prototypes_before", "the prototypes' own properties are recorded before any hostile message"],
  [
    "buffer_paths_and_state_keys_cannot_pollute",
    "an IntSlider update with buffer_paths and state keys through __proto__, constructor and prototype changes no prototype; only value is applied and echoed",
  ],
  [
    "undeclared_keys_are_ignored_and_refused_values_sent_back",
    "undeclared keys are ignored; a value out of min..max and a kernel-owned key are answered with the kept values",
  ],
  [
    "explorer_refuses_bad_controls_shows_why_and_sends_the_kept_value",
    "the explorer refuses 16 bad control values (K 99, a model not offered, a path, kernel-owned keys…), each with view_error and the kept value; a good K computes and clears it",
  ],
  [
    "comm_open_cannot_take_over_an_open_comm",
    "a comm_open reusing the explorer's comm id is refused and the explorer keeps answering",
  ],
  [
    "malformed_shell_and_control_messages_are_answered_or_dropped",
    "requests with contents of the wrong shape are answered with status error, broken and too deep frames are dropped, a 5 MB message is handled",
  ],
  [
    "fuzz_random_comm_and_shell_messages",
    `${300} seeded random comm_open/comm_msg/comm_close and malformed messages (seed ${SEED}) are each answered with an idle`,
  ],
  [
    "after_everything_the_kernel_lives_unpolluted_and_the_explorer_works",
    "afterwards 1 + 1 is 2, no prototype changed, the explorer's controls are valid and a K change brings a frame",
  ],
  ["the_kernel_reported_no_uncaught_error", "the kernel's stderr reports no uncaught exception or rejection"],
];

describe("the seglens kernel under a hostile front end (jupyter_client)", () => {
  for (const [name, title] of checks) {
    it(title, () => {
      expect(Object.keys(results).sort()).toEqual(checks.map(([n]) => n).sort());
      expect(results[name]?.detail).toBe("");
      expect(results[name]?.ok).toBe(true);
    });
  }
});
