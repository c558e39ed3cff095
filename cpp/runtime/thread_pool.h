// A tiny fork-join pool: parallel_for splits [0, n) into contiguous chunks,
// one per thread, and the calling thread takes a share. Without threads
// (single-threaded wasm build) it runs everything inline.
#pragma once
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace lst {

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
  void parallel_for(size_t n, const std::function<void(size_t, size_t)>& fn,
                    size_t grain = 1);

  // Largest thread count this build can use (1 without thread support).
  static int max_supported_threads();
  // Largest thread count a pool accepts: 4x the hardware threads (at least
  // 8, at most 256); more only costs memory and start-up time.
  static int max_threads();

 private:
  void worker_loop(int index);
  void stop_all();   // stops and joins the workers

  int num_threads_ = 1;
  std::vector<std::thread> workers_;
  std::mutex mu_;
  std::condition_variable cv_work_, cv_done_;
  const std::function<void(size_t, size_t)>* job_ = nullptr;
  size_t job_n_ = 0, job_chunk_ = 0;
  int job_chunks_ = 0;
  unsigned generation_ = 0;
  int pending_ = 0;
  bool stop_ = false;
  std::exception_ptr error_;
};

}  // namespace lst
