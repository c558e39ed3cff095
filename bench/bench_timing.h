// Timing helpers every native/wasm benchmark shares: a steady clock, the
// median of samples, and a timed call repeated until a sample is long enough.
#pragma once
#include <algorithm>
#include <chrono>
#include <cstddef>
#include <vector>

namespace bench {

using Clock = std::chrono::steady_clock;

inline double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

inline double ms_since(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

// The median (the mean of the middle two for an even count).
inline double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

struct CallTime {
  double median, best;  // seconds per call
};

// Seconds per call of f: one warm-up call, then enough calls per sample to
// last >= 30 ms (3 ms quick), 7 samples (3 quick).
template <class F>
CallTime time_call(F&& f, bool quick) {
  f();
  const double min_time = quick ? 0.003 : 0.03;
  size_t reps = 1;
  for (;;) {
    const auto t0 = Clock::now();
    for (size_t r = 0; r < reps; ++r) f();
    if (seconds_since(t0) >= min_time) break;
    reps *= 2;
  }
  std::vector<double> times;
  for (int i = 0; i < (quick ? 3 : 7); ++i) {
    const auto t0 = Clock::now();
    for (size_t r = 0; r < reps; ++r) f();
    times.push_back(seconds_since(t0) / reps);
  }
  return {median(times), *std::min_element(times.begin(), times.end())};
}

}  // namespace bench
