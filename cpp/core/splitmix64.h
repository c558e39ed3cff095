// splitmix64 (Steele, Lea, Flood 2014): the project's one counter-based
// mixer. A 64-bit state advanced by the golden-ratio constant, or any
// (key, counter) pair hashed directly, gives the same numbers on every
// platform and in every build (native, wasm), so seeded runs repeat exactly.
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

}  // namespace lst
