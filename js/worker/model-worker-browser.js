// Browser entry of the model worker. scripts/build-worker.mjs bundles it with
// everything it imports into one self-contained file, dist/lst-worker.js (no
// imports, no top-level await, no import.meta: it runs as a module or a
// classic Worker, and bundlers can re-bundle it in any worker format). The
// page resolves every URL before it posts it here.
import { serveModel } from './serve-model.js';

serveModel({
  post: (message, transfer) => self.postMessage(message, transfer ?? []),
  listen: (handler) => { self.onmessage = ({ data }) => handler(data); },
});
