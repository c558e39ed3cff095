// The demo's server (scripts/serve-demo.mjs) serves what the demo needs and
// nothing else: its folders only, links resolved inside them, requests for
// 127.0.0.1 only (no DNS rebinding), the isolation headers when asked.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

import { createDemoServer, listen } from '../../scripts/serve-demo.mjs';

function get(port, path, host = `127.0.0.1:${port}`) {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers: { host } }, (res) => {
      let body = '';
      res.on('data', (c) => { body += c; });
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('the demo server: demo folders only, no escape through links, Host checked', async () => {
  const server = createDemoServer({ isolation: true });
  const port = await listen(server, 0);
  try {
    const page = await get(port, '/web-demo/');
    assert.equal(page.status, 200);
    assert.equal(page.headers['cross-origin-embedder-policy'], 'require-corp');
    assert.equal((await get(port, '/js/index.js')).status, 200);
    assert.equal((await get(port, '/models/tinyshakespeare.safetensors', `localhost:${port}`)).status, 200);
    for (const path of ['/package.json', '/build/lst', '/node_modules/playwright-core/package.json', '/.git/config',
      '/cpp/core/error.h', '/js/../package.json', '/web-demo/%2e%2e/package.json', '/tests/fixtures/v1_nc_nomask.safetensors']) {
      assert.equal((await get(port, path)).status, 404, path);
    }
    assert.equal((await get(port, '/web-demo/', 'attacker.example')).status, 421);
    assert.equal((await get(port, '/web-demo/', `attacker.example:${port}`)).status, 421);
  } finally {
    server.close();
  }

  // A folder of one's own with a link out of it (to a file, and to a folder).
  const root = mkdtempSync(join(tmpdir(), 'lst-serve-'));
  try {
    mkdirSync(join(root, 'site'));
    writeFileSync(join(root, 'site', 'index.html'), 'hello');
    writeFileSync(join(root, 'secret.txt'), 'secret');
    symlinkSync(join(root, 'secret.txt'), join(root, 'site', 'leak.txt'));
    symlinkSync('/etc', join(root, 'site', 'etc'));
    const own = createDemoServer({ root: join(root, 'site'), isolation: false });
    const p = await listen(own, 0);
    try {
      assert.equal((await get(p, '/index.html')).body, 'hello');
      assert.equal((await get(p, '/leak.txt')).status, 404);
      assert.equal((await get(p, '/etc/passwd')).status, 404);
    } finally {
      own.close();
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
