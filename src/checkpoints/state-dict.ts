import { InputError } from "../errors";
import type { Checkpoint, CheckpointTensor, TensorInfo } from "./checkpoint";

/** A dict of tensors inside a checkpoint, as `listStateDicts` reports it. */
export interface StateDictCandidate {
  /** Where the dict sits: "" for the root, else its dict keys joined with "/" (`state_dict`, `teacher`). */
  path: string;
  /** How many tensors it holds directly. */
  tensors: number;
  /**
   * Leading key segments and how many tensors each covers, largest first, e.g.
   * `{ prefix: "backbone.", tensors: 150 }`. Below a segment every key shares (a wrapper such as
   * `module.`), the next level is listed too: `module.base_encoder.`, `module.momentum_encoder.`.
   */
  prefixes: { prefix: string; tensors: number }[];
}

/** What `selectStateDict` keeps: the dict at `path`, keys under `prefix` with the prefix removed. */
export interface StateDictSelection {
  /** Default "" (the root dict). */
  path?: string;
  /** Default "" (every key). */
  prefix?: string;
}

// Wrappers nest two or three deep (module.backbone., module.base_encoder.); deeper levels are model structure.
const MAX_PREFIX_DEPTH = 3;

/**
 * The dicts of tensors in `checkpoint`, most tensors first, with their key prefixes: for a training
 * checkpoint `{ state_dict, epoch, args }` one candidate `state_dict`; for DINO or iBOT
 * `teacher` and `student`. The caller, knowing the model family, picks one with `selectStateDict`.
 */
export function listStateDicts(checkpoint: Checkpoint): StateDictCandidate[] {
  const byPath = new Map<string, string[]>();
  for (const key of checkpoint.keys()) {
    const { path, name } = splitKey(key);
    const names = byPath.get(path) ?? [];
    names.push(name);
    byPath.set(path, names);
  }
  return [...byPath]
    .map(([path, names]) => ({ path, tensors: names.length, prefixes: prefixGroups(names, "", 1) }))
    .sort((a, b) => b.tensors - a.tensors || a.path.localeCompare(b.path));
}

function prefixGroups(names: string[], base: string, depth: number): { prefix: string; tensors: number }[] {
  const counts = new Map<string, number>();
  for (const name of names) {
    const dot = name.indexOf(".", base.length);
    if (dot < 0) continue;
    const prefix = name.slice(0, dot + 1);
    counts.set(prefix, (counts.get(prefix) ?? 0) + 1);
  }
  const groups = [...counts]
    .map(([prefix, tensors]) => ({ prefix, tensors }))
    .sort((a, b) => b.tensors - a.tensors || a.prefix.localeCompare(b.prefix));
  const [only] = groups;
  if (
    groups.length === 1 &&
    only !== undefined &&
    only.tensors === names.length &&
    depth < MAX_PREFIX_DEPTH
  ) {
    return [only, ...prefixGroups(names, only.prefix, depth + 1)];
  }
  return groups;
}

function splitKey(key: string): { path: string; name: string } {
  const slash = key.lastIndexOf("/");
  return slash < 0 ? { path: "", name: key } : { path: key.slice(0, slash), name: key.slice(slash + 1) };
}

/**
 * A view of one state dict in `checkpoint`: the tensors of the dict at `path` whose names start
 * with `prefix`, named without it, e.g. `{ path: "teacher", prefix: "backbone." }` turns
 * `teacher/backbone.blocks.0.norm1.weight` into `blocks.0.norm1.weight`. Closing the view closes
 * the checkpoint. InputError, listing the candidates, when nothing matches.
 *
 * @example
 * const weights = selectStateDict(await openCheckpoint("vit-b-300ep.pth.tar"), {
 *   path: "state_dict",
 *   prefix: "module.base_encoder.",
 * });
 */
export function selectStateDict(checkpoint: Checkpoint, selection: StateDictSelection = {}): Checkpoint {
  const { path = "", prefix = "" } = selection;
  const names = new Map<string, string>();
  for (const key of checkpoint.keys()) {
    const split = splitKey(key);
    if (split.path === path && split.name.startsWith(prefix)) names.set(split.name.slice(prefix.length), key);
  }
  if (names.size === 0) {
    const candidates = listStateDicts(checkpoint)
      .slice(0, 5)
      .map(
        (c) =>
          `"${c.path}" (${c.tensors} tensors; ${
            c.prefixes
              .map((p) => p.prefix)
              .slice(0, 4)
              .join(", ") || "no prefixes"
          })`,
      );
    throw new InputError(
      `no tensors in "${checkpoint.path}" at path "${path}" with prefix "${prefix}"; state dicts found: ${candidates.join("; ") || "none"}`,
    );
  }
  return new StateDictView(checkpoint, names, `path "${path}", prefix "${prefix}"`);
}

class StateDictView implements Checkpoint {
  constructor(
    private readonly checkpoint: Checkpoint,
    private readonly names: Map<string, string>,
    private readonly description: string,
  ) {}

  get path(): string {
    return this.checkpoint.path;
  }

  get format(): Checkpoint["format"] {
    return this.checkpoint.format;
  }

  get metadata(): Readonly<Record<string, unknown>> {
    return this.checkpoint.metadata;
  }

  keys(): string[] {
    return [...this.names.keys()];
  }

  info(key: string): TensorInfo {
    return this.checkpoint.info(this.fullKey(key));
  }

  async read(key: string): Promise<CheckpointTensor> {
    return this.checkpoint.read(this.fullKey(key));
  }

  close(): Promise<void> {
    return this.checkpoint.close();
  }

  private fullKey(key: string): string {
    const full = this.names.get(key);
    if (full === undefined)
      throw new InputError(`no tensor "${key}" in "${this.path}" (${this.description})`);
    return full;
  }
}
