#!/usr/bin/env node
// What dist/ is built from, as two hashes recorded in dist/build-info.json:
// the WebAssembly builds' inputs (C++ sources, CMake, the build script) and
// the prebuilt model worker's (the JS). scripts/ensure-dist.mjs compares them.
//
//   node scripts/dist-inputs.mjs --write   (records the current hashes; build-wasm.sh calls it)
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const BUILD_INFO = 'dist/build-info.json';
export const WASM_FILES = ['lst.js', 'lst.mjs', 'lst.wasm', 'lst-threaded.js', 'lst-threaded.mjs', 'lst-threaded.wasm',
  'lst-threaded.worker.js', 'lst-relaxed.js', 'lst-relaxed.mjs', 'lst-relaxed.wasm', 'lst-threaded-relaxed.js',
  'lst-threaded-relaxed.mjs', 'lst-threaded-relaxed.wasm', 'lst-threaded-relaxed.worker.js', 'package.json'];

function files(path) {
  const abs = join(ROOT, path);
  if (!statSync(abs, { throwIfNoEntry: false })) return [];
  if (!statSync(abs).isDirectory()) return [abs];
  return readdirSync(abs, { withFileTypes: true })
    .flatMap((e) => files(join(path, e.name)))
    .sort();
}

function hash(paths) {
  const h = createHash('sha256');
  for (const f of paths.flatMap(files)) h.update(relative(ROOT, f)).update('\0').update(readFileSync(f)).update('\0');
  return h.digest('hex').slice(0, 16);
}

export function currentHashes() {
  return {
    wasm_inputs: hash(['cpp', 'CMakeLists.txt', 'scripts/build-wasm.sh', 'scripts/wasm-relaxed-opcodes.mjs']),
    worker_inputs: hash(['js', 'scripts/build-worker.mjs']),
  };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url) && process.argv.includes('--write')) {
  writeFileSync(join(ROOT, BUILD_INFO), `${JSON.stringify(currentHashes(), null, 2)}\n`);
}
