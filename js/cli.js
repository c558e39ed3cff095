#!/usr/bin/env node
// The package's command line (npx long-short-transformer ...):
//   generate [--model FILE] [--prompt TEXT] [--max-new-tokens N] [--temperature T]
//            [--filter-thres F | --top-k K] [--top-p P] [--greedy] [--seed N] [--eos ID] [--stop TEXT] [--threads N]
//            [--weights f32|f16|int8|stored]
//   eval     [--model FILE] --data TEXTFILE [--seq N] [--max-bytes N] [--weights ...]
// Without --model it uses the bundled tinyshakespeare model.
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';

import { LongShortTransformer } from './index.js';
import { bundledModelUrl } from './bundled-model.js';
import { readLocalFile } from './runtime/platform-node.js';

const USAGE = `usage: long-short-transformer <command> [options]
  generate  [--model FILE] [--prompt TEXT] [--max-new-tokens 256] [--temperature 1] [--filter-thres 0.9 | --top-k K]
            [--top-p P] [--greedy] [--seed 0] [--eos ID] [--stop TEXT] [--threads N] [--reencode]
            sample text (the reference package's generate), streamed to stdout
  eval      [--model FILE] --data FILE [--seq max_seq_len] [--max-bytes N]
            loss of a byte-level model on a text file: nats and bits per byte
Both take --weights f32|f16|int8|stored: the format to compute in (default: as stored).
Without --model, the bundled tinyshakespeare model is used.`;

const OPTIONS = {
  model: { type: 'string' }, prompt: { type: 'string' }, 'max-new-tokens': { type: 'string' },
  temperature: { type: 'string' }, 'filter-thres': { type: 'string' }, 'top-k': { type: 'string' },
  'top-p': { type: 'string' }, greedy: { type: 'boolean' }, seed: { type: 'string' }, threads: { type: 'string' },
  reencode: { type: 'boolean' }, 'reencode-every': { type: 'string' }, eos: { type: 'string' }, stop: { type: 'string' },
  data: { type: 'string' }, seq: { type: 'string' }, 'max-bytes': { type: 'string' }, weights: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
};

/** A count this command line uses itself (the engine checks what it receives). */
function count(values, name, fallback) {
  if (values[name] === undefined) return fallback;
  const x = Number(values[name]);
  if (!Number.isSafeInteger(x) || x < 0) throw new Error(`--${name} expects an integer >= 0, got '${values[name].slice(0, 40)}'`);
  return x;
}

function number(values, name, fallback) {
  if (values[name] === undefined) return fallback;
  const x = Number(values[name]);
  if (!Number.isFinite(x)) throw new Error(`--${name} expects a number, got '${values[name]}'`);
  return x;
}

async function loadModel(values) {
  const source = values.model ?? fileURLToPath(bundledModelUrl);
  const threads = number(values, 'threads', undefined);
  const options = {};
  if (threads !== undefined) options.threads = threads;
  if (values.weights !== undefined) options.weights = values.weights;  // the engine checks the value
  return LongShortTransformer.load(source, options);
}

async function generate(values) {
  const model = await loadModel(values);
  try {
    // The same options object as the native `lst generate` builds: the engine
    // parses, defaults and checks it (one rule set for both command lines).
    const value = (name) => {
      const text = values[name];
      return text.trim() !== '' && Number.isFinite(Number(text)) ? Number(text) : text;
    };
    const opts = {};
    for (const [flag, key] of [['max-new-tokens', 'max_new_tokens'], ['temperature', 'temperature'],
      ['filter-thres', 'filter_thres'], ['top-k', 'top_k'], ['top-p', 'top_p'], ['seed', 'seed'], ['eos', 'eos_token'],
      ['reencode-every', 'reencode_every']]) {
      if (values[flag] !== undefined) opts[key] = value(flag);
    }
    if (values.greedy) opts.do_sample = false;
    if (values.reencode) opts.context_mode = 'reencode';
    if (values.stop !== undefined) opts.stop = values.stop;
    const bytes = model.config.num_tokens === 256;
    const prompt = values.prompt ?? '\n';
    if (bytes) process.stdout.write(prompt);
    const ac = new AbortController();
    process.once('SIGINT', () => ac.abort());
    const r = await model.generate(bytes ? prompt : prompt.split(',').map(Number), {
      ...opts, signal: ac.signal,
      callback: (s) => { process.stdout.write(bytes ? s.text : `${s.token} `); },
    });
    process.stdout.write('\n');
    process.stderr.write(`${r.tokens.length} tokens, ${r.stats.tokens_per_second.toFixed(1)} tokens/s ` +
      `(${model.runtime.variant}, ${model.runtime.threads} thread(s)), finish: ${r.finish_reason}\n`);
    for (const w of r.warnings) process.stderr.write(`note: ${w} (--reencode)\n`);
  } finally {
    model.dispose();
  }
}

// The reference package's loss over windows of `seq` + 1 bytes, by the engine.
async function evaluate(values) {
  if (!values.data) throw new Error('eval needs --data FILE');
  const maxBytes = count(values, 'max-bytes', Infinity);
  let data = await readLocalFile(values.data);
  const model = await loadModel(values);
  try {
    const c = model.config;
    if (data.length > maxBytes) data = data.subarray(0, maxBytes);
    const seq = number(values, 'seq', c.max_seq_len);
    const t0 = Date.now();
    // The engine's evaluation (model/evaluate.h), as `lst eval-text`.
    const e = model.evaluate(data, { seq });
    process.stderr.write(`${e.bytes} bytes in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
    console.log(`loss ${e.nats_per_byte.toFixed(4)} nats/byte, ${e.bits_per_byte.toFixed(4)} bits/byte ` +
      `(${e.bytes - 1} bytes predicted, windows of ${seq})`);
  } finally {
    model.dispose();
  }
}

async function main() {
  const [command, ...rest] = process.argv.slice(2);
  if (!command || command === '--help' || command === '-h') {
    console.log(USAGE);
    return command ? 0 : 2;
  }
  // `--seed -1` is a value, not an option: parseArgs would call it ambiguous,
  // so it is given as `--seed=-1` (and the engine then says what is wrong with it).
  const args = [];
  for (let i = 0; i < rest.length; i++) {
    const name = rest[i].startsWith('--') ? rest[i].slice(2) : null;
    if (name && OPTIONS[name]?.type === 'string' && /^-[\d.]/.test(rest[i + 1] ?? '')) args.push(`${rest[i]}=${rest[++i]}`);
    else args.push(rest[i]);
  }
  const { values } = parseArgs({ args, options: OPTIONS, strict: true });
  if (command === 'generate') await generate(values);
  else if (command === 'eval') await evaluate(values);
  else {
    // As `lst`: an unknown command prints the usage and exits 2.
    process.stderr.write(`long-short-transformer: error: unknown command '${String(command).slice(0, 40)}'\n${USAGE}\n`);
    return 2;
  }
  return 0;
}

main().then((code) => { process.exitCode = code; }, (e) => {
  process.stderr.write(`long-short-transformer: error: ${e.message}\n`);
  process.exitCode = 1;
});
