import { readFile, stat } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { InputError } from "../errors";
import type { Checkpoint } from "./checkpoint";
import { type FileSource, openFileSource } from "./file-source";
import { createSafetensorsCheckpoint, type LocatedTensor, readSafetensorsHeader } from "./safetensors";

// Real indexes list a few thousand names (a few hundred KB); anything far larger is not an index.
const MAX_INDEX_BYTES = 64 * 1024 * 1024;

/**
 * Opens a sharded safetensors checkpoint from its index (`model.safetensors.index.json`, as
 * transformers writes it: `{ "metadata": {…}, "weight_map": { tensor: shard file } }`). Every shard
 * beside the index is opened and its header validated now; `keys()` follows the weight map.
 */
export async function openShardedSafetensors(indexPath: string): Promise<Checkpoint> {
  const { weightMap, metadata } = await readIndex(indexPath);
  const folder = dirname(indexPath);
  const sources = new Map<string, FileSource>();
  try {
    const tensors = new Map<string, LocatedTensor>();
    const headers = new Map<string, Awaited<ReturnType<typeof readSafetensorsHeader>>>();
    for (const [key, shard] of Object.entries(weightMap)) {
      let header = headers.get(shard);
      if (header === undefined) {
        const source = await openShard(indexPath, join(folder, shard));
        sources.set(shard, source);
        header = await readSafetensorsHeader(source);
        headers.set(shard, header);
      }
      const entry = header.entries.get(key);
      if (entry === undefined) {
        throw new InputError(
          `"${indexPath}" maps tensor "${key}" to shard "${shard}", which does not contain it`,
        );
      }
      tensors.set(key, { source: sources.get(shard) as FileSource, entry });
    }
    return createSafetensorsCheckpoint(indexPath, tensors, [...sources.values()], metadata);
  } catch (error) {
    await Promise.all([...sources.values()].map((s) => s.close()));
    throw error;
  }
}

async function readIndex(
  indexPath: string,
): Promise<{ weightMap: Record<string, string>; metadata: Record<string, unknown> }> {
  const fail = (what: string) => new InputError(`invalid safetensors index "${indexPath}": ${what}`);
  const info = await stat(indexPath).catch((cause: Error) => {
    throw new InputError(`cannot open checkpoint "${indexPath}": ${cause.message}`, { cause });
  });
  if (info.size > MAX_INDEX_BYTES) throw fail(`${info.size} bytes, more than an index holds`);
  let json: unknown;
  try {
    json = JSON.parse(await readFile(indexPath, "utf8"));
  } catch (cause) {
    throw new InputError(`invalid safetensors index "${indexPath}": not JSON (${(cause as Error).message})`, {
      cause,
    });
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) throw fail("not a JSON object");
  const { weight_map: weightMap, metadata } = json as Record<string, unknown>;
  if (typeof weightMap !== "object" || weightMap === null || Array.isArray(weightMap)) {
    throw fail('no "weight_map" object');
  }
  for (const [key, shard] of Object.entries(weightMap)) {
    // Shards sit beside the index; a path elsewhere would let an index read any file.
    if (
      typeof shard !== "string" ||
      shard !== basename(shard) ||
      shard === ".." ||
      shard === "." ||
      shard === ""
    ) {
      throw fail(`tensor "${key}" maps to ${JSON.stringify(shard)}; expected a file name beside the index`);
    }
  }
  const facts = typeof metadata === "object" && metadata !== null && !Array.isArray(metadata) ? metadata : {};
  return { weightMap: weightMap as Record<string, string>, metadata: facts as Record<string, unknown> };
}

async function openShard(indexPath: string, shardPath: string): Promise<FileSource> {
  try {
    return await openFileSource(shardPath);
  } catch (cause) {
    throw new InputError(`"${indexPath}" names shard "${basename(shardPath)}", which cannot be opened`, {
      cause,
    });
  }
}
