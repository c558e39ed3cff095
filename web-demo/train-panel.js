// "Teach it your text": fine-tunes the loaded model (or trains a small one
// from scratch) on pasted text or a dropped .txt file, in a TrainerWorker (a
// Worker of its own, separate from the generation Worker, so the page and
// generation stay responsive), with the loss curve, speed, ETA, pause /
// resume / stop, samples, then generation with the new weights and a
// .safetensors download.
import { TrainerWorker } from '../js/index.js';
import { LossChart } from './charts.js';

const $ = (id) => document.getElementById(id);
const encoder = new TextEncoder();

/** A small byte-level model trained from scratch (long max_seq_len: the long run can use it). */
export const SMALL_CONFIG = Object.freeze({
  num_tokens: 256, dim: 128, depth: 2, heads: 4, dim_head: 32, max_seq_len: 4096, window_size: 32, causal: true,
});

/**
 * Whether `bytes` look like text: no NUL bytes, and at most 1% of the bytes
 * outside valid UTF-8 sequences. Returns null when they do, else why not.
 */
export function notTextReason(bytes) {
  let nul = 0;
  for (let i = 0; i < bytes.length; i++) if (bytes[i] === 0) nul++;
  let invalid = 0;
  for (let i = 0; i < bytes.length;) {
    const b = bytes[i];
    const n = b < 0x80 ? 0 : b >= 0xc2 && b <= 0xdf ? 1 : b >= 0xe0 && b <= 0xef ? 2 : b >= 0xf0 && b <= 0xf4 ? 3 : -1;
    if (n < 0) { invalid++; i++; continue; }
    let ok = true;
    for (let k = 1; k <= n; k++) if (i + k >= bytes.length || (bytes[i + k] & 0xc0) !== 0x80) { ok = false; break; }
    if (!ok) { invalid++; i++; continue; }
    i += n + 1;
  }
  if (nul > 0) return `${nul} NUL byte${nul === 1 ? '' : 's'}`;
  if (invalid > bytes.length * 0.01) return `${((100 * invalid) / bytes.length).toFixed(1)}% of its bytes are not UTF-8`;
  return null;
}

function formatSeconds(s) {
  if (!Number.isFinite(s)) return '–';
  if (s < 60) return `${Math.round(s)} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
  return `${Math.floor(s / 3600)} h ${Math.round((s % 3600) / 60)} min`;
}

/**
 * @param {{ getModel: () => any, modelName: () => string, loadWeights: (bytes: Uint8Array, name: string) => Promise<boolean>,
 *           generate: () => Promise<void>, canGenerate: () => boolean }} app
 */
export function setupTrainPanel(app) {
  const el = {
    text: $('train-text'), file: $('train-file'), drop: $('train-drop'), textInfo: $('train-text-info'),
    source: $('train-source'), steps: $('train-steps'), lr: $('train-lr'), seq: $('train-seq'), batch: $('train-batch'),
    validEvery: $('train-valid-every'), sampleEvery: $('train-sample-every'),
    start: $('train-start'), pause: $('train-pause'), stop: $('train-stop'), use: $('train-use'), download: $('train-download'),
    error: $('train-error'), status: $('train-status'), canvas: $('loss-canvas'), sample: $('train-sample'),
    step: $('train-stat-step'), loss: $('train-stat-loss'), valid: $('train-stat-valid'), tps: $('train-stat-tps'),
    eta: $('train-stat-eta'), elapsed: $('train-stat-elapsed'),
  };
  const chart = new LossChart(el.canvas);

  /** What the panel is doing; read by the browser tests through window.demo.train. */
  const state = {
    trainer: null,          // the TrainerWorker of the latest run (kept after it ends: download, generate)
    running: null,          // the run() promise while a run is going
    starting: false,
    paused: false,
    events: [],             // every progress event of the latest run
    lastResult: null,
    runs: 0,
    fileName: null,
    sourceName: '',         // what the trainer started from
    messages: 0,            // messages shown (errors of bad input, ...)
  };

  const VALID_FRACTION = 0.1;

  function showError(message) {
    el.error.hidden = !message;
    el.error.textContent = message ?? '';
    if (message) state.messages++;
  }

  function setButtons() {
    const busy = state.starting || state.running !== null;
    el.start.disabled = busy;
    el.pause.disabled = state.running === null;
    el.pause.textContent = state.paused ? 'Resume' : 'Pause';
    el.stop.disabled = state.running === null;
    el.use.disabled = !state.trainer || state.starting || !app.canGenerate();
    el.download.disabled = !state.trainer || state.starting;
    el.source.disabled = busy;
  }

  function describeText() {
    const n = encoder.encode(el.text.value).length;
    el.textInfo.textContent = n ? `${n.toLocaleString('en')} bytes${state.fileName ? ` from ${state.fileName}` : ''}` : 'no text yet';
  }

  /** A dropped or chosen file: its text goes into the box; a binary file gives a message and the box keeps its text. */
  async function takeFile(file) {
    if (!file) return;
    let bytes;
    try {
      bytes = new Uint8Array(await file.arrayBuffer());
    } catch (e) {
      showError(`Could not read ${file.name}: ${e.message}`);
      return;
    }
    if (bytes.length === 0) { showError(`${file.name} is empty: drop a text file with something in it`); return; }
    const why = notTextReason(bytes);
    if (why) {
      showError(`${file.name} does not look like text (${why}): drop a plain-text file (.txt, UTF-8). ` +
        'The text in the box is unchanged.');
      return;
    }
    showError(null);
    el.text.value = new TextDecoder().decode(bytes);
    state.fileName = file.name;
    describeText();
  }

  function num(input, name, lo, hi, integer) {
    const v = Number(input.value);
    if (input.value.trim() === '' || !Number.isFinite(v) || v < lo || v > hi || (integer && !Number.isInteger(v))) {
      throw new Error(`${name} must be ${integer ? 'an integer' : 'a number'} in [${lo}, ${hi}]`);
    }
    return v;
  }

  /** The options of the run, or a message saying what is wrong with the input. */
  function readInput() {
    const text = el.text.value;
    const bytes = encoder.encode(text);
    if (bytes.length === 0) throw new Error('Paste some text in the box or drop a .txt file first.');
    const seq = num(el.seq, 'Sequence length', 8, 4096, true);
    // The engine needs seq + 2 bytes in the training part and in the held-out part (the last 10%).
    const need = Math.ceil((seq + 2) / VALID_FRACTION);
    if (bytes.length < need) {
      const fits = Math.floor(bytes.length * VALID_FRACTION) - 2;
      throw new Error(`The text is ${bytes.length.toLocaleString('en')} bytes: too short for training sequences of ${seq} bytes ` +
        `with the last 10% held out. It must be at least ${need.toLocaleString('en')} bytes` +
        (fits >= 8 ? `, or set the sequence length to ${fits} or less.` : '.'));
    }
    return {
      data: bytes,
      seq,
      steps: num(el.steps, 'Steps', 1, 1e6, true),
      lr: num(el.lr, 'Learning rate', 1e-7, 1, false),
      batch: num(el.batch, 'Batch', 1, 64, true),
      valid_every: num(el.validEvery, 'Validate every', 1, 1e6, true),
      sample_every: num(el.sampleEvery, 'Sample every', 0, 1e6, true),
    };
  }

  function onEvent(e) {
    state.events.push(e);
    chart.push(e);
    if (e.kind === 'step') {
      el.step.textContent = `${e.step} / ${e.steps}`;
      el.loss.textContent = e.loss.toFixed(3);
      el.tps.textContent = Math.round(e.tokens_per_second).toLocaleString('en');
      el.eta.textContent = formatSeconds(e.eta_seconds);
      el.elapsed.textContent = formatSeconds(e.elapsed_seconds);
    } else if (e.kind === 'valid') {
      el.valid.textContent = `${e.loss.toFixed(3)} (${e.bits.toFixed(2)} bits)`;
    } else if (e.kind === 'sample') {
      el.sample.textContent = '';
      const head = document.createElement('span');
      head.className = 'sample-head';
      head.textContent = `step ${e.step}: `;
      const prime = document.createElement('span');
      prime.className = 'sample-prime';
      prime.textContent = e.prime;
      el.sample.append(head, prime, document.createTextNode(e.text.slice(e.prime.length)));
    } else if (e.kind === 'pause') {
      el.status.textContent = `Paused at step ${e.step}. Resume, stop, generate with these weights or download them.`;
    } else if (e.kind === 'resume') {
      el.status.textContent = `Training (resumed at step ${e.step})…`;
    }
  }

  async function start() {
    if (state.starting || state.running) return;
    let input;
    try {
      input = readInput();
    } catch (e) {
      showError(e.message);
      return;
    }
    const fromModel = el.source.value === 'model';
    const model = app.getModel();
    if (fromModel && !model) { showError('No model is loaded: load one, or choose "a small new model".'); return; }
    if (fromModel && model.config.num_tokens !== 256) {
      showError(`The loaded model is not byte-level (num_tokens ${model.config.num_tokens}): fine-tuning on text needs 256. ` +
        'Choose "a small new model", or load a byte-level model.');
      return;
    }
    showError(null);
    state.starting = true;
    setButtons();
    el.status.textContent = fromModel ? `Starting: fine-tuning ${app.modelName()}…` : 'Starting: a small new model…';
    const { steps, valid_every, sample_every, ...create } = input;
    let trainer;
    try {
      trainer = await TrainerWorker.create({
        ...create, steps, accum: 1, valid_fraction: VALID_FRACTION, valid_batches: 2, sample_len: 200, sample_prime: 64,
        ...(fromModel ? { init: model } : { config: SMALL_CONFIG, seed: 0 }),
      });
    } catch (e) {
      showError(`Could not start training: ${e.message}`);
      el.status.textContent = state.trainer ? 'The weights of the previous run are still here.' : '';
      state.starting = false;
      setButtons();
      return;
    }
    state.trainer?.dispose();
    state.trainer = trainer;
    state.sourceName = fromModel ? app.modelName() : 'a small new model';
    state.starting = false;
    state.events = [];
    state.lastResult = null;
    state.runs++;
    chart.reset(steps);
    for (const x of [el.step, el.loss, el.valid, el.tps, el.eta, el.elapsed]) x.textContent = '–';
    el.sample.textContent = '';
    const { train_bytes, valid_bytes, parameters } = trainer.sizes;
    el.status.textContent = `Training ${(parameters / 1e6).toFixed(2)} M parameters on ${train_bytes.toLocaleString('en')} bytes ` +
      `(${valid_bytes.toLocaleString('en')} held out), ${trainer.runtime.variant === 'threaded' ? `${trainer.runtime.threads} threads` : '1 thread'}…`;
    // The held-out loss before the first step: where the curve starts.
    try {
      const v = await trainer.validate();
      onEvent({ kind: 'valid', step: 0, steps, loss: v.nats, bits: v.bits });
    } catch { /* shown by run() */ }
    state.running = trainer.run({ steps, valid_every, sample_every, progress_callback: onEvent });
    setButtons();
    try {
      const r = await state.running;
      state.lastResult = r;
      const v = r.valid ? `, held-out ${r.valid.nats.toFixed(3)} nats/byte` : '';
      el.status.textContent = (r.finish_reason === 'steps' ? `Done: ${r.steps_done} steps` : `Stopped at step ${r.steps_done}`) +
        ` in ${formatSeconds(r.seconds)}${v}. Generate with the new weights, or download them.`;
    } catch (e) {
      if (state.trainer === trainer) {
        showError(`Training failed: ${e.message}`);
        el.status.textContent = '';
      }
    } finally {
      state.running = null;
      state.paused = false;
      setButtons();
    }
  }

  async function togglePause() {
    const t = state.trainer;
    if (!t || !state.running) return;
    el.pause.disabled = true;
    if (state.paused) {
      state.paused = false;
      await t.resume();
    } else {
      el.status.textContent = 'Pausing after this step…';
      const r = await t.pause();
      state.paused = r.paused;
    }
    setButtons();
  }

  async function stop() {
    const t = state.trainer;
    if (!t || !state.running) return;
    el.stop.disabled = true;
    el.pause.disabled = true;
    el.status.textContent = 'Stopping after this step…';
    await t.stop();
  }

  /** The current weights, named by what they came from and the step. */
  async function weights() {
    const t = state.trainer;
    const bytes = await t.save({ dtype: 'float32' });
    const base = state.sourceName.replace(/\.safetensors$/, '').replace(/[^\w.-]+/g, '-').replace(/^-+|-+$/g, '') || 'model';
    return { bytes, name: `${base}-finetuned-step${t.stepsDone}.safetensors` };
  }

  async function useWeights() {
    if (!state.trainer) return;
    el.use.disabled = true;
    try {
      const { bytes, name } = await weights();
      if (await app.loadWeights(bytes, name)) await app.generate();
    } catch (e) {
      showError(`Could not use the new weights: ${e.message}`);
    } finally {
      setButtons();
    }
  }

  async function download() {
    if (!state.trainer) return;
    try {
      const { bytes, name } = await weights();
      const url = URL.createObjectURL(new Blob([bytes], { type: 'application/octet-stream' }));
      const a = document.createElement('a');
      a.href = url;
      a.download = name;
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 60_000);
    } catch (e) {
      showError(`Could not save the weights: ${e.message}`);
    }
  }

  el.start.addEventListener('click', () => { start(); });
  el.pause.addEventListener('click', () => { togglePause(); });
  el.stop.addEventListener('click', () => { stop(); });
  el.use.addEventListener('click', () => { useWeights(); });
  el.download.addEventListener('click', () => { download(); });
  el.text.addEventListener('input', () => { state.fileName = null; describeText(); });
  el.file.addEventListener('change', () => {
    const file = el.file.files?.[0];
    el.file.value = '';
    takeFile(file);
  });
  el.source.addEventListener('change', () => {
    el.lr.value = el.source.value === 'model' ? '0.0003' : '0.002';
  });
  describeText();
  setButtons();
  return { state, chart, takeFile, setButtons };
}
