// A small web app that uses the package as its users do: imported by name,
// bundled by Vite, webpack or esbuild (tests/bundlers/bundlers.test.js), then
// run in headless Chromium. It loads the bundled model on the main thread and
// in a Worker, generates a few tokens with each, and leaves what happened in
// window.lstResult for the test to read.
import { LongShortTransformer, LongShortTransformerWorker, bundledModelUrl } from 'long-short-transformer';

async function run() {
  // esbuild's page sets where it copied the package's files (README: esbuild).
  const where = globalThis.lstFiles ?? {};
  const options = where.wasmPaths ? { wasmPaths: where.wasmPaths } : {};
  const modelUrl = where.model ?? bundledModelUrl;
  const generation = { max_new_tokens: 24, temperature: 1, seed: 7 };
  const result = { isolated: globalThis.crossOriginIsolated === true };

  const events = [];
  const model = await LongShortTransformer.load(modelUrl, { ...options, progress_callback: (e) => events.push(e) });
  result.main = { runtime: model.runtime, text: (await model.generate('ROMEO:', generation)).text };
  result.mainCached = events.some((e) => e.cached === true);
  model.dispose();

  const inWorker = await LongShortTransformerWorker.load(modelUrl, options);
  result.worker = { runtime: inWorker.runtime, text: (await inWorker.generate('ROMEO:', generation)).text };
  inWorker.dispose();
  return result;
}

run().then(
  (result) => { globalThis.lstResult = result; document.title = 'done'; },
  (e) => { globalThis.lstResult = { error: String(e?.message ?? e) }; document.title = 'failed'; },
);
