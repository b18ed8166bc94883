import { defineConfig } from "vitest/config";
import { runStateEnv } from "./test/support/run-state";

// Inference tests spawn worker threads and load ONNX sessions, and the integration tests start
// kernels, JupyterLab and Chromium: all of it must pass on 2 cores that other work keeps busy, so
// timeouts (expect.poll's too) are generous and tests wait for events, not for fixed times.
// Caches and Jupyter folders are the run's own (test/support/run-state.ts).
export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    expect: { poll: { timeout: 60_000 } },
    pool: "forks",
    globalSetup: ["test/support/global-setup.ts"],
    env: runStateEnv(),
  },
});
