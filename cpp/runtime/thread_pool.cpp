#include "runtime/thread_pool.h"

#include <algorithm>
#include <chrono>

#include "core/error.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define LST_CPU_RELAX() _mm_pause()
#else
#define LST_CPU_RELAX() ((void)0)
#endif

#if defined(__EMSCRIPTEN__) && !defined(__EMSCRIPTEN_PTHREADS__)
#define LST_HAVE_THREADS 0
#else
#define LST_HAVE_THREADS 1
#endif

namespace lst {
namespace {
// How long a thread spins before it sleeps: longer than the gap between two
// jobs of one forward or decode step, short enough that an idle pool stops
// burning its cores at once.
constexpr auto kSpinMicros = std::chrono::microseconds(200);
}  // namespace

template <class Done>
bool ThreadPool::spin_until(const Done& done) const {
  if (!spin_) return false;
  const auto t0 = std::chrono::steady_clock::now();
  for (unsigned i = 1;; ++i) {
    if (done()) return true;
    LST_CPU_RELAX();
    if ((i & 255) == 0 && std::chrono::steady_clock::now() - t0 > kSpinMicros) return false;
  }
}

int ThreadPool::max_supported_threads() {
#if LST_HAVE_THREADS
  unsigned hw = std::thread::hardware_concurrency();
  return hw == 0 ? 1 : static_cast<int>(hw);
#else
  return 1;
#endif
}

int ThreadPool::max_threads() {
  return std::min(256, std::max(8, 4 * max_supported_threads()));
}

void ThreadPool::check_thread_count(long long n) {
  LST_CHECK(n >= 1 && n <= max_threads(), "threads must be an integer in [1, ", max_threads(),
            "] (at most 4x this machine's ", max_supported_threads(), " hardware threads), got ", n);
}

ThreadPool::ThreadPool(int num_threads) {
  check_thread_count(num_threads);
#if !LST_HAVE_THREADS
  num_threads = 1;  // this build has no threads; run inline
#endif
  num_threads_ = num_threads;
  spin_ = num_threads_ > 1 && num_threads_ <= max_supported_threads();
  try {
    for (int i = 1; i < num_threads_; ++i) workers_.emplace_back([this, i] { worker_loop(i); });
  } catch (const std::exception& e) {
    // Stop the workers that did start before unwinding (they wait on this
    // pool's condition variable, which must not be destroyed under them).
    const size_t started = workers_.size();
    stop_all();
    LST_FAIL("could not start thread ", started + 1, " of ", num_threads, " (", e.what(),
             "): use fewer threads");
  }
}

void ThreadPool::stop_all() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_.store(true);
  }
  cv_work_.notify_all();
  for (auto& t : workers_) t.join();
  workers_.clear();
}

ThreadPool::~ThreadPool() { stop_all(); }

void ThreadPool::worker_loop(int index) {
  unsigned seen = 0;
  for (;;) {
    const ChunkFn* job;
    size_t n, chunk;
    const auto ready = [&] { return stop_.load() || generation_.load() != seen; };
    spin_until(ready);
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_work_.wait(lock, ready);
      if (stop_.load()) return;
      seen = generation_.load();
      job = job_;
      n = job_n_;
      chunk = job_chunk_;
      if (index >= job_chunks_) job = nullptr;  // nothing for this worker
    }
    if (job) {
      size_t b = static_cast<size_t>(index) * chunk, e = std::min(n, b + chunk);
      try {
        if (b < e) (*job)(b, e);
      } catch (...) {
        std::lock_guard<std::mutex> lock(mu_);
        if (!error_) error_ = std::current_exception();
      }
    }
    if (pending_.fetch_sub(1) == 1) {
      // The caller may be asleep: notify under the lock it checks under.
      std::lock_guard<std::mutex> lock(mu_);
      cv_done_.notify_one();
    }
  }
}

void ThreadPool::parallel_for(size_t n, ChunkFn fn, size_t grain) {
  if (n == 0) return;
  grain = std::max<size_t>(grain, 1);
  size_t max_chunks = (n + grain - 1) / grain;
  int chunks = static_cast<int>(std::min<size_t>(max_chunks, num_threads_));
  if (chunks <= 1) {
    fn(0, n);
    return;
  }
  size_t chunk = (n + chunks - 1) / chunks;
  {
    std::lock_guard<std::mutex> lock(mu_);
    job_ = &fn;
    job_n_ = n;
    job_chunk_ = chunk;
    job_chunks_ = chunks;
    pending_.store(num_threads_ - 1);
    error_ = nullptr;
    generation_.fetch_add(1);
  }
  cv_work_.notify_all();
  std::exception_ptr mine;
  try {
    fn(0, std::min(n, chunk));
  } catch (...) {
    mine = std::current_exception();
  }
  const auto done = [&] { return pending_.load() == 0; };
  spin_until(done);
  std::unique_lock<std::mutex> lock(mu_);
  cv_done_.wait(lock, done);
  job_ = nullptr;
  if (mine) std::rethrow_exception(mine);
  if (error_) std::rethrow_exception(error_);
}

}  // namespace lst
