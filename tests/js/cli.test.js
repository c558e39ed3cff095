// The package's Node command line (bin: long-short-transformer).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

import { LongShortTransformer } from '../../js/index.js';
import { ROOT, SMALL } from './helpers.js';

const cli = join(ROOT, 'js', 'cli.js');
const run = (...args) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8' });

test('generate streams text; eval prints nats and bits per byte; errors exit 1', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lst-js-cli-'));
  const model = await LongShortTransformer.create({ ...SMALL, num_tokens: 256, seed: 5, threaded: false });
  const path = join(dir, 'model.safetensors');
  writeFileSync(path, model.save());
  const want = await model.generate('Hi', { max_new_tokens: 30, do_sample: false });
  model.dispose();

  const g = run('generate', '--model', path, '--prompt', 'Hi', '--max-new-tokens', '30', '--greedy', '--threads', '1');
  assert.equal(g.status, 0, g.stderr);
  assert.equal(g.stdout, `Hi${want.text}\n`);
  assert.match(g.stderr, /30 tokens, [\d.]+ tokens\/s/);

  const text = join(dir, 'text.txt');
  writeFileSync(text, 'To be, or not to be, that is the question.\n'.repeat(20));
  const e = run('eval', '--model', path, '--data', text, '--seq', '64');
  assert.equal(e.status, 0, e.stderr);
  const m = e.stdout.match(/loss ([\d.]+) nats\/byte, ([\d.]+) bits\/byte/);
  assert.ok(m, e.stdout);
  assert.ok(Math.abs(Number(m[2]) - Number(m[1]) / Math.LN2) < 1e-3);

  for (const [args, re] of [
    [['generate', '--model', join(dir, 'missing.safetensors')], /error: .*missing\.safetensors/],
    [['eval', '--model', path], /eval needs --data/],
    [['generate', '--model', path, '--temperature', 'hot'], /generate: temperature must be a number, got "hot"/],
  ]) {
    const r = run(...args);
    assert.equal(r.status, 1, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, re);
  }
  // As `lst`: an unknown command prints the usage and exits 2.
  const u = run('frobnicate');
  assert.equal(u.status, 2, u.stderr);
  assert.match(u.stderr, /unknown command 'frobnicate'\nusage:/);
});
