// Stands in for js/runtime/dist-urls-browser.js inside the prebuilt model
// worker (scripts/build-worker.mjs): the page posts every build-file URL, so
// the worker needs no defaults of its own.
export function defaultFileUrl() {
  return null;
}
