// The fork-join pool: every index once, back-to-back jobs across the
// spin/sleep handoff (runtime/thread_pool.h), worker exceptions, shutdown
// while workers spin, and pools with more threads than the machine (which
// never spin).
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "core/error.h"
#include "runtime/thread_pool.h"

using lst::ThreadPool;

namespace {
// Runs one parallel_for over n items and returns how often each was visited.
std::vector<int> visit_counts(ThreadPool& pool, size_t n, size_t grain) {
  std::vector<std::atomic<int>> seen(n);
  pool.parallel_for(
      n,
      [&](size_t b, size_t e) {
        for (size_t i = b; i < e; ++i) seen[i].fetch_add(1);
      },
      grain);
  std::vector<int> out(n);
  for (size_t i = 0; i < n; ++i) out[i] = seen[i].load();
  return out;
}
}  // namespace

TEST_CASE("thread pool: every index exactly once, many jobs back to back and after idling", "[runtime]") {
  const int hw = ThreadPool::max_supported_threads();
  for (int threads : {1, 2, 3, hw, 2 * hw}) {
    if (threads > ThreadPool::max_threads()) continue;
    ThreadPool pool(threads);
    INFO("threads " << threads);
    size_t bad = 0, jobs = 0;
    for (int round = 0; round < 3000; ++round) {
      const size_t n = size_t(round % 37), grain = size_t(1 + round % 3);
      for (int c : visit_counts(pool, n, grain)) bad += c != 1;
      ++jobs;
      // now and then idle longer than the spin, so the workers go to sleep
      // and the next job must wake them
      if (round % 500 == 499) std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    CHECK(jobs == 3000);
    CHECK(bad == 0);
  }
}

TEST_CASE("thread pool: the comparison can fail (a chunk visited twice is seen)", "[runtime]") {
  ThreadPool pool(2);
  std::vector<std::atomic<int>> seen(10);
  pool.parallel_for(10, [&](size_t b, size_t e) {
    for (size_t i = b; i < e; ++i) seen[i].fetch_add(1);
    if (b == 0) seen[0].fetch_add(1);  // a deliberate double visit
  });
  CHECK(seen[0].load() == 2);
}

TEST_CASE("thread pool: a worker's exception reaches the caller; the pool stays usable", "[runtime]") {
  for (int threads : {2, 4}) {
    ThreadPool pool(threads);
    for (int round = 0; round < 50; ++round) {
      try {
        pool.parallel_for(8, [&](size_t b, size_t) {
          if (b != 0) throw std::runtime_error("worker " + std::to_string(b));
        });
        FAIL("the worker's exception must be rethrown");
      } catch (const std::runtime_error& e) {
        CHECK(std::string(e.what()).rfind("worker ", 0) == 0);
      }
      const auto counts = visit_counts(pool, 100, 1);
      size_t bad = 0;
      for (int c : counts) bad += c != 1;
      CHECK(bad == 0);
    }
  }
}

TEST_CASE("thread pool: destroyed right after a job (workers spinning) or idle", "[runtime]") {
  // A lost wake-up at shutdown would hang this loop (CI's timeout catches it).
  size_t bad = 0;
  for (int i = 0; i < 200; ++i) {
    ThreadPool pool(2);
    if (i % 2)  // odd: the workers are still spinning when the pool is destroyed
      for (int c : visit_counts(pool, 64, 1)) bad += c != 1;
  }
  CHECK(bad == 0);
}

TEST_CASE("thread pool: thread counts are checked with one message", "[runtime]") {
  CHECK_THROWS_WITH(ThreadPool(0), Catch::Contains("threads must be an integer in [1, "));
  CHECK_THROWS_WITH(ThreadPool(ThreadPool::max_threads() + 1),
                    Catch::Contains("hardware threads), got " + std::to_string(ThreadPool::max_threads() + 1)));
  ThreadPool one(1);
  CHECK(one.num_threads() == 1);
  CHECK(visit_counts(one, 5, 1) == std::vector<int>(5, 1));
}
