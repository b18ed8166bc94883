import { mkdirSync, rmSync } from "node:fs";
import { RUN_STATE_DIR } from "./run-state";

/** Makes the run's state folder before the tests and removes it after them. */
export default function setup(): () => void {
  mkdirSync(RUN_STATE_DIR, { recursive: true });
  return () => rmSync(RUN_STATE_DIR, { recursive: true, force: true });
}
