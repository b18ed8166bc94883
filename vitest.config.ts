import { tmpdir } from "node:os";
import { join } from "node:path";
import { defineConfig } from "vitest/config";

// Inference tests spawn worker threads and load ONNX sessions: give them room on 2 cores.
// Edited graphs go to a throwaway cache, not the user's ~/.cache/seglens.
export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: "forks",
    env: { SEGLENS_CACHE: join(tmpdir(), `seglens-vitest-${process.pid}`) },
  },
});
