/**
 * The `jupyter.widget.control` comm: a front end that (re)connects asks for every widget's
 * state with `request_states` and waits for `update_states` (ipywidgets protocol 2.1.0).
 */
import type { CommManager } from "../comm-manager";
import { type BufferPath, removeBuffers } from "./buffer-paths";
import { liveWidgets } from "./widget";

/** Registers the control target on a kernel's comms. */
export function registerWidgetControl(comms: CommManager): void {
  comms.registerTarget("jupyter.widget.control", (comm) => {
    comm.onMessage((message) => {
      if (message.data.method !== "request_states") return;
      const states: Record<string, unknown> = {};
      const buffer_paths: BufferPath[] = [];
      const buffers: Uint8Array[] = [];
      for (const [id, widget] of liveWidgets()) {
        const split = removeBuffers(widget.fullState());
        const spec = widget.spec;
        states[id] = {
          model_name: spec.modelName,
          model_module: spec.modelModule,
          model_module_version: spec.modelModuleVersion,
          state: split.state,
        };
        for (const path of split.buffer_paths) buffer_paths.push([id, "state", ...path]);
        buffers.push(...split.buffers);
      }
      comm.send(
        { method: "update_states", states: states as never, buffer_paths: buffer_paths as never },
        { buffers },
      );
    });
  });
}
