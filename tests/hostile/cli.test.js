// Hostile command lines for both CLIs: the native `build/lst` (under an
// address-space limit, prlimit --as) and the Node `js/cli.js` (wasm: under a
// data limit, prlimit --data; its peak RSS measured by /usr/bin/time); each
// run is killed, with all it started, at the time bound (timeout -s KILL).
// Each row { name, args, expect }: `expect` is the named error (a RegExp
// matched against the one-line stderr of an exit status 1) or a function
// that checks the documented result { status, stdout, stderr }.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { SafetensorsFile } from '../../js/index.js';
import { tensorsOf, writeSafetensors } from '../js/helpers.js';
import { MAX_MESSAGE, nested, rawSafetensors } from './hostile.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const LST = join(root, 'build', 'lst');
const NODE_CLI = join(root, 'js', 'cli.js');
const BUNDLED = join(root, 'models', 'tinyshakespeare.safetensors');
const tmp = mkdtempSync(join(tmpdir(), 'lst-hostile-cli-'));
const file = (name, bytes) => { const p = join(tmp, name); writeFileSync(p, bytes); return p; };

const NATIVE_AS_BYTES = 3e9;      // address space of one native run (prlimit --as)
const NODE_DATA_BYTES = 3e9;      // writable memory of one Node CLI run (prlimit --data: wasm reserves far more address space)
const NODE_RSS_MB = 1500;         // and its peak RSS, measured
const TIMEOUT_MS = 20_000;
const SMALL = { num_tokens: 256, dim: 32, depth: 2, max_seq_len: 64, heads: 2, dim_head: 16, window_size: 8, segment_size: 4, r: 1 };
const HUGE = JSON.stringify({ ...SMALL, depth: 1e6 });

// Files the rows refer to, written before the first run.
const F = {};

function run(cli, args) {
  const timeFile = join(tmp, 'time.txt');
  // `timeout` signals its whole process group, so a run past the bound dies with everything it started.
  const limit = cli === 'native' ? [`--as=${NATIVE_AS_BYTES}`, LST] : [`--data=${NODE_DATA_BYTES}`, process.execPath, NODE_CLI];
  const command = ['-s', 'KILL', `${TIMEOUT_MS / 1000}`, '/usr/bin/time', '-f', '%M', '-o', timeFile, 'prlimit', ...limit, ...args];
  const t0 = performance.now();
  const r = spawnSync('timeout', command, { encoding: 'utf8', cwd: tmp, maxBuffer: 1 << 24 });
  const ms = performance.now() - t0;
  assert.equal(r.error, undefined, `${cli} ${args.join(' ').slice(0, 200)}: ${r.error?.message}`);
  assert.notEqual(r.status, 137, `${cli} ${args.join(' ').slice(0, 200)}: killed at the ${TIMEOUT_MS} ms bound`);
  const text = readFileSync(timeFile, 'utf8');
  const rssMb = Number(text.trim().split('\n').at(-1)) / 1024;
  // /usr/bin/time adds "Command exited with non-zero status N" to its own file, not to stderr.
  return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr, ms, rssMb };
}

const prefix = { native: /^lst: error: /, node: /^long-short-transformer: error: / };

function check(cli, row, r) {
  const what = `${cli} ${row.args.join(' ').slice(0, 200)}`;
  assert.equal(r.signal, null, `${what}: killed by ${r.signal}`);
  if (cli === 'node') assert.ok(r.rssMb < NODE_RSS_MB, `${what}: peak RSS ${r.rssMb.toFixed(0)} MB`);
  if (row.expect instanceof RegExp) {
    assert.equal(r.status, row.status ?? 1, `${what}: exit status ${r.status}; stderr: ${r.stderr.slice(0, 400)}`);
    // One line: the error (after progress lines, for `last` rows).
    let lines = r.stderr.trim().split('\n');
    if (row.last) lines = lines.slice(-1);
    assert.equal(lines.length, 1, `${what}: one line on stderr, got ${lines.length}: ${r.stderr.slice(0, 400)}`);
    assert.match(lines[0], prefix[cli], what);
    assert.ok(!/\[object Object\]|bad_alloc|stoi|stol|BindingError|could not be cloned|Maximum call stack/.test(lines[0]),
      `${what}: a raw message: ${lines[0].slice(0, 300)}`);
    assert.match(lines[0], row.expect, what);
    assert.ok(lines[0].length <= MAX_MESSAGE, `${what}: a ${lines[0].length}-character message`);
  } else {
    row.expect(r);
  }
}

const ok = (r) => assert.equal(r.status, 0, r.stderr);

/** Rows for the native CLI. */
const NATIVE = [
  // generate: every flag the issue names, and more
  { args: () => ['generate', BUNDLED, '--threads', '4294967297'], expect: /--threads expects an integer in \[-2\^31, 2\^31\), got 4294967297/ },
  { args: () => ['generate', BUNDLED, '--threads', '1000'], expect: /threads must be an integer in \[1, \d+\] \(at most 4x this machine's \d+ hardware threads\), got 1000/ },
  { args: () => ['generate', BUNDLED, '--threads', '0'], expect: /threads must be an integer in \[1, \d+\] \(at most 4x this machine's \d+ hardware threads\), got 0/ },
  { args: () => ['generate', BUNDLED, '--threads', '1.5'], expect: /--threads expects an integer, got '1\.5'/ },
  { args: () => ['generate', BUNDLED, '--max-new-tokens', '4294967299'], expect: /max_new_tokens must be an integer in \[0, 10000000\], got 4294967299/ },
  { args: () => ['generate', BUNDLED, '--max-new-tokens', '1.5'], expect: /max_new_tokens must be an integer/ },
  { args: () => ['generate', BUNDLED, '--temperature', '-1'], expect: /temperature must be a number >= 0, got -1/ },
  { args: () => ['generate', BUNDLED, '--temperature', 'nan'], expect: /temperature must be a number, got "nan"/ },
  { args: () => ['generate', BUNDLED, '--filter-thres', '-0.5'], expect: /filter_thres must be in \[0, 1\], got -0\.5/ },
  { args: () => ['generate', BUNDLED, '--seed', '-1'], expect: /seed must be an integer in \[0, 9007199254740991\], got -1/ },
  { args: () => ['generate', BUNDLED, '--seed', '1e300'], expect: /seed must be an integer in \[0, 9007199254740991\]/ },
  { args: () => ['generate', BUNDLED, '--eos', '999'], expect: /eos_token must be an integer in \[0, 255\], got 999/ },
  { args: () => ['generate', BUNDLED, '--top-k', '0'], expect: /top_k must be an integer in \[1, 256\], got 0/ },
  { args: () => ['generate', BUNDLED, '--top-p', '2'], expect: /top_p must be in \(0, 1\], got 2/ },
  { args: () => ['generate', BUNDLED, '--stop', ''], expect: /each stop sequence must be a non-empty string/ },
  { args: () => ['generate', BUNDLED, '--prompt-ids', 'a,b'], expect: /option --prompt-ids expects integers separated by commas, got 'a'/ },
  { args: () => ['generate', BUNDLED, '--prompt-ids', '1,999'], expect: /token id 999 at \[0, 1\] is out of range \[0, 256\)/ },
  { args: () => ['generate', BUNDLED, '--prompt-ids', '1,99999999999999999999'], expect: /option --prompt-ids expects integers separated by commas, got '99999999999999999999'/ },
  { args: () => ['generate', BUNDLED, '--prompt-ids', ''], expect: /the prompt is empty/ },
  { args: () => ['generate', BUNDLED, '--prompt-ids', '1,,2'], expect: /option --prompt-ids expects integers separated by commas, got ''/ },
  { args: () => ['generate', BUNDLED, '--backend', 'gpu'], expect: /unknown GEMM backend/ },
  { args: () => ['generate', BUNDLED, '--frobnicate', '3'], expect: /unknown option --frobnicate/ },
  { args: () => ['generate', BUNDLED, '--prompt'], expect: /option --prompt needs a value/ },
  { args: () => ['generate', BUNDLED, '--config', HUGE], expect: /depth must be <= \d+, got 1000000/ },
  { args: () => ['generate', F.smallModel, '--max-new-tokens', '0', '--prompt', 'ab'], name: 'max-new-tokens 0 (documented: the prompt only)',
    expect: (r) => { ok(r); assert.equal(r.stdout, 'ab\n'); } },
  { args: () => ['generate', F.smallModel, '--seed', '1e3', '--max-new-tokens', '3'], name: 'seed 1e3 (documented: JSON number 1000)', expect: ok },
  { args: () => ['generate', join(tmp, 'missing.safetensors')], expect: /cannot open '.*missing\.safetensors': No such file/ },
  { args: () => ['generate', '/dev/zero'], expect: /'\/dev\/zero' is not a regular file/ },
  { args: () => ['generate', tmp], expect: /is not a regular file/ },
  // info: hostile files
  { args: () => ['info', '/dev/zero'], expect: /'\/dev\/zero' is not a regular file/ },
  { args: () => ['info', join(tmp, 'missing.safetensors')], expect: /cannot open/ },
  { args: () => ['info', F.garbage], expect: /safetensors/ },
  { args: () => ['info', F.empty], expect: /empty/ },
  { args: () => ['info', F.hugeLength], expect: /header length \d+ is absurd/ },
  { args: () => ['info', F.deepConfig], expect: /config: 400000 bytes of JSON, more than 65536/ },
  { args: () => ['info', F.deepConfig30k], expect: /config: JSON nested more than 2 levels deep/ },
  { args: () => ['info', F.deepHeader], expect: /nested more than \d+ levels/ },
  { args: () => ['info', F.depth1e6], expect: /depth must be <= \d+, got 1000000/ },
  { args: () => ['info', F.lcm], expect: /lcm\(window_size, segment_size\) = 1047552/ },
  { args: () => ['info', F.negativeOffsets], expect: /data_offsets/ },
  { args: () => ['info', F.dtypeConstructor], expect: /dtype/ },
  { args: () => ['info', F.metadataArray], expect: /__metadata__ is not an object/ },
  { args: () => ['info', F.truncated], expect: /safetensors/ },
  { args: () => ['info', F.smallModel], name: 'info of the small model (documented)', expect: (r) => { ok(r); assert.match(r.stdout, /num_tokens/); } },
  // create
  { args: () => ['create', '--config', HUGE, '--out', join(tmp, 'huge.safetensors')], expect: /depth must be <= \d+, got 1000000/ },
  { args: () => ['create', '--config', JSON.stringify({ ...SMALL, window_size: 1024, segment_size: 1023 }), '--out', join(tmp, 'x.safetensors')],
    expect: /lcm\(window_size, segment_size\) = 1047552/ },
  { args: () => ['create', '--config', JSON.stringify({ ...SMALL, r: 4 }), '--out', join(tmp, 'x.safetensors')], expect: /causal mode needs r < segment_size/ },
  { args: () => ['create', '--config', JSON.stringify({ ...SMALL, depth: 2147483647 }), '--out', join(tmp, 'x.safetensors')], expect: /depth must be <= \d+/ },
  { args: () => ['create', '--config', JSON.stringify({ ...SMALL, r: 2147483647, causal: false }), '--out', join(tmp, 'x.safetensors')], expect: /config: .*(r|parameters)/ },
  { args: () => ['create', '--config', JSON.stringify({ ...SMALL, dimm: 1 }), '--out', join(tmp, 'x.safetensors')], expect: /config: unknown key 'dimm'/ },
  { args: () => ['create', '--config', JSON.stringify({ ...SMALL, ff_dropout: 1 }), '--out', join(tmp, 'x.safetensors')], expect: /'ff_dropout' must be a number in \[0, 1\), got 1/ },
  { args: () => ['create', '--config', `{"dim": ${nested(20000)}}`, '--out', join(tmp, 'x.safetensors')], expect: /config: JSON nested more than 2 levels deep/ },
  { args: () => ['create', '--config', '{"dim"', '--out', join(tmp, 'x.safetensors')], expect: /config: invalid JSON/ },
  { args: () => ['create', '--config', join(tmp, 'missing.json'), '--out', join(tmp, 'x.safetensors')], expect: /cannot open/ },
  { args: () => ['create', '--config', JSON.stringify(SMALL)], expect: /missing required option --out/ },
  { args: () => ['create', '--config', JSON.stringify({ ...SMALL, dim_head: 1 }), '--out', join(tmp, 'dh1.safetensors')], name: 'create dim_head 1 (documented: supported)', expect: ok },
  { args: () => ['create', '--config', JSON.stringify({ ...SMALL, max_seq_len: 2147483647 }), '--out', join(tmp, 'msl.safetensors')], name: 'create max_seq_len 2^31-1 (documented: supported)', expect: ok },
  // train
  { args: () => ['train', '--data', F.text, '--config', JSON.stringify(SMALL), '--steps', '-1'], expect: /steps must be an integer in \[0, \d+\], got -1/ },
  { args: () => ['train', '--data', F.text, '--config', JSON.stringify(SMALL), '--seq', '1.5'], expect: /seq must be an integer in \[1, \d+\], got 1\.5/ },
  { args: () => ['train', '--data', F.text, '--config', JSON.stringify(SMALL), '--batch', '0'], expect: /batch must be an integer in \[1, \d+\], got 0/ },
  { args: () => ['train', '--data', F.text, '--config', JSON.stringify(SMALL), '--lr', '-1'], expect: /lr must be in \(0, 10\], got -1/ },
  { args: () => ['train', '--data', F.text, '--config', JSON.stringify(SMALL), '--epochs', '3'], expect: /unknown option --epochs/ },
  { args: () => ['train', '--data', F.empty, '--config', JSON.stringify(SMALL), '--seq', '16', '--steps', '1'], last: true, expect: /training data has 0 bytes, need more than seq \+ 1 = 17/ },
  { args: () => ['train', '--data', F.shortText, '--config', JSON.stringify(SMALL), '--seq', '32', '--steps', '1'], last: true, expect: /training data has 9 bytes, need more than seq \+ 1 = 33/ },
  { args: () => ['train', '--data', '/dev/zero', '--config', JSON.stringify(SMALL), '--steps', '1'], expect: /not a regular file/ },
  { args: () => ['train', '--data', join(tmp, 'missing.txt'), '--config', JSON.stringify(SMALL), '--steps', '1'], expect: /cannot open/ },
  { args: () => ['train', '--data', F.text, '--config', JSON.stringify(SMALL), '--ff-dropout', '1'], expect: /ff_dropout must be in \[0, 1\), got 1/ },
  { args: () => ['train', '--data', F.text, '--config', JSON.stringify(SMALL), '--lr', '1e30'], expect: /lr must be in \(0, 10\], got 1e\+30/ },
  { args: () => ['train', '--data', F.text, '--init', F.hugeModel, '--seq', '16', '--batch', '2', '--steps', '3', '--valid-every', '0',
    '--sample-every', '0', '--out', join(tmp, 'run-huge')], name: 'train from overflowing weights: a named non-finite error', last: true,
    expect: /(loss|gradient).*(not finite|non-finite|NaN|inf)/i },
  // eval-text
  { args: () => ['eval-text', F.smallModel, '--data', F.empty], expect: /empty|too few|at least 2/ },
  { args: () => ['eval-text', F.smallModel, '--data', F.text, '--seq', '0'], expect: /seq must be/ },
  { args: () => ['eval-text', F.smallModel, '--data', F.text, '--valid-fraction', '2'], expect: /valid.fraction|fraction/ },
  { args: () => ['frobnicate'], status: 2, name: 'unknown command (documented: usage, exit 2)', expect: (r) => { assert.equal(r.status, 2); assert.match(r.stderr, /unknown command/); } },
];

/** Rows for the Node CLI (js/cli.js; the bundled model unless --model). */
const NODE = [
  // (rows without --model or --threads run the small model on the single-threaded build: see `nodeArgs`)
  { args: () => ['generate', '--threads', '4294967297'], expect: /threads must be an integer in \[1, \d+\]/ },
  { args: () => ['generate', '--threads', '-1'], expect: /threads must be an integer in \[1, \d+\]/ },
  { args: () => ['generate', '--max-new-tokens', '4294967299'], expect: /max_new_tokens must be an integer in \[0, 10000000\], got 4294967299/ },
  { args: () => ['generate', '--max-new-tokens', '-5'], expect: /max_new_tokens must be an integer in \[0, 10000000\], got -5/ },
  { args: () => ['generate', '--temperature', '-1'], expect: /temperature must be a number >= 0, got -1/ },
  { args: () => ['generate', '--filter-thres', '-0.5'], expect: /filter_thres must be in \[0, 1\], got -0\.5/ },
  { args: () => ['generate', '--seed', '-1'], expect: /seed must be an integer in \[0, 9007199254740991\], got -1/ },
  { args: () => ['generate', '--eos', '999'], expect: /eos_token must be an integer in \[0, 255\], got 999/ },
  { args: () => ['generate', '--top-k', '0'], expect: /top_k must be an integer in \[1, 256\], got 0/ },
  { args: () => ['generate', '--top-p', '-0.1'], expect: /top_p must be in \(0, 1\], got -0\.1/ },
  { args: () => ['generate', '--stop', ''], expect: /each stop sequence must be a non-empty string/ },
  { args: () => ['generate', '--weights', 'int9'], expect: /weights must be f32, f16, int8 or stored, got "int9"/ },
  { args: () => ['eval', '--data', F.text, '--weights', 'F32'], expect: /weights must be f32, f16, int8 or stored, got "F32"/ },
  { args: () => ['generate', '--temperature'], expect: /Option '--temperature <value>' argument missing/ },
  { args: () => ['generate', '--frobnicate'], expect: /Unknown option '--frobnicate'/ },
  { args: () => ['generate', '--model', join(tmp, 'missing.safetensors')], expect: /could not read '.*missing\.safetensors': no such file/ },
  { args: () => ['generate', '--model', '/dev/zero'], expect: /could not read '\/dev\/zero': not a regular file/ },
  { args: () => ['generate', '--model', F.deepConfig30k], expect: /config: JSON nested more than 2 levels deep/ },
  { args: () => ['generate', '--model', F.depth1e6], expect: /depth must be <= \d+, got 1000000/ },
  { args: () => ['generate', '--model', F.garbage], expect: /safetensors/ },
  { args: () => ['generate', '--model', F.smallModel, '--max-new-tokens', '0', '--prompt', 'ab'], name: 'max-new-tokens 0 (documented: the prompt only)',
    expect: (r) => { ok(r); assert.equal(r.stdout, 'ab\n'); } },
  { args: () => ['eval', '--data', F.empty], expect: /evaluate: .*(at least 2|empty|bytes)/ },
  { args: () => ['eval'], expect: /eval needs --data FILE/ },
  { args: () => ['eval', '--data', F.text, '--seq', '1.5'], expect: /seq must be an integer/ },
  { args: () => ['eval', '--data', F.text, '--seq', '-1'], expect: /seq must be an integer/ },
  { args: () => ['eval', '--data', F.text, '--max-bytes', '-1'], expect: /--max-bytes expects an integer >= 0, got '-1'/ },
  { args: () => ['eval', '--data', '/dev/zero'], expect: /not a regular file/ },
  { args: () => ['frobnicate'], name: 'unknown command (documented: usage, exit 2, as lst)',
    expect: (r) => { assert.equal(r.status, 2); assert.match(r.stderr, /^long-short-transformer: error: unknown command 'frobnicate'\nusage:/); } },
];

before(() => {
  const small = spawnSync(LST, ['create', '--config', JSON.stringify(SMALL), '--out', join(tmp, 'small.safetensors')], { encoding: 'utf8' });
  assert.equal(small.status, 0, small.stderr);
  F.smallModel = join(tmp, 'small.safetensors');
  const bytes = readFileSync(F.smallModel);
  F.truncated = file('truncated.safetensors', bytes.subarray(0, bytes.length - 100));
  F.garbage = file('garbage.safetensors', 'definitely not a safetensors file');
  F.empty = file('empty.txt', '');
  F.hugeLength = file('huge-length.safetensors', rawSafetensors('{}', undefined, 2n ** 64n - 1n));
  F.deepConfig = file('deep-config.safetensors', rawSafetensors({ __metadata__: { config: nested(200000) } }));
  F.deepConfig30k = file('deep-config-30k.safetensors', rawSafetensors({ __metadata__: { config: nested(30000) } }));
  F.deepHeader = file('deep-header.safetensors', rawSafetensors(`{"a": ${nested(200000)}}`));
  F.depth1e6 = file('depth.safetensors', rawSafetensors({ __metadata__: { config: HUGE } }));
  F.lcm = file('lcm.safetensors', rawSafetensors({ __metadata__: { config: JSON.stringify({ ...SMALL, window_size: 1024, segment_size: 1023 }) } }));
  F.negativeOffsets = file('neg.safetensors', rawSafetensors({ a: { dtype: 'F32', shape: [1], data_offsets: [-8, -4] } }, new Uint8Array(4)));
  F.dtypeConstructor = file('ctor.safetensors', rawSafetensors({ a: { dtype: 'constructor', shape: [1], data_offsets: [0, 4] } }, new Uint8Array(4)));
  F.metadataArray = file('meta.safetensors', rawSafetensors({ __metadata__: ['x'] }));
  const huge = new SafetensorsFile(new Uint8Array(bytes));
  const tensors = tensorsOf(huge);
  for (const t of Object.values(tensors)) t.data.fill(3e38);
  F.hugeModel = file('huge.safetensors', writeSafetensors(tensors, huge.metadata));
  F.text = file('text.txt', 'To be, or not to be, that is the question. '.repeat(20));
  F.shortText = file('short.txt', 'too short');
});

/** The Node CLI's rows run the small model (fast to load) on one thread unless they name --model or --threads. */
function nodeArgs(args) {
  if (args[0] !== 'generate' && args[0] !== 'eval') return args;
  const extra = [];
  if (!args.includes('--model')) extra.push('--model', F.smallModel);
  if (!args.includes('--threads')) extra.push('--threads', '1');
  return [args[0], ...extra, ...args.slice(1)];
}

const timings = [];
for (const [cli, rows] of [['native', NATIVE], ['node', NODE]]) {
  describe(`hostile command lines: ${cli === 'native' ? 'build/lst' : 'node js/cli.js'}`, () => {
    test('the CLI exists', () => assert.ok(existsSync(cli === 'native' ? LST : NODE_CLI)));
    rows.forEach((row, i) => {
      // Names from the row (args are built once the files exist).
      test(row.name ?? `#${i} ${row.expect}`.slice(0, 120), { timeout: TIMEOUT_MS + 10_000 }, () => {
        const r = { ...row, args: cli === 'node' ? nodeArgs(row.args()) : row.args() };
        const result = run(cli, r.args);
        timings.push([`${cli} ${r.args.join(' ').slice(0, 80)}`, result.ms, result.rssMb]);
        check(cli, r, result);
      });
    });
  });
}

test('report', () => {
  const slow = [...timings].sort((a, b) => b[1] - a[1]).slice(0, 3);
  const peak = Math.max(...timings.map((t) => t[2]));
  process.stdout.write(`# hostile cli: ${timings.length} runs; peak RSS ${peak.toFixed(0)} MB; slowest: ` +
    `${slow.map(([n, ms]) => `${n} ${ms.toFixed(0)} ms`).join('; ')}\n`);
});
