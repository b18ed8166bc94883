export type {
  Comm,
  CommManager,
  CommMessage,
  CommOpenOptions,
  CommSendOptions,
  CommTargetHandler,
} from "./comm-manager";
export { type Displayable, MIME_BUNDLE, type MimeBundle, mimeBundleOf } from "./display";
export { currentKernel, type KernelApi, requireKernel } from "./kernel-api";
export { CommError, WireFormatError } from "./kernel-errors";
export {
  type InstallScope,
  installKernelspec,
  KERNEL_DISPLAY_NAME,
  KERNEL_NAME,
  uninstallKernelspec,
} from "./kernelspec";
export {
  installLabextension,
  LABEXTENSION_NAME,
  LABEXTENSION_SOURCE,
  uninstallLabextension,
} from "./labextension";
