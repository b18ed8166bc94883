import { defineConfig } from "vitest/config";
import { runStateEnv } from "./test/support/run-state";

// Tests that start processes, servers, kernels, JupyterLab or Chromium. Everything else runs in
// the test process and makes the `unit` project: `npm run test:unit` runs it alone.
const INTEGRATION = [
  "test/bench/peak-rss-reporter.test.ts",
  "test/cli/**/*.test.ts",
  "test/package/**/*.test.ts",
  "test/kernel/explorer-integration.test.ts",
  "test/kernel/hostile-front-end.test.ts",
  "test/kernel/install-command.test.ts",
  "test/kernel/kernel-integration.test.ts",
  "test/kernel/notebook.test.ts",
  "test/widgets/explorer-progress.test.ts",
  "test/widgets/cdn-bundle.test.ts",
  "test/widgets/explorer-layout.test.ts",
  "test/widgets/explorer-view-lenses.test.ts",
  "test/widgets/explorer-view.test.ts",
  "test/widgets/jupyterlab.test.ts",
  "test/widgets/jupyterlab-lenses.test.ts",
  "test/widgets/notebook7.test.ts",
  "test/convert/convert-on-first-use.test.ts",
  "test/convert/convert-checkpoints.test.ts",
  "test/hub/hub-hostile.test.ts",
  "test/models/pin-checkpoints.test.ts",
  "test/support/run-state.test.ts",
  "test/util/output-transaction.test.ts",
  "test/util/sha256-files.test.ts",
  "test/widgets/widgets-package.test.ts",
];

// Inference tests spawn worker threads and load ONNX sessions, and the integration tests start
// kernels, JupyterLab and Chromium: all of it must pass on 2 cores that other work keeps busy, so
// timeouts (expect.poll's too) are generous and tests wait for events, not for fixed times.
// Caches and Jupyter folders are the run's own (test/support/run-state.ts).
export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 120_000,
    expect: { poll: { timeout: 60_000 } },
    pool: "forks",
    globalSetup: ["test/support/global-setup.ts"],
    env: runStateEnv(),
    projects: [
      { extends: true, test: { name: "unit", include: ["test/**/*.test.ts"], exclude: INTEGRATION } },
      { extends: true, test: { name: "integration", include: INTEGRATION } },
    ],
  },
});
