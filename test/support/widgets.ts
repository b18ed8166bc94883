import { afterEach, beforeEach } from "vitest";
import { type CommManager, createCommManager } from "../../src/kernel/comm-manager";
import { registerKernel } from "../../src/kernel/kernel-api";

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

/**
 * A kernel for widgets made in this test file, without sockets: registered before each test and
 * its widgets closed after it. `comms()` is the current test's comm manager; `frontendUpdate`
 * sends a widget a state update as a front end does.
 */
export function useWidgetKernel(): {
  comms: () => CommManager;
  frontendUpdate: (widget: { modelId: string }, state: Record<string, unknown>) => void;
} {
  let comms = createCommManager(() => undefined);
  beforeEach(() => {
    comms = createCommManager(() => undefined);
    registerKernel({ comms, display: () => undefined, interruptSignal: new AbortController().signal });
  });
  afterEach(() => {
    closeWidgets(comms);
    registerKernel(undefined);
  });
  return {
    comms: () => comms,
    frontendUpdate: (widget, state) =>
      comms.handle(
        "comm_msg",
        { comm_id: widget.modelId, data: { method: "update", state, buffer_paths: [] } },
        {},
        [],
      ),
  };
}
