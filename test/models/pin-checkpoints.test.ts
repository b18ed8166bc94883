import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testCacheDir } from "../support/temp";

// models/pin-checkpoints.mjs against a loopback server standing in for the research URLs.
const temp = testCacheDir();
const MOCO = "models/fixtures/sources/mocov3/vit-s-300ep.pth.tar";
const CATALOG = "models/catalog.json";
let server: http.Server;
let base: string;

beforeAll(async () => {
  const bytes = readFileSync(MOCO);
  server = http.createServer((request, response) => {
    if (request.url === "/moco.pth.tar")
      response.writeHead(200, { "content-length": bytes.length }).end(bytes);
    else response.writeHead(404).end();
  });
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((done) => server.close(done));
  temp.remove();
});

const urlOf = (text: string, id: string): string => {
  const model = JSON.parse(text).models.find((m: { id: string }) => m.id === id);
  return model.convert.url as string;
};

describe("models/pin-checkpoints.mjs", () => {
  it("pins the sha256 of every unpinned URL it can fetch, says which failed, and leaves the rest of the catalog as it was", async () => {
    const original = readFileSync(CATALOG, "utf8");
    const text = original
      .replace(urlOf(original, "mocov3-vits16"), `${base}/moco.pth.tar`)
      .replace(urlOf(original, "ibot-vits16"), `${base}/gone.pth`);
    const path = join(temp.path, "catalog.json");
    writeFileSync(path, text);
    const run = await promisify(execFile)(process.execPath, ["models/pin-checkpoints.mjs", path]).catch(
      (error: { code: number; stdout: string; stderr: string }) => error,
    );
    expect("code" in run ? run.code : 0).toBe(1);
    expect(run.stderr).toMatch(/^pin-checkpoints: ibot-vits16: .*gone\.pth answered HTTP 404$/m);
    const pinned = readFileSync(path, "utf8");
    const sha256 = createHash("sha256").update(readFileSync(MOCO)).digest("hex");
    const models = JSON.parse(pinned).models as { id: string; convert?: { sha256?: string | null } }[];
    expect(models.find((m) => m.id === "mocov3-vits16")?.convert?.sha256).toBe(sha256);
    expect(models.find((m) => m.id === "ibot-vits16")?.convert?.sha256).toBeNull();
    // Only that one field changed: the catalog keeps its layout.
    expect(pinned.replace(`"sha256": "${sha256}"`, '"sha256": null')).toBe(text);
  });
});
