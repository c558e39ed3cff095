#!/usr/bin/env node
// Bundles the browser model worker (js/worker/model-worker-browser.js and
// everything it imports) into one self-contained file, dist/lst-worker.js,
// with esbuild: no imports, no top-level await and no import.meta, so it runs
// as a module or a classic Worker and bundlers can re-bundle it in any worker
// format. The page resolves every URL before posting it to the worker, so the
// default build-file locations (js/runtime/dist-urls-browser.js: literal
// `new URL(..., import.meta.url)`s, meaningful only beside the sources) are
// replaced by a module that has none.
//
//   node scripts/build-worker.mjs [--outdir dist]
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const outdir = process.argv.includes('--outdir') ? resolve(process.argv[process.argv.indexOf('--outdir') + 1]) : join(ROOT, 'dist');
const outfile = join(outdir, 'lst-worker.js');

let esbuild;
try {
  esbuild = await import('esbuild');
} catch {
  console.error('build-worker: esbuild is missing: run `npm install` (it is a devDependency)');
  process.exit(1);
}

const noDefaultUrls = {
  name: 'no-default-urls',
  setup(build) {
    build.onResolve({ filter: /dist-urls-browser\.js$/ }, () => ({ path: join(ROOT, 'js/worker/dist-urls-none.js') }));
  },
};

await esbuild.build({
  entryPoints: [join(ROOT, 'js/worker/model-worker-browser.js')],
  outfile,
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: 'es2020',
  legalComments: 'none',
  banner: { js: '// long-short-transformer: the browser model worker (built from js/worker/ by scripts/build-worker.mjs)' },
  plugins: [noDefaultUrls],
  logLevel: 'warning',
});

const code = readFileSync(outfile, 'utf8');
for (const [what, re] of [['import.meta', /import\.meta/], ['a static import', /^\s*import\s[^(]/m], ['an export', /^\s*export\s/m]]) {
  if (re.test(code)) {
    console.error(`build-worker: ${outfile} contains ${what}; it must be self-contained`);
    process.exit(1);
  }
}
writeFileSync(outfile, code);
console.log(`==> ${outfile} (${code.length} bytes)`);
