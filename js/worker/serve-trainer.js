// The Worker side of TrainerWorker: hosts one Trainer (js/training/trainer.js)
// and runs its run() loop in segments, so that a run can pause between steps
// (the run's promise stays pending), resume, and stop. Methods are named
// 'trainer.*' and served by serve-model.js's dispatcher, in the same Worker
// file as the model (dist/lst-worker.js); one Worker hosts one trainer.
import { Trainer } from '../training/trainer.js';

function describeTrainer(t) {
  return { config: t.config, options: t.options, runtime: t.runtime, sizes: t.sizes, stepsDone: t.stepsDone };
}

/** Data as posted by TrainerWorker: text, bytes, { url } or { path }. */
function dataSource(d) {
  if (d && typeof d === 'object' && typeof d.url === 'string') return new URL(d.url);
  return d;
}

/**
 * @param {{ post: (message: any, transfer?: Transferable[]) => void }} port
 * @returns {Record<string, (id: number, ...args: any[]) => any>}
 */
export function trainerMethods(port) {
  /** @type {Trainer|null} */
  let trainer = null;
  /** The run in progress: what it was asked to do, and who waits on it. */
  let run = null;

  const need = () => {
    if (!trainer) throw new Error('no trainer was created in this worker');
    return trainer;
  };

  /** Settles the callers of pause() with where the run is. */
  const settlePauses = (r, paused) => {
    for (const resolve of r.pauseWaiters.splice(0)) resolve({ paused, step: trainer.stepsDone });
  };

  return {
    async 'trainer.create'(id, options) {
      const next = await Trainer.create({ ...options, data: dataSource(options.data) });
      trainer?.dispose();
      trainer = next;
      return describeTrainer(trainer);
    },

    /**
     * Steps until `steps` more are done or the run is stopped; between
     * segments of Trainer.run it may wait, paused, for resume().
     */
    async 'trainer.run'(id, options) {
      const t = need();
      if (run) throw new Error('run: this trainer is already running');
      const { steps, ...rest } = options;
      const done0 = t.stepsDone;
      const target = done0 + (steps ?? Math.max(0, t.options.steps - done0));
      const validEvery = rest.valid_every ?? t.options.valid_every;
      const sampleEvery = rest.sample_every ?? t.options.sample_every;
      const r = { stop: null, pause: false, resume: null, pauseWaiters: [], ended: null, end: null };
      r.ended = new Promise((resolve) => { r.end = resolve; });
      run = r;
      // A pause waits for what is due at this step (its validation, its
      // sample), so that the curve has no holes; a stop does not.
      const due = (e) => (e.kind === 'step' && ((validEvery > 0 && (e.step % validEvery === 0 || e.step === target)) ||
        (sampleEvery > 0 && e.step % sampleEvery === 0))) || (e.kind === 'valid' && sampleEvery > 0 && e.step % sampleEvery === 0);
      let elapsedBefore = 0;
      let seconds = 0;
      let stepSeconds = 0;
      let last = null;
      let valid = null;
      try {
        for (;;) {
          const segment = await t.run({
            ...rest, steps: target - t.stepsDone,
            progress_callback: (e) => {
              port.post({ id, progress: { ...e, elapsed_seconds: e.elapsed_seconds + elapsedBefore } });
              if (r.stop) return false;
              return !r.pause || due(e);
            },
          });
          last = segment;
          valid = segment.valid ?? valid;
          seconds += segment.seconds;
          elapsedBefore += segment.seconds;
          if (segment.steps_run > 0 && segment.tokens_per_second > 0) stepSeconds += segment.steps_run / segment.tokens_per_second;
          if (r.stop || !r.pause || t.stepsDone >= target) break;
          // Paused: say so, and wait for resume() or stop().
          port.post({ id, progress: { kind: 'pause', step: t.stepsDone, steps: target } });
          settlePauses(r, true);
          await new Promise((resolve) => { r.resume = resolve; });
          r.resume = null;
          if (r.stop) break;
          port.post({ id, progress: { kind: 'resume', step: t.stepsDone, steps: target } });
        }
      } finally {
        run = null;
        settlePauses(r, false);
        r.end();
      }
      const ran = t.stepsDone - done0;
      return {
        steps_done: t.stepsDone,
        steps_run: ran,
        finish_reason: r.stop ?? (last?.finish_reason === 'steps' || t.stepsDone >= target ? 'steps' : 'stop'),
        loss: last?.loss ?? NaN,
        valid,
        seconds,
        tokens_per_second: stepSeconds > 0 ? ran / stepSeconds : 0,
      };
    },

    /** Pauses the run after its current step; resolves once it is paused ({ paused: false } when no run is going). */
    'trainer.pause'() {
      need();
      if (!run || run.stop) return { paused: false, step: trainer.stepsDone };
      if (run.pause && run.resume) return { paused: true, step: trainer.stepsDone };
      run.pause = true;
      return new Promise((resolve) => run.pauseWaiters.push(resolve));
    },

    'trainer.resume'() {
      need();
      if (!run) return { resumed: false, step: trainer.stepsDone };
      run.pause = false;
      run.resume?.();
      return { resumed: true, step: trainer.stepsDone };
    },

    /** Ends the run after its current step (or at once when paused); resolves when it has ended. */
    async 'trainer.stop'(id, reason) {
      need();
      if (!run) return;
      run.stop ??= reason === 'abort' || reason === 'callback' ? reason : 'stop';
      run.resume?.();
      await run.ended;
    },

    'trainer.validate'() {
      return need().validate();
    },

    'trainer.sample'(id, len, prime) {
      return need().sample(len, prime ?? undefined);
    },

    'trainer.save'(id, options) {
      const bytes = need().save(options);
      return { value: bytes, transfer: [bytes.buffer] };
    },

    'trainer.info'() {
      return describeTrainer(need());
    },
  };
}
