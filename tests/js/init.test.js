// The seeded init is the same natively and in wasm: `lst create --seed S`
// and LongShortTransformer.create({ seed: S }).save() write identical bytes.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

import { LongShortTransformer } from '../../js/index.js';
import { ROOT, SMALL, VARIANTS } from './helpers.js';

test('same seed, same initial weights natively and in both wasm builds', async () => {
  const out = join(mkdtempSync(join(tmpdir(), 'lst-init-')), 'native.safetensors');
  const config = { ...SMALL, num_tokens: 97 };
  const r = spawnSync(join(ROOT, 'build/lst'), ['create', '--seed', '12345', '--out', out, '--config', JSON.stringify(config)], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const native = new Uint8Array(readFileSync(out));
  for (const variant of VARIANTS) {
    const m = await LongShortTransformer.create({ ...config, seed: 12345, ...variant.options });
    const bytes = m.save();
    m.dispose();
    assert.equal(bytes.length, native.length);
    assert.ok(Buffer.compare(Buffer.from(bytes), Buffer.from(native)) === 0, `${variant.name}: weights differ`);
  }
  const other = await LongShortTransformer.create({ ...config, seed: 12346, threaded: false });
  assert.ok(Buffer.compare(Buffer.from(other.save()), Buffer.from(native)) !== 0, 'another seed gives other weights');
  other.dispose();
});
