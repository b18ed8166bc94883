import { open } from "node:fs/promises";
import { InputError } from "../errors";
import type { Checkpoint } from "./checkpoint";
import { openSafetensors } from "./safetensors";
import { openShardedSafetensors } from "./safetensors-index";
import { openTorchCheckpoint } from "./torch-checkpoint";

/**
 * Opens a weights checkpoint of any supported format, chosen by its content: a `.safetensors`
 * file, a sharded safetensors index (`model.safetensors.index.json`), or a torch zip checkpoint
 * (`.pth`, `.pth.tar`, `pytorch_model.bin`). Nothing is read beyond headers until `read`.
 * InputError for a missing, empty, corrupt or unrecognised file; UnsupportedModelError for a
 * valid file seglens cannot read (torch's legacy format, compressed zip entries other than deflate).
 *
 * @example
 * const checkpoint = await openCheckpoint("dino_vitbase16_pretrain.pth");
 * checkpoint.keys(); // ["cls_token", "pos_embed", "patch_embed.proj.weight", …]
 */
export async function openCheckpoint(path: string): Promise<Checkpoint> {
  if (path.endsWith(".index.json")) return openShardedSafetensors(path);
  const head = await readHead(path);
  if (head.length === 0) throw new InputError(`checkpoint "${path}" is empty (0 bytes)`);
  const text = Buffer.from(head).toString("latin1");
  // Zip archives start with a local file header; the legacy torch format with a pickle PROTO opcode.
  if (text.startsWith("PK\x03\x04") || text.startsWith("PK\x05\x06") || head[0] === 0x80) {
    return openTorchCheckpoint(path);
  }
  // safetensors: an 8-byte header length, then the JSON header's "{".
  if (text[8] === "{" || path.endsWith(".safetensors")) return openSafetensors(path);
  throw new InputError(
    `"${path}" is not a checkpoint seglens reads; expected safetensors (.safetensors, model.safetensors.index.json) or a torch zip checkpoint (.pth, .pth.tar, .bin)`,
  );
}

async function readHead(path: string): Promise<Uint8Array> {
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(path, "r");
  } catch (cause) {
    throw new InputError(`cannot open checkpoint "${path}": ${(cause as Error).message}`, { cause });
  }
  try {
    if ((await handle.stat()).isDirectory()) {
      throw new InputError(
        `checkpoint "${path}" is a folder; pass the weights file in it (model.safetensors, model.safetensors.index.json, a .pth or .bin)`,
      );
    }
    const head = new Uint8Array(16);
    const { bytesRead } = await handle.read(head, 0, head.length, 0);
    return head.subarray(0, bytesRead);
  } catch (cause) {
    if (cause instanceof InputError) throw cause;
    throw new InputError(`cannot read checkpoint "${path}": ${(cause as Error).message}`, { cause });
  } finally {
    await handle.close();
  }
}
