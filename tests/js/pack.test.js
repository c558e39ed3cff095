// `npm pack` makes a tarball that installs into an empty folder and runs a
// forward pass with plain `node` (no Emscripten, no repo on the path): the
// built dist/ must be inside it.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

import { FIXTURES, ROOT } from './helpers.js';

const NEEDED = ['lst.js', 'lst.mjs', 'lst.wasm', 'lst-threaded.js', 'lst-threaded.mjs', 'lst-threaded.wasm',
  'lst-threaded.worker.js', 'lst-relaxed.js', 'lst-relaxed.mjs', 'lst-relaxed.wasm', 'lst-threaded-relaxed.js',
  'lst-threaded-relaxed.mjs', 'lst-threaded-relaxed.wasm', 'lst-threaded-relaxed.worker.js', 'lst-worker.js',
  'build-info.json', 'package.json'];

/** A PATH with node, bash and sh only: no Emscripten (nor anything else). */
function barePath(dir) {
  mkdirSync(dir);
  for (const tool of ['node', 'bash', 'sh', 'env']) {
    const found = execFileSync('bash', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).trim();
    symlinkSync(realpathSync(found), join(dir, tool));
  }
  return dir;
}
const NPM_CLI = realpathSync(execFileSync('bash', ['-c', 'command -v npm'], { encoding: 'utf8' }).trim());

test('npm pack -> install into an empty folder -> forward pass', { timeout: 180_000 }, () => {
  for (const f of NEEDED) {
    assert.ok(existsSync(join(ROOT, 'dist', f)), `dist/${f} is missing: run \`npm run build:wasm\` first`);
  }
  const tmp = mkdtempSync(join(tmpdir(), 'lst-pack-'));
  try {
    // --ignore-scripts: prepack would rebuild dist/, which the suite has just built.
    const out = execFileSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', tmp],
      { cwd: ROOT, encoding: 'utf8' });
    const [info] = JSON.parse(out);
    const files = info.files.map((f) => f.path);
    for (const f of NEEDED) assert.ok(files.includes(`dist/${f}`), `the tarball lacks dist/${f}`);
    assert.ok(files.includes('js/index.js') && files.includes('js/index.d.ts'));
    assert.ok(files.includes('MODEL.md') && files.includes('models/tinyshakespeare.safetensors'));
    assert.ok(!files.some((f) => /^(cpp|build|tests)\//.test(f)), `the tarball holds sources: ${files.join(' ')}`);
    console.log(`# tarball ${info.filename}: ${info.size} bytes packed, ${info.unpackedSize} unpacked, ${files.length} files`);
    for (const f of info.files) console.log(`#   ${String(f.size).padStart(9)}  ${f.path}`);

    const app = join(tmp, 'app');
    execFileSync('mkdir', [app]);
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
    execFileSync('npm', ['install', '--offline', '--no-audit', '--no-fund', '--ignore-scripts', join(tmp, info.filename)],
      { cwd: app, encoding: 'utf8' });
    assert.deepEqual(readdirSync(join(app, 'node_modules')).filter((d) => !d.startsWith('.')), ['long-short-transformer']);
    copyFileSync(join(FIXTURES, 'v1_nc_nomask.safetensors'), join(app, 'model.safetensors'));
    writeFileSync(join(app, 'run.mjs'), `
import { LongShortTransformer, SafetensorsFile } from 'long-short-transformer';
import { readFileSync } from 'node:fs';
const bytes = new Uint8Array(readFileSync('model.safetensors'));
const file = new SafetensorsFile(bytes);
const tokens = file.get('input.tokens'), expected = file.get('output.logits').data;
for (const threaded of [false, true]) {
  const model = await LongShortTransformer.load('model.safetensors', { threaded, threads: threaded ? 2 : 1 });
  const { data, dims } = model.forward(tokens.data, { dims: tokens.dims });
  let err = 0;
  for (let i = 0; i < data.length; i++) err = Math.max(err, Math.abs(data[i] - expected[i]));
  console.log(JSON.stringify({ variant: model.runtime.variant, dims, err }));
  model.dispose();
}
`);
    // CommonJS users: require() of the package (Node >= 20.19 loads ES modules synchronously),
    // and what `exports` makes reachable.
    writeFileSync(join(app, 'run.cjs'), `
const { LongShortTransformer, bundledModelUrl } = require('long-short-transformer');
for (const sub of ['worker', 'models/tinyshakespeare.safetensors', 'MODEL.md', 'dist/lst.wasm']) require.resolve('long-short-transformer/' + sub);
LongShortTransformer.load(bundledModelUrl, { threaded: false }).then(async (m) => {
  const r = await m.generate('ROMEO:', { max_new_tokens: 8, seed: 1 });
  console.log(JSON.stringify({ n: r.tokens.length, text: typeof r.text }));
  m.dispose();
});
`);
    const cjs = JSON.parse(execFileSync(process.execPath, ['run.cjs'], { cwd: app, encoding: 'utf8', timeout: 60_000 }));
    assert.deepEqual(cjs, { n: 8, text: 'string' });
    // Plain node, in the app folder, without the repo's environment.
    const env = { PATH: process.env.PATH, HOME: tmp };
    const lines = execFileSync(process.execPath, ['run.mjs'], { cwd: app, env, encoding: 'utf8', timeout: 60_000 })
      .trim().split('\n').map((l) => JSON.parse(l));
    assert.deepEqual(lines.map((l) => l.variant), ['single', 'threaded']);
    for (const l of lines) {
      assert.deepEqual(l.dims, [2, 32, 96]);
      assert.ok(l.err <= 5e-5, `installed package: max abs error ${l.err}`);
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

test('the repo folder installs as a dependency (npm install <repo>) and imports by name', { timeout: 120_000 }, () => {
  const app = mkdtempSync(join(tmpdir(), 'lst-folder-'));
  try {
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
    execFileSync('npm', ['install', '--offline', '--no-audit', '--no-fund', '--ignore-scripts', '--install-links=false', ROOT],
      { cwd: app, encoding: 'utf8' });
    writeFileSync(join(app, 'run.mjs'), `
import { LongShortTransformer } from 'long-short-transformer';
const m = await LongShortTransformer.create({ num_tokens: 20, dim: 16, depth: 1, max_seq_len: 16, heads: 2, dim_head: 8,
  window_size: 4, causal: true, segment_size: 4, r: 1, threads: 2 });
console.log(JSON.stringify({ dims: m.forward([1, 2, 3]).dims, variant: m.runtime.variant }));
m.dispose();
`);
    const out = JSON.parse(execFileSync(process.execPath, ['run.mjs'], { cwd: app, encoding: 'utf8', timeout: 60_000 }));
    assert.deepEqual(out, { dims: [1, 3, 20], variant: 'threaded' });
  } finally {
    rmSync(app, { recursive: true, force: true });
  }
});

test('dist/ is current, and npm pack needs no Emscripten then', { timeout: 120_000 }, () => {
  const check = spawnSync(process.execPath, ['scripts/ensure-dist.mjs', '--check'], { cwd: ROOT, encoding: 'utf8' });
  assert.equal(check.status, 0, `dist/ is stale: ${check.stderr} (run npm run build:wasm)`);
  const tmp = mkdtempSync(join(tmpdir(), 'lst-nopath-'));
  try {
    const PATH = barePath(join(tmp, 'bin'));
    // Not --ignore-scripts: prepack runs, finds dist/ current and builds nothing.
    const r = spawnSync(process.execPath, [NPM_CLI, 'pack', '--dry-run', '--json'], {
      cwd: ROOT, encoding: 'utf8', env: { PATH, HOME: tmp }, timeout: 60_000,
    });
    assert.equal(r.status, 0, `npm pack without Emscripten failed:\n${r.stderr}`);
    assert.match(r.stderr + r.stdout, /dist\/ is current/);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

test('a folder install of an unbuilt clone fails at install time, saying how to get a working package', { timeout: 120_000 }, () => {
  const tmp = mkdtempSync(join(tmpdir(), 'lst-clone-'));
  try {
    const clone = join(tmp, 'clone');
    execFileSync('git', ['clone', '-q', '--no-hardlinks', ROOT, clone]);
    const app = join(tmp, 'app');
    mkdirSync(app);
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true }));
    const r = spawnSync('npm', ['install', '--offline', '--no-audit', '--no-fund', `file:${clone}`],
      { cwd: app, encoding: 'utf8', timeout: 60_000 });
    assert.notEqual(r.status, 0, 'the install of an unbuilt clone succeeded');
    assert.match(r.stderr, /has no current build in dist\/.*install the published package, or a tarball made by `npm pack`/s);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});
