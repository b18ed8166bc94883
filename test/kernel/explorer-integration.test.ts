import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { Command } from "commander";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { addInstallCommand } from "../../src/cli/install-command";
import { testCacheDir } from "../support/temp";

// explore() in a real kernel (dist/, which npm test builds first) driven by jupyter_client as a
// front end would: explorer_checks.py reports each check; each is asserted by its own test below.
const temp = testCacheDir();
afterAll(() => temp.remove());
const here = resolve("test", "kernel");
let results: Record<string, { ok: boolean; detail: string }> = {};

beforeAll(async () => {
  const venv = execFileSync("bash", [join(here, "setup-venv.sh")], { encoding: "utf8" }).trim();
  const program = new Command("seglens").exitOverride();
  addInstallCommand(program);
  const stdout = process.stdout.write;
  process.stdout.write = (() => true) as typeof process.stdout.write;
  try {
    await program.parseAsync(["install", "--prefix", join(temp.path, "prefix")], { from: "user" });
  } finally {
    process.stdout.write = stdout;
  }
  const work = join(temp.path, "work");
  mkdirSync(work);
  const run = spawnSync(join(venv, "bin", "python"), [join(here, "explorer_checks.py"), work, resolve(".")], {
    encoding: "utf8",
    env: { ...process.env, JUPYTER_PATH: join(temp.path, "prefix", "share", "jupyter") },
    timeout: 200_000,
  });
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
