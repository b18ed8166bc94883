export {
  type Checkpoint,
  type CheckpointDtype,
  type CheckpointTensor,
  DTYPE_BYTES,
  type TensorInfo,
  WEIGHT_DTYPES,
} from "./checkpoint";
export { openCheckpoint } from "./open-checkpoint";
export { openSafetensors } from "./safetensors";
export { openShardedSafetensors } from "./safetensors-index";
export {
  listStateDicts,
  type StateDictCandidate,
  type StateDictSelection,
  selectStateDict,
} from "./state-dict";
export { openTorchCheckpoint } from "./torch-checkpoint";
