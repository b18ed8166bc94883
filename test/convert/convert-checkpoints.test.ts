import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CliRun, expectOneLineFailure, runCliAsync } from "../support/cli";
import { testCacheDir } from "../support/temp";

// Research checkpoints: one at a pinned URL (MoCo v3's layout, served on loopback), one only
// shared by a drive link (SimDINO's layout, passed with --checkpoint).
const temp = testCacheDir();
const IMAGE = "models/samples/coffee.png";
const MOCO = "models/fixtures/sources/mocov3/vit-s-300ep.pth.tar";
const SIMDINO = "models/fixtures/sources/simdino/checkpoint.pth";
const sha256 = (path: string) => createHash("sha256").update(readFileSync(path)).digest("hex");
let server: http.Server;
let url: string;
let downloads = 0;

beforeAll(async () => {
  const bytes = readFileSync(MOCO);
  server = http.createServer((request, response) => {
    if (request.url !== "/moco-v3/vit-s-300ep.pth.tar") {
      response.writeHead(404).end();
      return;
    }
    downloads++;
    response.writeHead(200, { "content-length": bytes.length }).end(bytes);
  });
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/moco-v3/vit-s-300ep.pth.tar`;
  // The bundled catalog with MoCo v3 ViT-S/16's URL pointing here; its sha256 pinned or wrong.
  const catalog = JSON.parse(readFileSync("models/catalog.json", "utf8"));
  const moco = catalog.models.find((m: { id: string }) => m.id === "mocov3-vits16");
  const simdino = catalog.models.find((m: { id: string }) => m.id === "simdino-vitb16");
  catalog.models.push(
    { ...simdino, id: "simdino-tiny", convert: { ...simdino.convert, heads: 4 } },
    { ...moco, id: "moco-pinned", convert: { ...moco.convert, url, sha256: sha256(MOCO), heads: 4 } },
    { ...moco, id: "moco-wrong", convert: { ...moco.convert, url, sha256: "0".repeat(64), heads: 4 } },
  );
  writeFileSync(join(temp.path, "catalog.json"), JSON.stringify(catalog));
});
afterAll(async () => {
  await new Promise((done) => server.close(done));
  temp.remove();
});

function seglens(...args: string[]): Promise<CliRun> {
  return seglensWith({}, ...args);
}

function seglensWith(env: Record<string, string>, ...args: string[]): Promise<CliRun> {
  return runCliAsync(args, {
    ...process.env,
    SEGLENS_CATALOG: join(temp.path, "catalog.json"),
    SEGLENS_CACHE: join(temp.path, "seglens"),
    HF_HUB_OFFLINE: "",
    SEGLENS_MEMORY_LIMIT: "",
    ...env,
  });
}

/** `seglens features` of SimDINO's layout from --checkpoint: it converts, and meta.json names the file's sha256. */
async function expectSimdinoConverted(out: string, env: Record<string, string>): Promise<void> {
  const run = await seglensWith(
    env,
    "features",
    "--model",
    "simdino-tiny",
    "--checkpoint",
    SIMDINO,
    "--images",
    IMAGE,
    "--reps",
    "tokens",
    "--out",
    out,
  );
  expect(run.status, run.stderr).toBe(0);
  const meta = JSON.parse(readFileSync(join(out, "meta.json"), "utf8"));
  expect(meta.provenance.conversion.source).toEqual({ sha256: sha256(SIMDINO) });
}

describe("research checkpoints converted on first use", () => {
  it("a pinned URL is downloaded once, checked against its sha256, converted, and reused without a download", async () => {
    const out = join(temp.path, "moco");
    const run = await seglens(
      "features",
      "--model",
      "moco-pinned",
      "--images",
      IMAGE,
      "--layers",
      "2",
      "--reps",
      "tokens",
      "--out",
      out,
    );
    expect(run.stderr).toMatch(
      /^note: converting "moco-pinned" from http:\/\/127\.0\.0\.1:\d+\/moco-v3\/vit-s-300ep\.pth\.tar once/m,
    );
    expect(run.status).toBe(0);
    const meta = JSON.parse(readFileSync(join(out, "meta.json"), "utf8"));
    expect(meta.provenance.conversion).toEqual({ converter: 1, source: { sha256: sha256(MOCO) } });
    expect(meta).toMatchObject({ num_layers: 2, prefix_tokens: 1, grid: [28, 28] });
    expect(downloads).toBe(1);
    const again = await seglens(
      "features",
      "--model",
      "moco-pinned",
      "--images",
      IMAGE,
      "--layers",
      "2",
      "--reps",
      "tokens",
      "--out",
      join(temp.path, "moco2"),
    );
    expect(again.status).toBe(0);
    expect(again.stderr).not.toMatch(/converting/);
    expect(downloads).toBe(1);
  });

  it("a download whose sha256 differs from the pinned one is refused in one line", async () => {
    const run = await seglens(
      "features",
      "--model",
      "moco-wrong",
      "--images",
      IMAGE,
      "--out",
      join(temp.path, "wrong"),
    );
    expectOneLineFailure(run, /sha256/);
  });

  it("a drive-only checkpoint: without --checkpoint one line says where to get it; with it, it converts", async () => {
    const without = await seglens(
      "features",
      "--model",
      "simdino-tiny",
      "--images",
      IMAGE,
      "--out",
      join(temp.path, "no"),
    );
    expectOneLineFailure(
      without,
      /"simdino-tiny" is only shared by a download link .*: download it and pass --checkpoint PATH/,
    );
    await expectSimdinoConverted(join(temp.path, "simdino"), {});
  });

  it("--checkpoint for a model seglens does not convert is refused in one line", async () => {
    const run = await seglens(
      "features",
      "--model",
      "models/fixtures/dinov2-tf4",
      "--checkpoint",
      SIMDINO,
      "--images",
      IMAGE,
      "--out",
      join(temp.path, "x"),
    );
    expectOneLineFailure(run, /--checkpoint applies to catalog models that seglens converts/);
  });

  it("offline, a drive-only checkpoint passed with --checkpoint still converts (it needs no network)", async () => {
    await expectSimdinoConverted(join(temp.path, "simdino-offline"), {
      HF_HUB_OFFLINE: "1",
      SEGLENS_CACHE: join(temp.path, "seglens-offline"),
    });
  });

  it("--checkpoint for a model converted from the Hub is refused in one line naming its repo", async () => {
    const run = await seglens(
      "features",
      "--model",
      "mae-base",
      "--checkpoint",
      SIMDINO,
      "--images",
      IMAGE,
      "--out",
      join(temp.path, "mae"),
    );
    expectOneLineFailure(
      run,
      /--checkpoint applies to models converted from a research checkpoint .*"mae-base" is converted from the Hub repo facebook\/vit-mae-base/,
    );
  });
});
