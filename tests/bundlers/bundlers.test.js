// The package inside real web apps: tests/bundlers/app (imports the package
// by name) is installed from the packed tarball and built with Vite (default
// config), webpack 5 (production, default minifier, no config) and esbuild
// (the README's copy step), then each build is served with and without
// cross-origin isolation and opened in headless Chromium. Each page loads the
// bundled model on the main thread and in LongShortTransformerWorker and
// generates; a second load of the same page must read the model from the
// Cache API without asking the server.  Run: npm run test:bundlers
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import { ROOT } from '../js/helpers.js';
import { launchChromium, serveRepo, skipReason, watchErrors } from '../browser/chromium.js';

const BIN = {
  vite: [process.execPath, join(ROOT, 'node_modules/vite/bin/vite.js'), 'build'],
  webpack: [process.execPath, join(ROOT, 'node_modules/webpack-cli/bin/cli.js'), '--mode', 'production'],
  esbuild: [join(ROOT, 'node_modules/.bin/esbuild'), 'src/index.js', '--bundle', '--format=esm', '--outfile=dist/app.js'],
};
const BUNDLERS = Object.keys(BIN);

let tmp, browser;
const outputs = {};

function sh(argv, cwd) {
  return execFileSync(argv[0], argv.slice(1), { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000 });
}

before(async () => {
  if (skipReason) return;
  tmp = mkdtempSync(join(tmpdir(), 'lst-bundlers-'));
  // The tarball users get (dist/ was built by the suite before this runs).
  const [info] = JSON.parse(sh(['npm', 'pack', '--ignore-scripts', '--json', '--pack-destination', tmp], ROOT));
  const app = join(tmp, 'app');
  cpSync(join(ROOT, 'tests/bundlers/app'), app, { recursive: true });
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'bundler-app', private: true, type: 'module' }));
  sh(['npm', 'install', '--offline', '--no-audit', '--no-fund', '--ignore-scripts', join(tmp, info.filename)], app);
  for (const bundler of BUNDLERS) {
    const t0 = Date.now();
    sh(BIN[bundler], app);
    const out = join(tmp, `out-${bundler}`);
    renameSync(join(app, 'dist'), out);
    if (bundler === 'webpack') {
      // webpack's default output is a classic script, main.js; the page is ours.
      writeFileSync(join(out, 'index.html'), '<!doctype html><meta charset="utf-8"><link rel="icon" href="data:,"><title>app</title><script src="main.js"></script>\n');
    }
    if (bundler === 'esbuild') {
      // The README's esbuild step: copy the package's files and say where they are.
      mkdirSync(join(out, 'lst'));
      cpSync(join(app, 'node_modules/long-short-transformer/dist'), join(out, 'lst'), { recursive: true });
      cpSync(join(app, 'node_modules/long-short-transformer/models/tinyshakespeare.safetensors'), join(out, 'lst/tinyshakespeare.safetensors'));
      writeFileSync(join(out, 'index.html'), '<!doctype html><meta charset="utf-8"><link rel="icon" href="data:,"><title>app</title>\n' +
        "<script>globalThis.lstFiles = { wasmPaths: '/lst/', model: '/lst/tinyshakespeare.safetensors' };</script>\n" +
        '<script type="module" src="app.js"></script>\n');
    }
    outputs[bundler] = out;
    console.log(`# ${bundler}: built in ${Date.now() - t0} ms`);
  }
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

/** Opens the app's page and waits for its result; returns it with the server's request log. */
async function runPage(context, origin, requests) {
  const page = await context.newPage();
  const errors = watchErrors(page);
  await page.goto(`${origin}/index.html`);
  await page.waitForFunction(() => globalThis.lstResult !== undefined, null, { timeout: 120_000 });
  const result = await page.evaluate(() => globalThis.lstResult);
  await page.close();
  return { result, errors, requests: [...requests] };
}

for (const bundler of BUNDLERS) {
  for (const isolation of [true, false]) {
    const name = `${bundler}, ${isolation ? 'cross-origin isolated' : 'not isolated'}: main thread and Worker generate`;
    test(name, { skip: skipReason, timeout: 240_000 }, async () => {
      const requests = [];
      const server = await serveRepo({ isolation, root: outputs[bundler], log: (line) => requests.push(line) });
      const context = await browser.newContext();
      try {
        const first = await runPage(context, server.origin, requests);
        assert.equal(first.result.error, undefined, `the page failed: ${first.result.error}`);
        assert.deepEqual(first.errors, [], `console errors; requests: ${first.requests.filter((l) => !l.startsWith('200')).join(', ')}`);
        const variant = isolation ? 'threaded' : 'single';
        assert.equal(first.result.isolated, isolation);
        assert.equal(first.result.main.runtime.variant, variant);
        assert.equal(first.result.worker.runtime.variant, variant);
        assert.ok(first.result.main.text.length >= 10, `main thread text: ${JSON.stringify(first.result.main.text)}`);
        // The same seed, build and model: the Worker writes the same text.
        assert.equal(first.result.worker.text, first.result.main.text);
        const modelRequests = (log) => log.filter((l) => /\.safetensors/.test(l));
        assert.ok(modelRequests(first.requests).length >= 1, 'the model was never requested');
        assert.equal(first.result.mainCached, false);
        console.log(`# ${bundler} ${isolation ? 'isolated' : 'plain'}: ${first.requests.length} requests, ` +
          `text ${JSON.stringify(first.result.main.text.slice(0, 30))}...`);

        // A second page load: the model comes from the Cache API, not the server.
        requests.length = 0;
        const second = await runPage(context, server.origin, requests);
        assert.equal(second.result.error, undefined, `the second load failed: ${second.result.error}`);
        assert.equal(second.result.mainCached, true, 'the second load did not use the cache');
        assert.deepEqual(modelRequests(second.requests), [], 'the second load asked the server for the model');
        assert.equal(second.result.main.text, first.result.main.text);
      } finally {
        await context.close();
        await server.close();
      }
    });
  }
}
