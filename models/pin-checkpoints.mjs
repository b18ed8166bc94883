#!/usr/bin/env node
// Pins the research checkpoints the catalog downloads by URL: fetches each URL whose `sha256` is
// still null (all of them with --all), hashes it while it streams (nothing is kept on disk) and
// writes the sha256 into the catalog, so every later download is checked against it. Needs
// internet; run it once when a URL is added:  node models/pin-checkpoints.mjs [--all] [CATALOG]
import { createHash } from "node:crypto";
import { readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const args = process.argv.slice(2);
const all = args.includes("--all");
const path = resolve(args.find((a) => a !== "--all") ?? join(dirname(fileURLToPath(import.meta.url)), "catalog.json"));

async function sha256Of(url) {
  const response = await fetch(url, { redirect: "follow", signal: AbortSignal.timeout(30 * 60_000) });
  if (!response.ok || response.body === null) throw new Error(`${url} answered HTTP ${response.status}`);
  const hash = createHash("sha256");
  const total = Number(response.headers.get("content-length") ?? 0);
  let done = 0;
  for await (const chunk of response.body) {
    hash.update(chunk);
    done += chunk.length;
    if (process.stderr.isTTY && total > 0)
      process.stderr.write(`\r  ${(done / 1e6).toFixed(0)} of ${(total / 1e6).toFixed(0)} MB\x1b[K`);
  }
  if (process.stderr.isTTY) process.stderr.write("\r\x1b[K");
  return { sha256: hash.digest("hex"), bytes: done };
}

let text = readFileSync(path, "utf8");
const models = JSON.parse(text).models.filter(
  (m) => m.convert?.from === "url" && (all || m.convert.sha256 === null),
);
if (models.length === 0) console.log("pin-checkpoints: every URL checkpoint is pinned already");
for (const model of models) {
  const { url } = model.convert;
  process.stdout.write(`pin-checkpoints: ${model.id}: ${url}\n`);
  let pinned;
  try {
    pinned = await sha256Of(url);
  } catch (error) {
    process.stderr.write(`pin-checkpoints: ${model.id}: ${error.cause?.message ?? error.message}\n`);
    process.exitCode = 1;
    continue;
  }
  // A text edit of this entry's recipe, so the catalog keeps its layout.
  const at = text.indexOf(`"url": ${JSON.stringify(url)}`);
  const field = /"sha256": (null|"[0-9a-f]{64}")/g;
  field.lastIndex = at;
  const found = field.exec(text);
  if (at < 0 || found === null) throw new Error(`no sha256 field after ${model.id}'s url in ${path}`);
  text = `${text.slice(0, found.index)}"sha256": "${pinned.sha256}"${text.slice(found.index + found[0].length)}`;
  process.stdout.write(`  sha256 ${pinned.sha256} (${(pinned.bytes / 1e6).toFixed(1)} MB)\n`);
}
// Written whole or not at all.
writeFileSync(`${path}.partial`, text);
renameSync(`${path}.partial`, path);
