/**
 * What cell code reaches of the running seglens kernel: comms, display, the interrupt signal.
 * The kernel registers itself under a global symbol, so every copy of this module (the kernel's,
 * the one `import … from "seglens"` loads) sees the same kernel.
 */
import type { CommManager } from "./comm-manager";
import type { MimeBundle } from "./display";
import { CommError } from "./kernel-errors";

/** The services of the running kernel. */
export interface KernelApi {
  readonly comms: CommManager;
  /** Publishes `display_data` (or `update_display_data` with `update`) for a MIME bundle. */
  display(bundle: MimeBundle, options?: { displayId?: string; update?: boolean }): void;
  /** Aborted when the user interrupts the kernel; renewed after each interrupt. */
  readonly interruptSignal: AbortSignal;
}

const KEY = Symbol.for("seglens.kernel");
type Registry = { [KEY]?: KernelApi };

/** Registers the running kernel (done once by the kernel's entry point). */
export function registerKernel(api: KernelApi | undefined): void {
  (globalThis as Registry)[KEY] = api;
}

/** The running kernel, or undefined outside a seglens kernel. */
export function currentKernel(): KernelApi | undefined {
  return (globalThis as Registry)[KEY];
}

/**
 * The running kernel; throws {@link CommError} outside one.
 * @example
 * ```ts
 * import { requireKernel } from "seglens";
 * const comm = requireKernel().comms.open("my_target", { data: { hello: 1 } });
 * ```
 */
export function requireKernel(): KernelApi {
  const api = currentKernel();
  if (api === undefined) {
    throw new CommError(
      'no seglens kernel is running: comms and widgets work in notebooks using the "TypeScript (seglens)" kernel (run `seglens install`)',
    );
  }
  return api;
}
