// A tiny fork-join pool: parallel_for splits [0, n) into contiguous chunks,
// one per thread, and the calling thread takes a share. Without threads
// (single-threaded wasm build) it runs everything inline.
//
// Waiting: a worker that finished a job, and a caller waiting for its
// workers, first spin for a short while (kSpinMicros) before sleeping on a
// condition variable. A decode step runs dozens of small jobs back to back;
// waking a sleeping thread for each costs tens of microseconds (more in
// WebAssembly, where a wait is Atomics.wait), which ate all that a second
// thread could give. Pools with more threads than the machine has never spin.
#pragma once
#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <exception>
#include <mutex>
#include <thread>
#include <type_traits>
#include <vector>

namespace lst {

// A non-owning reference to a callable fn(begin, end). Unlike std::function
// it never allocates, so a parallel loop does not touch the heap (a training
// step runs dozens of them). The callable must outlive the call it is passed to.
class ChunkFn {
 public:
  template <class F, class = std::enable_if_t<!std::is_same_v<std::decay_t<F>, ChunkFn>>>
  ChunkFn(const F& f)  // NOLINT: implicit, as std::function's
      : obj_(&f),
        call_([](const void* o, size_t b, size_t e) { (*static_cast<const F*>(o))(b, e); }) {}
  void operator()(size_t b, size_t e) const { call_(obj_, b, e); }

 private:
  const void* obj_;
  void (*call_)(const void*, size_t, size_t);
};

class ThreadPool {
 public:
  // num_threads counts the caller: 1 means "run inline, no workers".
  explicit ThreadPool(int num_threads = 1);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int num_threads() const { return num_threads_; }

  // fn(begin, end) is called on disjoint chunks covering [0, n). Chunks are
  // at least `grain` items. Exceptions in workers are rethrown here.
  void parallel_for(size_t n, ChunkFn fn, size_t grain = 1);

  // Largest thread count this build can use (1 without thread support).
  static int max_supported_threads();
  // Largest thread count a pool accepts: 4x the hardware threads (at least
  // 8, at most 256); more only costs memory and start-up time.
  static int max_threads();
  // Throws lst::Error unless 1 <= n <= max_threads(), in the words the JS
  // API uses too (js/runtime/choose-variant.js).
  static void check_thread_count(long long n);

 private:
  void worker_loop(int index);
  void stop_all();   // stops and joins the workers
  // Spins until done() or kSpinMicros pass (false then); never when !spin_.
  template <class Done>
  bool spin_until(const Done& done) const;

  int num_threads_ = 1;
  std::vector<std::thread> workers_;
  std::mutex mu_;
  std::condition_variable cv_work_, cv_done_;
  const ChunkFn* job_ = nullptr;
  size_t job_n_ = 0, job_chunk_ = 0;
  int job_chunks_ = 0;
  // Changed under mu_ (so a sleeper cannot miss them) and read without it
  // by the spinning threads.
  std::atomic<unsigned> generation_{0};
  std::atomic<int> pending_{0};
  std::atomic<bool> stop_{false};
  bool spin_ = false;  // threads <= hardware threads
  std::exception_ptr error_;
};

}  // namespace lst
