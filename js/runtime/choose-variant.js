// Which build to run and with how many threads: the threaded build where it
// can run (Node; browsers only when cross-origin isolated) and more than one
// thread is wanted, else the single-threaded one; and with which SIMD: relaxed
// SIMD where the engine validates it (Chromium >= 114, Firefox >= 120, Node
// >= 22 or 20 with --experimental-wasm-relaxed-simd), else SIMD128. The
// caller can force either choice.
import { hardwareThreads, threadsSupported } from '#platform';

/** Default thread count: the machine's, capped (attention and GEMM stop scaling). */
export const MAX_DEFAULT_THREADS = 4;

// A function computing f32x4.relaxed_madd of three zero vectors, in the
// final encoding (0xfd 0x85 0x02): validates only where relaxed SIMD runs.
const RELAXED_PROBE = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 61, 1, 59, 0,
  253, 12, ...new Array(16).fill(0), 253, 12, ...new Array(16).fill(0), 253, 12, ...new Array(16).fill(0),
  253, 133, 2, 11]);

// An exported function "dot" returning lane 0 of
// i32x4.relaxed_dot_i8x16_i7x16_add_s(splat8(-3), splat8(5), (10, 20, 30, 40)),
// which must be 4 * -15 + 10 = -50. Node 20's V8 (11.3) gets it wrong in its
// baseline compiler (-120: the dot product added twice), where the relaxed
// build's int8 kernels would run first (docs/RELAXED_SIMD.md).
const DOT_PROBE = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 127, 3, 2, 1, 0, 7, 7, 1, 3, 100, 111,
  116, 0, 0, 10, 64, 1, 62, 0, 253, 12, ...new Array(16).fill(253), 253, 12, ...new Array(16).fill(5),
  253, 12, 10, 0, 0, 0, 20, 0, 0, 0, 30, 0, 0, 0, 40, 0, 0, 0, 253, 147, 2, 253, 27, 0, 11]);

/** Why this engine cannot run the relaxed-SIMD build, or '' when it can (checked once). */
export const relaxedSimdProblem = (() => {
  let known;
  const check = () => {
    if (typeof WebAssembly !== 'object' || !WebAssembly.validate(RELAXED_PROBE)) {
      return 'this engine does not validate WebAssembly relaxed SIMD (Chrome/Edge >= 114, Firefox >= 120, ' +
        'Node >= 22, or Node 20 with --experimental-wasm-relaxed-simd)';
    }
    let got;
    try {
      got = new WebAssembly.Instance(new WebAssembly.Module(DOT_PROBE)).exports.dot();
    } catch (e) {
      return `its relaxed int8 dot product does not run here (${e?.message ?? e})`;
    }
    if (got !== -50) {
      return `this engine computes i32x4.relaxed_dot_i8x16_i7x16_add_s wrongly (${got} instead of -50; ` +
        "Node 20's baseline compiler: run Node >= 22, or Node 20 with --no-liftoff as well)";
    }
    return '';
  };
  return () => (known ??= check());
})();

/** Whether this engine runs the relaxed-SIMD build correctly. */
export const relaxedSimdSupported = () => relaxedSimdProblem() === '';

function chooseSimd(simd) {
  if (simd !== undefined && simd !== 'relaxed' && simd !== 'simd128') {
    throw new Error(`simd must be 'relaxed', 'simd128' or undefined (automatic), got ${typeof simd === 'string' ? JSON.stringify(simd) : String(simd)}`);
  }
  if (simd === 'relaxed' && !relaxedSimdSupported()) {
    throw new Error(`simd: 'relaxed' cannot run here: ${relaxedSimdProblem()}; use simd: 'simd128' or leave it out`);
  }
  return simd ?? (relaxedSimdSupported() ? 'relaxed' : 'simd128');
}

/**
 * @param {{ threads?: number, threaded?: boolean, simd?: 'relaxed'|'simd128' }} options
 * @returns {{ variant: 'single'|'threaded', threads: number, simd: 'relaxed'|'simd128' }}
 */
export function chooseVariant({ threads, threaded, simd } = {}) {
  return { ...chooseThreads({ threads, threaded }), simd: chooseSimd(simd) };
}

function chooseThreads({ threads, threaded }) {
  // The engine's limit (runtime/thread_pool.h: ThreadPool::max_threads), checked here
  // too because the threaded build starts its workers before the engine runs.
  const maxThreads = Math.min(256, Math.max(8, 4 * hardwareThreads()));
  if (threads !== undefined && (!Number.isSafeInteger(threads) || threads < 1 || threads > maxThreads)) {
    throw new Error(`threads must be an integer in [1, ${maxThreads}] (at most 4x this machine's ` +
      `${hardwareThreads()} hardware threads), got ${threads}`);
  }
  if (threaded !== undefined && typeof threaded !== 'boolean') {
    throw new Error(`threaded must be true, false or undefined (automatic), got ${threaded}`);
  }
  const canThread = threadsSupported();
  if (threaded === true && !canThread) {
    throw new Error('the threaded build needs SharedArrayBuffer: in a browser, serve the page cross-origin ' +
      'isolated (Cross-Origin-Opener-Policy: same-origin, Cross-Origin-Embedder-Policy: require-corp), ' +
      'or pass { threaded: false }');
  }
  if (threaded === false) {
    if (threads !== undefined && threads > 1) {
      throw new Error(`the single-threaded build runs 1 thread, got threads: ${threads}`);
    }
    return { variant: 'single', threads: 1 };
  }
  const n = threads ?? (canThread ? Math.max(1, Math.min(MAX_DEFAULT_THREADS, hardwareThreads())) : 1);
  if (threaded === true) return { variant: 'threaded', threads: n };
  if (n > 1 && !canThread) {
    throw new Error(`threads: ${n} needs the threaded build, which needs SharedArrayBuffer: serve the page ` +
      'cross-origin isolated (COOP same-origin + COEP require-corp), or use threads: 1');
  }
  return n > 1 ? { variant: 'threaded', threads: n } : { variant: 'single', threads: 1 };
}
