// Rotary position embedding on interleaved pairs (2i, 2i+1), i < dh/2
// (docs/SPEC.md §4.3, rotary-embedding-torch 0.1.2). With odd dh the last feature is
// left alone.
#pragma once
#include <cstddef>
#include <cstdint>

namespace lst {

// cos/sin tables for positions [t0, t0 + count): (count, half) each, angles
// t * freqs[i] computed in double (float angles drift by 1e-4 rad at t ~ 1e3).
void rotary_tables(float* cos_out, float* sin_out, int64_t t0, size_t count,
                   const float* freqs, size_t half);

// Rotates `rows` rows of `heads` heads of width dh in place:
// x[r, h*dh + 2i .. 2i+1] by the angle of row r. Row stride `stride`.
void rotary_apply(float* x, size_t stride, size_t rows, size_t heads, size_t dh,
                  const float* cos_t, const float* sin_t, size_t half);

// Inverse rotation (the backward of rotary_apply): rotates by -angle.
void rotary_apply_inverse(float* x, size_t stride, size_t rows, size_t heads, size_t dh,
                          const float* cos_t, const float* sin_t, size_t half);

}  // namespace lst
