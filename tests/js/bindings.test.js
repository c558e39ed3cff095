// The Embind layer itself (below the JS checks): every C++ exception comes
// back as its message and the instance keeps working. Both builds.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { instantiate, terminateWorkers } from '../../js/runtime/instantiate.js';
import { FIXTURES, SMALL, readBytes } from './helpers.js';

for (const [variant, threads] of [['single', 1], ['threaded', 2]]) {
  test(`C++ errors become messages, the instance survives (${variant})`, async () => {
    const M = await instantiate(variant, { threads });
    const m = new M.WasmModel();
    try {
      assert.equal(m.forward(1, 1, false), false);
      assert.equal(m.error(), 'no model loaded');
      assert.equal(m.initRandom('{"num_tokens": 5', 0, threads, '', ''), false);
      assert.match(m.error(), /config: invalid JSON/);
      assert.equal(m.initRandom(JSON.stringify(SMALL), 0, threads, 'nope', ''), false);
      assert.match(m.error(), /unknown GEMM backend "nope"/);
      assert.equal(m.initRandom(JSON.stringify(SMALL), 0.5, threads, '', ''), false);
      assert.match(m.error(), /seed must be an integer/);
      assert.ok(m.initRandom(JSON.stringify(SMALL), 0, threads, '', ''), m.error());
      assert.equal(m.numThreads(), threads);

      const tokens = m.inputTokens(4);
      tokens.set([1, 2, 3, 4]);
      assert.ok(m.forward(1, 4, false), m.error());
      const ref = m.logits().slice();
      assert.equal(ref.length, 4 * SMALL.num_tokens);
      m.inputTokens(4).set([1, 2, 99, 4]);  // the engine's own range check
      assert.equal(m.forward(1, 4, false), false);
      assert.equal(m.error(), 'token id 99 at [0, 2] is out of range [0, 50)');
      assert.equal(m.forward(2, 4, false), false);
      assert.match(m.error(), /tokens: expected 8 ids for shape \[2, 4\], got 4/);
      m.inputTokens(4).set([1, 2, 3, 4]);
      assert.equal(m.forward(1, 4, true), false);
      assert.match(m.error(), /mask: expected 4 entries/);
      assert.equal(m.inputTokens(2 ** 40), null);
      assert.match(m.error(), /too large/);
      m.inputTokens(4).set([1, 2, 3, 4]);
      assert.ok(m.forward(1, 4, false), m.error());
      assert.deepEqual(m.logits().slice(), ref);

      const buf = new M.HeapBuffer();
      assert.equal(buf.resize(-1), false);
      assert.match(buf.error(), /out of range/);
      const bytes = readBytes(`${FIXTURES}/v1_nc_nomask.safetensors`);
      assert.ok(buf.resize(bytes.length / 2));
      buf.view().set(bytes.subarray(0, bytes.length / 2));
      assert.equal(m.loadSafetensors(buf, '', threads, '', ''), false);
      assert.match(m.error(), /safetensors: /);
      assert.ok(buf.resize(bytes.length));
      buf.view().set(bytes);
      assert.ok(m.loadSafetensors(buf, '', threads, '', ''), m.error());
      buf.release();
      buf.delete();
      assert.equal(JSON.parse(m.configJson()).num_tokens, 96);
      assert.equal(M.defaultBackend(), 'builtin');
      assert.equal(M.backendAvailable('xnnpack'), false);
    } finally {
      m.release();
      m.delete();
      terminateWorkers(M);
    }
  });
}
