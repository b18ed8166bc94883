import { closeSync, openSync, writeSync } from "node:fs";
import { open } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { openCheckpoint } from "../../src/checkpoints/index";
import { testCacheDir } from "../support/temp";
import { op, pickleBytes } from "./pickle-bytes";

// Opt-in (SEGLENS_BENCH_CHECKPOINTS=1): writes ~400 MB per format to a temp folder and prints MB/s.
const enabled = process.env.SEGLENS_BENCH_CHECKPOINTS === "1";
const TENSORS = 100;
const ROWS = 1024;
const COLS = 1024;

const temp = testCacheDir();
afterAll(() => temp.remove());

const codes = { float32: "F32", float16: "F16", bfloat16: "BF16" } as const;
const widths = { float32: 4, float16: 2, bfloat16: 2 } as const;

/** A safetensors file of TENSORS × [ROWS, COLS] tensors of `dtype`, written in chunks. */
function writeBigSafetensors(dtype: keyof typeof codes, path: string): number {
  const bytes = ROWS * COLS * widths[dtype];
  const header: Record<string, unknown> = {};
  for (let i = 0; i < TENSORS; i++) {
    header[`blocks.${i}.weight`] = {
      dtype: codes[dtype],
      shape: [ROWS, COLS],
      data_offsets: [i * bytes, (i + 1) * bytes],
    };
  }
  const json = Buffer.from(JSON.stringify(header));
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(json.length));
  const chunk = Buffer.alloc(bytes);
  for (let i = 0; i < chunk.length; i++) chunk[i] = (i * 2654435761) >>> 24;
  const fd = openSync(path, "w");
  writeSync(fd, length);
  writeSync(fd, json);
  for (let i = 0; i < TENSORS; i++) writeSync(fd, chunk);
  closeSync(fd);
  return 8 + json.length + TENSORS * bytes;
}

/** A torch-layout zip with one float32 storage per tensor, stored, written in chunks. */
function writeBigTorchZip(path: string): number {
  const bytes = ROWS * COLS * 4;
  const pickle = pickleBytes(
    op.proto(2),
    op.emptyDict,
    Array.from({ length: TENSORS }, (_, i) => [
      ...op.str(`blocks.${i}.weight`),
      ...op.global("torch._utils", "_rebuild_tensor_v2"),
      ...op.mark,
      ...[
        ...op.mark,
        ...op.str("storage"),
        ...op.global("torch", "FloatStorage"),
        ...op.str(String(i)),
        ...op.str("cpu"),
      ],
      ...op.int(ROWS * COLS),
      ...op.tuple,
      ...op.binPersId,
      ...op.int(0),
      ...[...op.mark, ...op.int(ROWS), ...op.int(COLS), ...op.tuple],
      ...[...op.mark, ...op.int(COLS), ...op.int(1), ...op.tuple],
      ...op.newFalse,
      ...op.none,
      ...op.tuple,
      ...op.reduce,
      ...op.setItem,
    ]).flat(),
    op.stop,
  );
  const entries: [string, Uint8Array | number][] = [["archive/data.pkl", pickle]];
  for (let i = 0; i < TENSORS; i++) entries.push([`archive/data/${i}`, bytes]);
  const chunk = Buffer.alloc(bytes, 0x3f);
  const fd = openSync(path, "w");
  const central: Buffer[] = [];
  let offset = 0;
  for (const [name, data] of entries) {
    const size = typeof data === "number" ? data : data.length;
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt32LE(size, 18);
    local.writeUInt32LE(size, 22);
    local.writeUInt16LE(name.length, 26);
    writeSync(fd, local);
    writeSync(fd, Buffer.from(name));
    writeSync(fd, typeof data === "number" ? chunk : data);
    const header = Buffer.alloc(46);
    header.writeUInt32LE(0x02014b50, 0);
    header.writeUInt32LE(size, 20);
    header.writeUInt32LE(size, 24);
    header.writeUInt16LE(name.length, 28);
    header.writeUInt32LE(offset, 42);
    central.push(header, Buffer.from(name));
    offset += 30 + name.length + size;
  }
  const directory = Buffer.concat(central);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  writeSync(fd, directory);
  writeSync(fd, end);
  closeSync(fd);
  return offset + directory.length + end.length;
}

/** Plain positional reads of the whole file in 4 MiB chunks into one buffer: the ceiling to compare with. */
async function baselineSeconds(path: string): Promise<number> {
  const handle = await open(path, "r");
  const chunk = Buffer.allocUnsafeSlow(4 << 20);
  const start = performance.now();
  for (let at = 0; ; at += chunk.length) {
    const { bytesRead } = await handle.read(chunk, 0, chunk.length, at);
    if (bytesRead === 0) break;
  }
  const seconds = (performance.now() - start) / 1000;
  await handle.close();
  return seconds;
}

async function measure(label: string, path: string, fileBytes: number): Promise<void> {
  const baseline = await baselineSeconds(path);
  const rssBefore = process.memoryUsage().rss;
  const opened = performance.now();
  const checkpoint = await openCheckpoint(path);
  const openMs = performance.now() - opened;
  const afterOpen = process.memoryUsage().rss;
  const start = performance.now();
  const cpuStart = process.cpuUsage();
  let elements = 0;
  for (const key of checkpoint.keys()) elements += (await checkpoint.read(key)).data.length;
  const seconds = (performance.now() - start) / 1000;
  const cpu = process.cpuUsage(cpuStart);
  // CPU time (user + system, this process) says what the reads cost when the machine is shared.
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  await checkpoint.close();
  expect(elements).toBe(TENSORS * ROWS * COLS);
  const mb = fileBytes / 1e6;
  process.stdout.write(
    `${label}: ${mb.toFixed(0)} MB in ${seconds.toFixed(2)} s = ${(mb / seconds).toFixed(0)} MB/s, ${(mb / cpuSeconds).toFixed(0)} MB per CPU second (plain fs reads ${(mb / baseline).toFixed(0)} MB/s; open ${openMs.toFixed(1)} ms, RSS ${((afterOpen - rssBefore) / 1e6).toFixed(1)} MB more after open)\n`,
  );
}

describe.runIf(enabled)("checkpoint read speed (warm page cache)", () => {
  for (const dtype of ["float32", "float16", "bfloat16"] as const) {
    it(`safetensors ${dtype}`, async () => {
      const path = join(temp.path, `${dtype}.safetensors`);
      await measure(`safetensors ${dtype}`, path, writeBigSafetensors(dtype, path));
    }, 600_000);
  }

  it("torch zip float32", async () => {
    const path = join(temp.path, "big.pth");
    await measure("torch zip float32", path, writeBigTorchZip(path));
  }, 600_000);
});
