// Shared by the browser tests and bench/bench-browser.mjs: Debian's Chromium
// through playwright-core (headless, no network beyond 127.0.0.1), and the
// demo's own server (scripts/serve-demo.mjs) with or without isolation.
import { existsSync } from 'node:fs';
import { createDemoServer, listen } from '../../scripts/serve-demo.mjs';

export const CHROMIUM = process.env.LST_CHROMIUM ?? '/usr/bin/chromium';
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

let playwright = null;
try {
  playwright = await import('playwright-core');
} catch { /* reported by skipReason */ }

/** Why the browser tests cannot run here, or false. */
export const skipReason = !playwright
  ? 'playwright-core not installed (npm install)'
  : !existsSync(CHROMIUM) ? `no ${CHROMIUM} (apt-get install chromium)` : false;

/** Headless Chromium (playwright gives it a fresh temporary profile). */
export function launchChromium() {
  return playwright.chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
}

/**
 * The repository (or `root`) served on 127.0.0.1 by the demo's server;
 * `log` receives a line per request ("200 GET /path").
 * @param {{ isolation: boolean, root?: string, log?: (line: string) => void }} options
 * @returns {Promise<{ origin: string, close: () => Promise<void> }>}
 */
export async function serveRepo({ isolation, root, log }) {
  const server = createDemoServer({ isolation, root, log });
  const port = await listen(server, 0);
  return {
    origin: `http://127.0.0.1:${port}`,
    close: () => new Promise((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}

/**
 * Collects console errors and uncaught exceptions of a page (and of its workers).
 * @returns {string[]}
 */
export function watchErrors(page) {
  const errors = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(`console: ${m.text()}`); });
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('worker', (w) => w.on('console', (m) => { if (m.type() === 'error') errors.push(`worker console: ${m.text()}`); }));
  return errors;
}
