// Type-checks js/index.d.ts against tests/js/types.test-d.ts with the
// devDependency `typescript` (skipped when it is not installed).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';

import { ROOT } from './helpers.js';

const tsc = join(ROOT, 'node_modules/typescript/bin/tsc');

test('index.d.ts type test (tsc --noEmit)', { skip: !existsSync(tsc) && 'typescript not installed (npm install)' }, () => {
  const r = spawnSync(process.execPath, [tsc, '--noEmit', '-p', join(ROOT, 'tests/js/tsconfig.json')], { encoding: 'utf8' });
  assert.equal(r.status, 0, `tsc failed:\n${r.stdout}${r.stderr}`);
});
