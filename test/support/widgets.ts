import type { CommManager } from "../../src/kernel/comm-manager";

/**
 * Closes every comm still open in `comms`, as a front end does when its notebook closes: each
 * widget a test made stops its work (computations, background precomputation, timers) instead of
 * running on into later tests.
 */
export function closeWidgets(comms: CommManager): void {
  for (const commId of Object.keys(comms.info().comms)) {
    comms.handle("comm_close", { comm_id: commId, data: {} }, {}, []);
  }
}
