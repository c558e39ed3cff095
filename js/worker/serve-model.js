// The Worker side of LongShortTransformerWorker (and of TrainerWorker:
// serve-trainer.js's 'trainer.*' methods): hosts one model (or one trainer)
// off the caller's thread and answers { id, method, args } messages with
// { id, result } or { id, error }, and { id, progress } while a call runs.
// Shared by the Node entry (model-worker-node.js) and the browser entry
// (model-worker-browser.js, prebuilt into dist/lst-worker.js).
import { LongShortTransformer } from '../long-short-transformer.js';
import { trainerMethods } from './serve-trainer.js';

function describeModel(m) {
  return { config: m.config, numParameters: m.numParameters, runtime: m.runtime };
}

/**
 * @param {{ post: (message: any, transfer?: Transferable[]) => void,
 *           listen: (handler: (message: any) => void) => void }} port
 */
export function serveModel(port) {
  /** @type {LongShortTransformer|null} */
  let model = null;
  /** AbortControllers of the calls running here (generate, load), by call id. */
  const running = new Map();

  const methods = {
    async generate(id, prompt, options) {
      const ac = running.get(id);
      const { pre_aborted, ...rest } = options;
      if (pre_aborted) ac.abort();
      return model.generate(prompt, {
        ...rest, signal: ac.signal,
        callback: (step) => {
          const transfer = step.attention ? [step.attention.probs.buffer] : [];
          port.post({ id, progress: step }, transfer);
          return !ac.stopped;
        },
      });
    },
    async load(id, source, options) {
      const progress_callback = options.progress ? (info) => port.post({ id, progress: info }) : undefined;
      const { progress, ...rest } = options;
      const next = await LongShortTransformer.load(source, { ...rest, progress_callback, signal: running.get(id).signal });
      model?.dispose();
      model = next;
      return describeModel(model);
    },
    async create(id, options) {
      const next = await LongShortTransformer.create(options);
      model?.dispose();
      model = next;
      return describeModel(model);
    },
    forward(id, tokens, options) {
      const out = model.forward(tokens, options);
      return { value: out, transfer: [out.data.buffer] };
    },
    evaluate(id, data, options) {
      return model.evaluate(data, options);
    },
    save(id, options) {
      const bytes = model.save(options);
      return { value: bytes, transfer: [bytes.buffer] };
    },
    ...trainerMethods(port),
  };

  // Control messages (abort, stop) name the call they act on. One may arrive
  // before its call (the caller sends it as soon as the user aborts): it is
  // kept until that call starts. Call ids only grow.
  let lastId = 0;
  const early = new Map();
  const control = (method, ac) => { if (method === 'abort') ac.abort(); else ac.stopped = true; };

  port.listen(async ({ id, method, args }) => {
    if (method === 'abort' || method === 'stop') {
      const target = args[0];
      if (running.has(target)) control(method, running.get(target));
      else if (target > lastId) early.set(target, [...(early.get(target) ?? []), method]);
      return;
    }
    lastId = Math.max(lastId, id);
    const ac = new AbortController();
    running.set(id, ac);
    for (const m of early.get(id) ?? []) control(m, ac);
    early.delete(id);
    try {
      if (!Object.hasOwn(methods, method)) throw new Error(`the model worker has no method '${method}'`);
      if (method !== 'load' && method !== 'create' && !method.startsWith('trainer.') && !model) throw new Error('no model is loaded in this worker');
      const r = await methods[method](id, ...args);
      if (r && typeof r === 'object' && 'transfer' in r) port.post({ id, result: r.value }, r.transfer);
      else port.post({ id, result: r });
    } catch (e) {
      port.post({ id, error: { message: e?.message ?? String(e), name: e?.name } });
    } finally {
      running.delete(id);
    }
  });
  port.post({ ready: true });
}
