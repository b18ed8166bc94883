import { InputError } from "../errors";
import { type FileChoice, type LocalModel, resolveLocalModel } from "./local-model";

/**
 * Resolves a model argument (design §3): an existing local path first; catalog ids and Hub ids
 * `org/name[@revision]` come next (issue 3).
 */
export function resolveModel(arg: string, choice: FileChoice = {}): LocalModel {
  if (arg.trim() === "")
    throw new InputError("no model given: pass --model with a folder, an .onnx file or a model id");
  const local = resolveLocalModel(arg, choice);
  if (local !== undefined) return local;
  throw new InputError(
    `model "${arg}" not found: it is not an existing folder or .onnx file (catalog ids and Hub downloads are not available in this version)`,
  );
}
