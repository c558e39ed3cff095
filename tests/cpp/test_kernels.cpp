// SIMD kernels against their scalar twins, over lengths 0..2N+ and
// misaligned pointers (gemma.cpp's ops_test habit).
#include <catch2/catch.hpp>
#include <cfloat>
#include <cmath>
#include <random>
#include <vector>

#include "kernels/activations.h"
#include "kernels/layernorm.h"
#include "kernels/long_short_attention.h"
#include "kernels/rotary.h"
#include "kernels/simd.h"
#include "kernels/simd_erf.h"
#include "kernels/simd_exp.h"
#include "attention_row_reference.h"

using namespace lst;

namespace {
std::vector<float> randn(size_t n, uint64_t seed, float scale = 1.0f) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> d(0.0f, scale);
  std::vector<float> v(n);
  for (auto& x : v) x = d(rng);
  return v;
}
}  // namespace

TEST_CASE("simd::exp matches std::exp within 2 ulp-ish, 0 below the underflow bound", "[kernels]") {
  float worst = 0;
  for (float x = -87.0f; x <= 10.0f; x += 0.00731f) {
    float in[simd::kLanes], out[simd::kLanes];
    for (int i = 0; i < simd::kLanes; ++i) in[i] = x + i * 1e-3f;
    simd::store(out, simd::exp(simd::load(in)));
    for (int i = 0; i < simd::kLanes; ++i) {
      const double ref = std::exp(double(in[i]));
      worst = std::max(worst, float(std::fabs(out[i] - ref) / ref));
    }
  }
  CHECK(worst < 3e-7f);
  float masked[simd::kLanes], zeros[simd::kLanes];
  for (int i = 0; i < simd::kLanes; ++i) masked[i] = i % 2 ? -FLT_MAX : -100.0f;
  simd::store(zeros, simd::exp(simd::load(masked)));
  for (int i = 0; i < simd::kLanes; ++i) CHECK(zeros[i] == 0.0f);
  float one[simd::kLanes] = {};
  simd::store(one, simd::exp(simd::zero()));
  CHECK(one[0] == 1.0f);
}

TEST_CASE("dot and axpy over lengths 0..2N+3 and misalignments", "[kernels]") {
  auto a = randn(200, 1), b = randn(200, 2);
  for (size_t off = 0; off < 4; ++off)
    for (size_t n = 0; n <= 2 * simd::kLanes * 4 + 3; ++n) {
      double ref = 0;
      for (size_t i = 0; i < n; ++i) ref += double(a[off + i]) * b[off + i];
      CHECK(std::fabs(simd::dot(a.data() + off, b.data() + off, n) - ref) <= 1e-5 * (1 + n));
      std::vector<float> y(b.begin() + off, b.begin() + off + n), want(y);
      simd::axpy(0.37f, a.data() + off, y.data(), n);
      for (size_t i = 0; i < n; ++i) CHECK(y[i] == Approx(want[i] + 0.37f * a[off + i]).margin(1e-6));
    }
}

TEST_CASE("layernorm SIMD vs scalar twin", "[kernels]") {
  for (size_t dim : {1, 2, 3, 7, 8, 9, 16, 31, 64, 65, 512}) {
    auto x = randn(3 * dim + 1, dim, 3.0f), w = randn(dim, 7), b = randn(dim, 8);
    for (auto& v : x) v += 5.0f;  // a large mean stresses the variance
    std::vector<float> fast(3 * dim), slow(3 * dim);
    layernorm_forward(fast.data(), dim, x.data() + 1, dim, w.data(), b.data(), 3, dim);
    layernorm_forward_scalar(slow.data(), dim, x.data() + 1, dim, w.data(), b.data(), 3, dim);
    INFO("dim " << dim);
    for (size_t i = 0; i < fast.size(); ++i) CHECK(fast[i] == Approx(slow[i]).margin(2e-5));
  }
}

TEST_CASE("simd::erf within 1.5e-7 of std::erf over a dense sweep, odd, saturating", "[kernels]") {
  double worst = 0;
  float worst_x = 0;
  auto check_lanes = [&](const float* in) {
    float out[simd::kLanes];
    simd::store(out, simd::erf(simd::load(in)));
    for (int i = 0; i < simd::kLanes; ++i) {
      const double e = std::fabs(double(out[i]) - std::erf(double(in[i])));
      if (e > worst) worst = e, worst_x = in[i];
    }
  };
  float in[simd::kLanes];
  // every float step of ~1e-5 over [-7, 7] (the split at 0.9277 included)
  for (float x = -7.0f; x <= 7.0f; x += 1.0f / 65536) {
    for (int i = 0; i < simd::kLanes; ++i) in[i] = x + i * (1.0f / (65536 * simd::kLanes));
    check_lanes(in);
  }
  for (float x : {0.0f, -0.0f, 1e-30f, -1e-20f, 0.927734375f, 0.92773443f, 20.0f, -1e30f, 3e38f}) {
    for (int i = 0; i < simd::kLanes; ++i) in[i] = x;
    check_lanes(in);
  }
  INFO("worst abs error " << worst << " at x = " << worst_x);
  CHECK(worst <= 1.5e-7);
}

TEST_CASE("gelu forward / backward SIMD vs double over lengths and misalignments", "[kernels]") {
  auto x = randn(300, 5, 3.0f), dy = randn(300, 6);
  for (size_t off = 0; off < 3; ++off)
    for (size_t n : {0, 1, 3, 7, 8, 9, 17, 33, 250}) {
      std::vector<float> y(n), dx(n, 0.25f);
      gelu_forward(y.data(), x.data() + off, n);
      gelu_backward(dx.data(), dy.data() + off, x.data() + off, n);
      for (size_t i = 0; i < n; ++i) {
        const double v = x[off + i];
        const double cdf = 0.5 * (1 + std::erf(v / std::sqrt(2.0)));
        const double pdf = std::exp(-0.5 * v * v) / std::sqrt(2 * M_PI);
        INFO("n " << n << " i " << i << " x " << v);
        CHECK(std::fabs(y[i] - v * cdf) <= 3e-7 * (1 + std::fabs(v)));
        CHECK(std::fabs(dx[i] - (0.25 + dy[off + i] * (cdf + v * pdf))) <= 1e-6);
      }
    }
}

TEST_CASE("layernorm backward (accumulating) and recompute vs double, strided rows", "[kernels]") {
  for (size_t dim : {1, 2, 3, 7, 8, 9, 16, 31, 48, 65}) {
    const size_t rows = 3, st = dim + 2;
    auto x = randn(rows * st + 1, dim, 2.0f), w = randn(dim, 3), b = randn(dim, 4),
         dy = randn(rows * st, 5);
    for (auto& v : x) v += 3.0f;
    std::vector<float> y(rows * st), y2(rows * st), mean(rows), rstd(rows);
    layernorm_forward(y.data(), st, mean.data(), rstd.data(), x.data() + 1, st, w.data(),
                      b.data(), rows, dim);
    layernorm_recompute(y2.data(), st, x.data() + 1, st, mean.data(), rstd.data(), w.data(),
                        b.data(), rows, dim);
    std::vector<float> dx(rows * st, 0.5f), dw(dim, 0.25f), db(dim, -0.25f);
    layernorm_backward(dx.data(), st, dw.data(), db.data(), dy.data(), st, x.data() + 1, st,
                       mean.data(), rstd.data(), w.data(), rows, dim);
    std::vector<double> dwr(dim, 0.25), dbr(dim, -0.25);
    for (size_t r = 0; r < rows; ++r) {
      const float* xr = x.data() + 1 + r * st;
      double m = 0, v = 0;
      for (size_t i = 0; i < dim; ++i) m += xr[i];
      m /= dim;
      for (size_t i = 0; i < dim; ++i) v += (xr[i] - m) * (xr[i] - m);
      const double rs = 1 / std::sqrt(v / dim + 1e-5);
      double s1 = 0, s2 = 0;
      for (size_t i = 0; i < dim; ++i) {
        const double xh = (xr[i] - m) * rs, g = dy[r * st + i];
        s1 += g * w[i] / dim;
        s2 += g * w[i] * xh / dim;
        dwr[i] += g * xh;
        dbr[i] += g;
      }
      INFO("dim " << dim << " row " << r);
      for (size_t i = 0; i < dim; ++i) {
        const double xh = (xr[i] - m) * rs;
        CHECK(std::fabs(y[r * st + i] - (xh * w[i] + b[i])) <= 2e-5);
        CHECK(y2[r * st + i] == Approx(y[r * st + i]).margin(1e-6));
        const double want = 0.5 + rs * (dy[r * st + i] * w[i] - s1 - xh * s2);
        CHECK(std::fabs(dx[r * st + i] - want) <= 2e-5 * (1 + std::fabs(want)));
      }
    }
    for (size_t i = 0; i < dim; ++i) {
      CHECK(std::fabs(dw[i] - dwr[i]) <= 1e-5);
      CHECK(std::fabs(db[i] - dbr[i]) <= 1e-5);
    }
  }
}

TEST_CASE("rotary SIMD vs scalar, odd dh, inverse undoes forward", "[kernels]") {
  for (size_t dh : {1, 2, 3, 6, 8, 9, 16, 17, 48, 64}) {
    const size_t half = dh / 2, rows = 5, heads = 2, st = heads * dh + 3;
    auto x = randn(rows * st, dh), freqs = randn(std::max<size_t>(half, 1), dh + 1);
    std::vector<float> c(rows * half + 1), s(rows * half + 1);
    rotary_tables(c.data(), s.data(), 7, rows, freqs.data(), half);
    std::vector<float> y = x;
    rotary_apply(y.data(), st, rows, heads, dh, c.data(), s.data(), half);
    for (size_t r = 0; r < rows; ++r)
      for (size_t h = 0; h < heads; ++h) {
        const float* v = x.data() + r * st + h * dh;
        const float* o = y.data() + r * st + h * dh;
        INFO("dh " << dh << " row " << r << " head " << h);
        for (size_t i = 0; i < half; ++i) {
          const double cc = c[r * half + i], ss = s[r * half + i];
          CHECK(std::fabs(o[2 * i] - (v[2 * i] * cc - v[2 * i + 1] * ss)) <= 1e-6);
          CHECK(std::fabs(o[2 * i + 1] - (v[2 * i + 1] * cc + v[2 * i] * ss)) <= 1e-6);
        }
        if (dh % 2) CHECK(o[dh - 1] == v[dh - 1]);
      }
    for (size_t r = 0; r < rows; ++r)  // the padding between rows is untouched
      for (size_t j = heads * dh; j < st; ++j) CHECK(y[r * st + j] == x[r * st + j]);
    rotary_apply_inverse(y.data(), st, rows, heads, dh, c.data(), s.data(), half);
    for (size_t i = 0; i < y.size(); ++i) CHECK(y[i] == Approx(x[i]).margin(2e-6));
  }
}

TEST_CASE("gelu is the exact erf form", "[kernels]") {
  std::vector<float> x = {-6.0f, -2.0f, -0.5f, 0.0f, 0.3f, 1.0f, 3.0f, 8.0f};
  std::vector<float> y = x, ys = x;
  gelu_forward(y.data(), y.size());
  gelu_forward_scalar(ys.data(), ys.size());
  for (size_t i = 0; i < x.size(); ++i) {
    const double ref = 0.5 * x[i] * (1 + std::erf(x[i] / std::sqrt(2.0)));
    CHECK(std::fabs(y[i] - ref) < 1e-6);
    CHECK(std::fabs(ys[i] - ref) < 1e-6);
  }
  // the tanh approximation differs by more than the golden tolerance
  const double tanh_approx = 0.5 * 1.0 * (1 + std::tanh(std::sqrt(2 / M_PI) * (1.0 + 0.044715)));
  CHECK(std::fabs(y[5] - tanh_approx) > 5e-5);
}

TEST_CASE("attend_long_short equals its scalar twin, masks and uniform rows included", "[kernels]") {
  std::mt19937_64 rng(11);
  for (int trial = 0; trial < 60; ++trial) {
    AttentionRule rule;
    rule.causal = trial % 3 != 0;
    rule.window = 1 + rng() % 9;
    rule.segment_size = rule.causal ? 2 + rng() % 6 : 1;
    rule.r = rule.causal ? 1 + rng() % (rule.segment_size - 1) : 1 + rng() % 4;
    const size_t dh = 1 + rng() % 9, W = rule.window, L = rule.local_slots();
    const int64_t N = W * (1 + rng() % 4), k = rng() % (N / W), t0 = k * W;
    // Causal: as many tokens as complete segments, sometimes fewer (a decode
    // step's view: columns past count have no token yet).
    const size_t G = rule.causal ? size_t(N / rule.segment_size * rule.r) - (trial % 4 == 1 ? rng() % 3 : 0)
                                 : size_t(rule.r);
    auto q = randn(W * dh, trial), gk = randn(std::max<size_t>(G, 1) * dh, trial + 100),
         lkv = randn(N * dh, trial + 200), oob = randn(dh, trial + 300);
    std::vector<uint8_t> mask(N);
    const bool all_masked = trial % 5 == 0;  // forces uniform rows
    for (auto& m : mask) m = all_masked ? 0 : (rng() % 3 != 0);
    const GlobalKeys g{gk.data(), dh, G};
    const LocalKeys l{lkv.data(), dh, 0, N, mask.data(), oob.data()};
    const QueryBlock qb{q.data(), dh, t0, W};
    std::vector<float> block(W * dh), scratch(attend_long_short_scratch(rule, qb, g));
    attend_long_short(block.data(), dh, qb, dh, g, l, rule, scratch.data());
    for (size_t i = 0; i < W; ++i) {
      std::vector<float> row(dh);
      test::attend_long_short_row(row.data(), q.data() + i * dh, t0 + int64_t(i), dh, g, l, rule);
      INFO("trial " << trial << " row " << i);
      for (size_t d = 0; d < dh; ++d) CHECK(block[i * dh + d] == Approx(row[d]).margin(1e-5));
    }
  }
}

TEST_CASE("a causal row computed alone against the keys so far equals it within its window, bit for bit",
          "[kernels]") {
  // The decode step's case: keys up to t only, the global tokens of the
  // segments completed by t only.
  std::mt19937_64 rng(12);
  for (int trial = 0; trial < 60; ++trial) {
    AttentionRule rule;
    rule.window = 1 + rng() % 17;
    rule.segment_size = 2 + rng() % 8;
    rule.r = 1 + rng() % (rule.segment_size - 1);
    const size_t dh = 1 + rng() % 20, W = rule.window;
    const int64_t N = W * (1 + rng() % 5), k = rng() % (N / W), t0 = k * W;
    const size_t G = size_t(N / rule.segment_size * rule.r);
    auto q = randn(W * dh, trial), gk = randn(std::max<size_t>(G, 1) * dh, trial + 100),
         lkv = randn(N * dh, trial + 200), oob = randn(dh, trial + 300);
    const GlobalKeys g{gk.data(), dh, G};
    const LocalKeys l{lkv.data(), dh, 0, N, nullptr, oob.data()};
    const QueryBlock qb{q.data(), dh, t0, W};
    std::vector<float> block(W * dh), scratch(attend_long_short_scratch(rule, qb, g));
    attend_long_short(block.data(), dh, qb, dh, g, l, rule, scratch.data());
    for (size_t i = 0; i < W; ++i) {
      const int64_t t = t0 + int64_t(i);
      const GlobalKeys g_so_far{gk.data(), dh, rule.global_visible(t, G)};
      const LocalKeys l_so_far{lkv.data(), dh, 0, t + 1, nullptr, oob.data()};
      const QueryBlock one{q.data() + i * dh, dh, t, 1};
      std::vector<float> row(dh), s(attend_long_short_scratch(rule, one, g_so_far));
      attend_long_short(row.data(), dh, one, dh, g_so_far, l_so_far, rule, s.data());
      INFO("trial " << trial << " row " << i << " dh " << dh << " w " << W << " s " << rule.segment_size
                    << " r " << rule.r << " t " << t << " G " << G);
      for (size_t d = 0; d < dh; ++d) {
        INFO("column " << d);
        REQUIRE(block[i * dh + d] == row[d]);
      }
    }
  }
}

TEST_CASE("dynamic projection: softmax over rows, uniform when fully masked", "[kernels]") {
  const size_t rows = 5, r = 2, dh = 3;
  auto kv = randn(rows * dh, 1), wp = randn(r * dh, 2);
  std::vector<float> out(r * dh), scratch(dynamic_projection_scratch(rows, r));
  std::vector<uint8_t> none(rows, 0);
  dynamic_projection(out.data(), dh, kv.data(), dh, rows, wp.data(), r, dh, none.data(), scratch.data());
  for (size_t c = 0; c < r; ++c)
    for (size_t d = 0; d < dh; ++d) {
      double mean = 0;
      for (size_t i = 0; i < rows; ++i) mean += kv[i * dh + d] / rows;
      CHECK(out[c * dh + d] == Approx(mean).margin(1e-6));
    }
  std::vector<uint8_t> one(rows, 0);
  one[3] = 1;  // only row 3 is real: every token equals it
  dynamic_projection(out.data(), dh, kv.data(), dh, rows, wp.data(), r, dh, one.data(), scratch.data());
  for (size_t c = 0; c < r; ++c)
    for (size_t d = 0; d < dh; ++d) CHECK(out[c * dh + d] == Approx(kv[3 * dh + d]).margin(1e-6));
}
