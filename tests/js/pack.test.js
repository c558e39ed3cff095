// `npm pack` makes a tarball that installs into an empty folder and runs a
// forward pass with plain `node` (no Emscripten, no repo on the path): the
// built dist/ must be inside it.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

import { FIXTURES, ROOT } from './helpers.js';

const NEEDED = ['lst.js', 'lst.mjs', 'lst.wasm', 'lst-threaded.js', 'lst-threaded.mjs', 'lst-threaded.wasm',
  'lst-threaded.worker.js', 'package.json'];

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
    assert.ok(!files.some((f) => /^(cpp|build|tests)\//.test(f)), `the tarball holds sources: ${files.join(' ')}`);
    console.log(`# tarball ${info.filename}: ${info.size} bytes packed, ${info.unpackedSize} unpacked, ${files.length} files`);

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
