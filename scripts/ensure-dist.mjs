#!/usr/bin/env node
// Makes dist/ present and current before the package is packed or installed
// from git (npm's prepack and prepare): rebuilds the WebAssembly builds only
// when their inputs changed since dist/ was built (so `npm pack` of a built
// clone needs no Emscripten), and the prebuilt model worker when the JS did.
// Fails with what to do when a build is needed and its tool is missing.
//
//   node scripts/ensure-dist.mjs [--check]   (--check: report only; exit 1 when stale)
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BUILD_INFO, ROOT, WASM_FILES, currentHashes } from './dist-inputs.mjs';

const checkOnly = process.argv.includes('--check');
const want = currentHashes();
let have = {};
try { have = JSON.parse(readFileSync(join(ROOT, BUILD_INFO), 'utf8')); } catch { /* never built */ }
const missing = WASM_FILES.filter((f) => !existsSync(join(ROOT, 'dist', f)));
const wasmStale = missing.length > 0 || have.wasm_inputs !== want.wasm_inputs;
const workerStale = !existsSync(join(ROOT, 'dist/lst-worker.js')) || have.worker_inputs !== want.worker_inputs;

if (!wasmStale && !workerStale) {
  console.log('==> dist/ is current (built from these sources)');
  process.exit(0);
}
const why = missing.length ? `missing ${missing.join(', ')}` : wasmStale ? 'the C++ sources changed since it was built' : 'the JS changed since it was built';
if (checkOnly) {
  console.error(`dist/ is stale: ${why}`);
  process.exit(1);
}
function run(cmd, args) {
  const r = spawnSync(cmd, args, { cwd: ROOT, stdio: 'inherit' });
  if (r.error?.code === 'ENOENT' || r.status !== 0) {
    console.error(`\nlong-short-transformer: dist/ needs a rebuild (${why}) and \`${cmd} ${args.join(' ')}\` failed (see above).`);
    process.exit(1);
  }
}
function fail(need) {
  console.error(`long-short-transformer: ${ROOT} has no current build in dist/ (${why}), and building it here ` +
    `needs ${need}. Either install the published package, or a tarball made by \`npm pack\` in a built clone; ` +
    `or build this clone first (as root on Debian: \`cd ${ROOT} && npm run setup && npm run build:wasm\`) and install it again.`);
  process.exit(1);
}
// Check the tools before anything runs, so that a missing one fails in a second, not after a build.
const emscripten = spawnSync('bash', ['-c', 'command -v emcmake'], { encoding: 'utf8' }).status === 0;
let esbuild = true;
try { await import('esbuild'); } catch { esbuild = false; }
if (wasmStale && !emscripten) fail('Emscripten (not found on PATH)');
if (!esbuild) fail("esbuild, a devDependency that is not installed here (a folder install doesn't install them)");
if (wasmStale) run('bash', ['scripts/build-wasm.sh']);
else run(process.execPath, ['scripts/build-worker.mjs']);
run(process.execPath, ['scripts/dist-inputs.mjs', '--write']);
