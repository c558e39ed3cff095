// Which build to run and with how many threads: the threaded build where it
// can run (Node; browsers only when cross-origin isolated) and more than one
// thread is wanted, else the single-threaded one. The caller can force either.
import { hardwareThreads, threadsSupported } from '#platform';

/** Default thread count: the machine's, capped (attention and GEMM stop scaling). */
export const MAX_DEFAULT_THREADS = 4;

/**
 * @param {{ threads?: number, threaded?: boolean }} options
 * @returns {{ variant: 'single'|'threaded', threads: number }}
 */
export function chooseVariant({ threads, threaded } = {}) {
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
