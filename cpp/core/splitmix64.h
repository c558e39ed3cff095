// splitmix64 (Steele, Lea, Flood 2014): the project's one counter-based
// mixer. A 64-bit state advanced by the golden-ratio constant, or any
// (key, counter) pair hashed directly, gives the same numbers on every
// platform and in every build (native, wasm), so seeded runs repeat exactly.
// It serves the weight init, the training data sampler, dropout masks and the
// generation sampler's counter-based uniforms; a 64-bit state is all a
// checkpoint saves of it.
#pragma once
#include <cstdint>

namespace lst {

constexpr uint64_t kGoldenGamma = 0x9E3779B97F4A7C15ull;

// The finaliser: a bijective avalanche of one 64-bit word.
inline uint64_t splitmix64_mix(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// The i-th output of the stream started at `key` (stateless: any order).
inline uint64_t splitmix64_at(uint64_t key, uint64_t i) {
  return splitmix64_mix(key + (i + 1) * kGoldenGamma);
}

// The same stream, one output after another (output i == splitmix64_at(state0, i)).
struct SplitMix64 {
  uint64_t state = 0;

  uint64_t next() { return splitmix64_mix(state += kGoldenGamma); }
  // Uniform in [0, bound), bound >= 1, by rejection (no modulo bias).
  uint64_t below(uint64_t bound) {
    const uint64_t limit = UINT64_MAX - UINT64_MAX % bound;
    uint64_t x;
    do x = next();
    while (x >= limit);
    return x % bound;
  }
  // Uniform in [0, 1) with 53 random bits.
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
};

}  // namespace lst
