import { defineConfig } from "vitest/config";

// Inference tests spawn worker threads and load ONNX sessions: give them room on 2 cores.
export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: "forks",
  },
});
