#!/usr/bin/env node
// npm run demo: builds what is missing, then serves the repository root on
// 127.0.0.1 with the cross-origin isolation headers (COOP same-origin + COEP
// require-corp) that let the page run the threaded build, and prints the
// demo's URL. Node built-ins only.
//
//   node scripts/serve-demo.mjs [--port N] [--no-isolation] [--no-build]
//   PORT=9000 npm run demo
//
// --no-isolation serves without the two headers (the page then runs the
// single-threaded build), like any plain static server would.
import { spawnSync } from 'node:child_process';
import { createReadStream, existsSync } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import { createServer } from 'node:http';
import { dirname, extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const DEMO_PATH = '/web-demo/';
export const DEFAULT_MODEL = 'models/tinyshakespeare.safetensors';

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
  '.md': 'text/plain; charset=utf-8',
  '.ts': 'text/plain; charset=utf-8',
  '.safetensors': 'application/octet-stream',
};

/** What the demo page needs from the repository: nothing else is served (no build/, node_modules, .git). */
export const DEMO_FOLDERS = ['web-demo', 'js', 'dist', 'models'];

/**
 * An http.Server for the repository (the demo's folders only) or for a
 * folder of one's own (`root`: everything in it), not yet listening. Paths
 * resolve, links included, inside the served folders only, and requests must
 * name this machine in their Host header (no DNS rebinding).
 * @param {{ root?: string, folders?: string[]|null, isolation?: boolean, log?: (line: string) => void }} [options]
 */
export function createDemoServer({ root = ROOT, folders = root === ROOT ? DEMO_FOLDERS : null, isolation = true,
  log = () => {} } = {}) {
  const realRoot = realpath(root);
  realRoot.catch(() => {});   // a missing root: every request is a 404
  return createServer(async (req, res) => {
    const headers = { 'cache-control': 'no-cache', 'x-content-type-options': 'nosniff' };
    if (isolation) {
      headers['cross-origin-opener-policy'] = 'same-origin';
      headers['cross-origin-embedder-policy'] = 'require-corp';
    }
    const send = (status, body, extra = {}) => {
      res.writeHead(status, { ...headers, 'content-type': 'text/plain; charset=utf-8', ...extra });
      res.end(req.method === 'HEAD' ? undefined : body);
      log(`${status} ${req.method} ${req.url}`);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, 'method not allowed\n', { allow: 'GET, HEAD' });
    const host = String(req.headers.host ?? '').replace(/:\d+$/, '');
    if (!['127.0.0.1', 'localhost', '[::1]'].includes(host)) return send(421, 'this server answers for 127.0.0.1 only\n');
    let path;
    try {
      path = decodeURIComponent(new URL(req.url, 'http://127.0.0.1').pathname);
    } catch {
      return send(400, 'bad request\n');
    }
    if (path === '/' || path === '/web-demo') return send(302, '', { location: DEMO_PATH });
    // No dotfiles (.git), only the served folders, nothing outside the root (links resolved).
    if (path.includes('\0') || path.split('/').some((s) => s.startsWith('.'))) return send(404, 'not found\n');
    if (folders && !folders.includes(path.split('/')[1])) return send(404, 'not found\n');
    let file = resolve(join(root, path));
    if (file !== root && !file.startsWith(root + sep)) return send(404, 'not found\n');
    let info;
    try {
      // The file as the file system resolves it (links followed) must lie in
      // the served folder it was asked through.
      const top = folders ? await realpath(join(root, path.split('/')[1])) : await realRoot;
      const inside = async (f) => {
        const real = await realpath(f);
        return real === top || real.startsWith(top + sep) ? real : null;
      };
      file = await inside(file);
      if (!file) return send(404, 'not found\n');
      info = await stat(file);
      if (info.isDirectory()) {
        if (!path.endsWith('/')) return send(302, '', { location: `${path}/` });
        file = await inside(join(file, 'index.html'));
        if (!file) return send(404, 'not found\n');
        info = await stat(file);
      }
    } catch {
      return send(404, `not found: ${path}\n`);
    }
    res.writeHead(200, {
      ...headers,
      'content-type': TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream',
      'content-length': info.size,
    });
    log(`200 ${req.method} ${req.url}`);
    if (req.method === 'HEAD') return res.end();
    createReadStream(file).on('error', () => res.destroy()).pipe(res);
  });
}

/**
 * Listens on 127.0.0.1: `port`, or a free port when it is taken (or 0).
 * @param {import('node:http').Server} server
 * @returns {Promise<number>} the port
 */
export function listen(server, port = 0) {
  return new Promise((resolvePort, reject) => {
    const onError = (e) => {
      if (e.code === 'EADDRINUSE' && port !== 0) {
        console.error(`port ${port} is in use; taking a free one`);
        port = 0;
        server.listen(0, '127.0.0.1');
      } else reject(e);
    };
    server.on('error', onError);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', onError);
      resolvePort(server.address().port);
    });
  });
}

/** Builds the WebAssembly files when they are missing. */
export function buildMissing(root = ROOT) {
  const need = ['dist/lst.wasm', 'dist/lst.mjs', 'dist/lst-threaded.wasm', 'dist/lst-threaded.mjs', 'dist/lst-threaded.worker.js',
    'dist/lst-relaxed.wasm', 'dist/lst-relaxed.mjs', 'dist/lst-threaded-relaxed.wasm', 'dist/lst-threaded-relaxed.mjs'];
  const missing = need.filter((f) => !existsSync(join(root, f)));
  if (missing.length) {
    console.log(`==> building the WebAssembly files (missing ${missing.join(', ')}): bash scripts/build-wasm.sh`);
    const r = spawnSync('bash', ['scripts/build-wasm.sh'], { cwd: root, stdio: 'inherit' });
    if (r.status !== 0) throw new Error('scripts/build-wasm.sh failed (see above; `npm run setup` installs Emscripten)');
  }
  if (!existsSync(join(root, DEFAULT_MODEL))) {
    console.log(`note: ${DEFAULT_MODEL} is missing; the page will ask for a .safetensors file instead`);
  }
}

async function main(argv) {
  const args = argv.slice(2);
  if (args.includes('--help') || args.includes('-h')) {
    console.log('usage: node scripts/serve-demo.mjs [--port N] [--no-isolation] [--no-build] [--verbose]\n' +
      '  serves the repository on 127.0.0.1 (port: --port, $PORT or 8080; a free one when taken)');
    return;
  }
  const known = new Set(['--port', '--no-isolation', '--no-build', '--verbose']);
  for (let i = 0; i < args.length; i++) {
    if (!known.has(args[i])) throw new Error(`unknown option '${args[i]}' (try --help)`);
    if (args[i] === '--port') i++;
  }
  const portArg = args.includes('--port') ? args[args.indexOf('--port') + 1] : process.env.PORT ?? '8080';
  const port = Number(portArg);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`bad port '${portArg}'`);
  const isolation = !args.includes('--no-isolation');
  if (!args.includes('--no-build')) buildMissing();
  const server = createDemoServer({ isolation, log: args.includes('--verbose') ? console.log : undefined });
  const actual = await listen(server, port);
  console.log(`Serving ${ROOT} on 127.0.0.1 (${isolation
    ? 'cross-origin isolated: threaded build' : 'no isolation headers: single-threaded build'})`);
  console.log(`http://127.0.0.1:${actual}${DEMO_PATH}`);
  const stop = () => { server.close(() => process.exit(0)); server.closeAllConnections(); };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv).catch((e) => {
    console.error(`serve-demo: ${e.message}`);
    process.exit(1);
  });
}
