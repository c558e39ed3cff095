// Quantised weights (weight_matrix.h) and the kernels computing on them
// (gemm_quant.h): the q8 rule, the scalar twin against a double reference,
// every kernel set this CPU runs against the scalar twin on the edge shapes
// of test_gemm.cpp (odd K, K not a multiple of 32, M = 0 / 1, odd N), one
// row equal to many bit for bit, threads, and named errors.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "core/error.h"
#include "kernels/gemm.h"
#include "kernels/gemm_quant.h"
#include "kernels/weight_matrix.h"
#include "runtime/thread_pool.h"

namespace {

using lst::WeightFormat;
using lst::WeightMatrix;

std::vector<float> random_vec(size_t n, std::mt19937& rng, float lo = -1.0f, float hi = 1.0f) {
  std::uniform_real_distribution<float> d(lo, hi);
  std::vector<float> v(n);
  for (auto& x : v) x = d(rng);
  return v;
}

// Halves of random values (the writer's rounding is io's; any halves do here).
std::vector<uint16_t> random_halves(size_t n, std::mt19937& rng) {
  std::uniform_int_distribution<int> mant(0, 1023), ex(5, 16), sign(0, 1);
  std::vector<uint16_t> h(n);
  for (auto& x : h) x = static_cast<uint16_t>((sign(rng) << 15) | (ex(rng) << 10) | mant(rng));
  return h;
}

WeightMatrix make_matrix(WeightFormat f, size_t N, size_t K, std::mt19937& rng) {
  if (f == WeightFormat::kF16) {
    auto h = random_halves(N * K, rng);
    return WeightMatrix::from_f16(h.data(), N, K);
  }
  auto w = random_vec(N * K, rng);
  return WeightMatrix::from_f32(w.data(), N, K, f);
}

// What the kernels compute, in double, and the sum of |terms| (the bound of
// the float rounding): q8 dequantises the activations by the same rule.
struct Expected {
  std::vector<double> y, mag;
};
Expected expected(const WeightMatrix& W, const std::vector<float>& x, size_t M,
                  const float* bias) {
  const size_t N = W.rows(), K = W.cols();
  std::vector<float> xd(x);
  if (W.format() == WeightFormat::kQ8) {
    const size_t nb = W.blocks();
    std::vector<int8_t> q(M * nb * 32);
    std::vector<float> s(M * nb);
    lst::quantize_q8_rows(x.data(), M, K, q.data(), s.data());
    for (size_t m = 0; m < M; ++m)
      for (size_t k = 0; k < K; ++k) xd[m * K + k] = s[m * nb + k / 32] * float(q[m * nb * 32 + k]);
  }
  const std::vector<float> w = W.to_f32();
  Expected e{std::vector<double>(M * N), std::vector<double>(M * N)};
  for (size_t m = 0; m < M; ++m)
    for (size_t n = 0; n < N; ++n) {
      double s = bias ? bias[n] : 0.0, a = bias ? std::fabs(bias[n]) : 0.0;
      for (size_t k = 0; k < K; ++k) {
        const double t = double(xd[m * K + k]) * double(w[n * K + k]);
        s += t;
        a += std::fabs(t);
      }
      e.y[m * N + n] = s;
      e.mag[m * N + n] = a;
    }
  return e;
}

// |got - want| <= (K + 2) * 2^-23 * sum|terms|: float summation of K terms,
// whatever the order (and q8's per-block scale products).
long first_off(const std::vector<float>& got, const Expected& e, size_t K) {
  for (size_t i = 0; i < got.size(); ++i) {
    const double tol = double(K + 2) * 0x1p-23 * e.mag[i] + 1e-30;
    if (!(std::fabs(double(got[i]) - e.y[i]) <= tol)) return long(i);
  }
  return -1;
}

std::vector<float> run_kernel(const lst::QuantKernels& k, const WeightMatrix& W,
                              const std::vector<float>& x, size_t M, const float* bias) {
  const size_t N = W.rows(), K = W.cols(), nb = W.blocks();
  std::vector<float> y(M * N, std::nanf(""));
  if (W.format() == WeightFormat::kQ8) {
    std::vector<int8_t> q(M * nb * 32);
    std::vector<float> s(M * nb);
    lst::quantize_q8_rows(x.data(), M, K, q.data(), s.data());
    k.q8(M, 0, N, nb, q.data(), s.data(), W.q8(), W.scales(), bias, y.data(), N);
  } else {
    k.f16(M, 0, N, K, x.data(), W.f16(), bias, y.data(), N);
  }
  return y;
}

const size_t kSizes[] = {1, 2, 3, 5, 7, 13, 17, 31, 32, 33, 64, 67, 131};

}  // namespace

TEST_CASE("quant: the q8 rule, formats and named errors", "[quant]") {
  // One block of 32 and a partial block of 3: scales over the real weights only.
  std::vector<float> w(35, 0.0f);
  w[0] = 1.27f;
  w[5] = -0.5f;
  w[32] = -0.254f;
  w[34] = 0.1f;
  WeightMatrix m = WeightMatrix::from_f32(w.data(), 1, 35, WeightFormat::kQ8);
  REQUIRE(m.blocks() == 2);
  REQUIRE(m.row_stride() == 64);
  CHECK(m.scales()[0] == Approx(0.01f));
  CHECK(m.scales()[1] == Approx(0.002f));
  CHECK(m.q8()[0] == 127);
  CHECK(m.q8()[5] == -50);
  CHECK(m.q8()[32] == -127);
  CHECK(m.q8()[34] == 50);
  for (size_t i = 35; i < 64; ++i) CHECK(m.q8()[i] == 0);  // the padding
  const std::vector<float> back = m.to_f32();
  for (size_t i = 0; i < 35; ++i) CHECK(std::fabs(back[i] - w[i]) <= m.scales()[i / 32] / 2 + 1e-7);
  CHECK(m.q8_unpadded().size() == 35);

  // An all-zero block has scale 0 and zeros.
  std::vector<float> z(32, 0.0f);
  WeightMatrix mz = WeightMatrix::from_f32(z.data(), 1, 32, WeightFormat::kQ8);
  CHECK(mz.scales()[0] == 0.0f);

  // Halves: every finite half widens as the file reader's rule (io: f16_to_f32).
  CHECK(lst::half_to_float(0x3c00) == 1.0f);
  CHECK(lst::half_to_float(0xc000) == -2.0f);
  CHECK(lst::half_to_float(0x0001) == std::ldexp(1.0f, -24));  // smallest subnormal
  CHECK(lst::half_to_float(0x7bff) == 65504.0f);
  CHECK(std::signbit(lst::half_to_float(0x8000)));

  // Rows stack and split back ([to_q; to_kv]).
  std::mt19937 rng(3);
  WeightMatrix a = make_matrix(WeightFormat::kQ8, 3, 40, rng), b = make_matrix(WeightFormat::kQ8, 2, 40, rng);
  WeightMatrix ab = WeightMatrix::concat_rows(a, b);
  CHECK(ab.rows() == 5);
  CHECK(ab.slice_rows(3, 5).to_f32() == b.to_f32());
  CHECK(ab.slice_rows(0, 3).q8_unpadded() == a.q8_unpadded());

  CHECK(lst::parse_weight_format("int8") == WeightFormat::kQ8);
  CHECK(lst::parse_weight_format("f16") == WeightFormat::kF16);
  CHECK_THROWS_WITH(lst::parse_weight_format("q4"), Catch::Contains("unknown weight format \"q4\""));
  WeightMatrix c = make_matrix(WeightFormat::kQ8, 2, 41, rng);
  CHECK_THROWS_WITH(WeightMatrix::concat_rows(a, c), Catch::Contains("do not stack"));
  const int8_t q[2] = {1, 2};
  const float bad = -1.0f, inf = INFINITY;
  CHECK_THROWS_WITH(WeightMatrix::from_q8(q, &bad, 1, 2), Catch::Contains("q8 scale -1"));
  CHECK_THROWS_WITH(WeightMatrix::from_q8(q, &inf, 1, 2), Catch::Contains("not a finite value"));
}

TEST_CASE("quant: the SIMD quantiser equals the scalar twin bit for bit (ties, NaN, inf, zeros)", "[quant]") {
  std::mt19937 rng(17);
  std::uniform_real_distribution<float> d(-3.0f, 3.0f);
  for (size_t cols : {1, 31, 32, 33, 64, 96, 100, 512, 2048}) {
    const size_t rows = 5, nb = (cols + 31) / 32;
    std::vector<float> x(rows * cols);
    for (auto& v : x) v = d(rng);
    // Ties after scaling: a block whose max is 127 holds k + 0.5 exactly.
    for (size_t i = 0; i + 32 <= cols; i += 64) {
      x[i] = 127.0f;
      for (size_t j = 1; j < 32; ++j) x[i + j] = float(int(j) - 16) + 0.5f;
    }
    if (cols >= 64) {
      x[cols + 40] = NAN;        // row 1, second block
      x[2 * cols + 3] = INFINITY; // row 2, first block
      for (size_t j = 0; j < 32; ++j) x[3 * cols + j] = 0.0f;  // row 3: an all-zero block
      x[4 * cols + 7] = -0.0f;
    }
    std::vector<int8_t> q(rows * nb * 32, 99), qs(rows * nb * 32, 99);
    std::vector<float> sc(rows * nb, -1.0f), scs(rows * nb, -2.0f);
    lst::quantize_q8_rows(x.data(), rows, cols, q.data(), sc.data());
    lst::quantize_q8_rows_scalar(x.data(), rows, cols, qs.data(), scs.data());
    INFO("cols " << cols);
    CHECK(q == qs);
    CHECK(std::memcmp(sc.data(), scs.data(), sc.size() * sizeof(float)) == 0);
    // and the twin rounds ties away from zero: 127 * (k + 0.5) / 127
    if (cols >= 32) {
      CHECK(qs[1] == -15);  // -14.5 -> -15
      CHECK(qs[31] == 16);  // 15.5 -> 16
    }
  }
  // A mutant that rounds ties to even disagrees with the twin: the check can fail.
  std::vector<float> tie(32, 0.0f);
  tie[0] = 127.0f;
  tie[1] = 2.5f;
  std::vector<int8_t> qt(32);
  float st;
  lst::quantize_q8_rows_scalar(tie.data(), 1, 32, qt.data(), &st);
  CHECK(qt[1] == 3);
  CHECK(int(std::nearbyint(2.5f)) == 2);
}

TEST_CASE("quant: the comparison can fail", "[quant]") {
  std::mt19937 rng(5);
  WeightMatrix W = make_matrix(WeightFormat::kQ8, 7, 67, rng);
  auto x = random_vec(3 * 67, rng);
  const Expected e = expected(W, x, 3, nullptr);
  std::vector<float> y = run_kernel(*lst::quant_kernel_sets().front(), W, x, 3, nullptr);
  CHECK(first_off(y, e, 67) == -1);
  y[10] += 1e-3f;
  CHECK(first_off(y, e, 67) == 10);
}

TEST_CASE("quant: every kernel set vs the double reference on edge shapes", "[quant]") {
  std::mt19937 rng(11);
  for (const lst::QuantKernels* k : lst::quant_kernel_sets()) {
    INFO("kernels " << k->name);
    for (WeightFormat f : {WeightFormat::kQ8, WeightFormat::kF16})
      for (size_t M : {size_t{1}, size_t{2}, size_t{3}, size_t{5}, size_t{9}})
        for (size_t N : kSizes)
          for (size_t K : kSizes) {
            INFO(lst::weight_format_name(f) << " M=" << M << " N=" << N << " K=" << K);
            WeightMatrix W = make_matrix(f, N, K, rng);
            auto x = random_vec(M * K, rng);
            auto bias = random_vec(N, rng);
            const float* b = ((M + N + K) & 1) ? bias.data() : nullptr;
            const Expected e = expected(W, x, M, b);
            const std::vector<float> y = run_kernel(*k, W, x, M, b);
            const long off = first_off(y, e, K);
            INFO("first mismatch at " << off);
            REQUIRE(off == -1);
          }
  }
}

TEST_CASE("quant: every q8 kernel set equals the scalar twin bit for bit (one rounding rule)", "[quant]") {
  // The same bits on every platform is what lets an int8 model write the
  // same text in wasm and natively; the wasm build runs this file too.
  std::mt19937 rng(29);
  const lst::QuantKernels& scalar = *lst::quant_kernel_sets().front();
  for (const lst::QuantKernels* k : lst::quant_kernel_sets()) {
    std::vector<lst::QuantKernels> variants{*k};
    if (k->q8_alt) {
      variants.push_back(*k);
      variants.back().q8 = k->q8_alt;
    }
    for (const lst::QuantKernels& v : variants)
      for (size_t M : {size_t{1}, size_t{2}, size_t{4}, size_t{5}, size_t{9}})
        for (size_t N : kSizes)
          for (size_t K : {size_t{1}, size_t{31}, size_t{33}, size_t{67}, size_t{131}, size_t{512}}) {
            INFO(k->name << " M=" << M << " N=" << N << " K=" << K);
            // Large and tiny magnitudes side by side, so a fused or reordered
            // float step changes low bits.
            WeightMatrix W = make_matrix(WeightFormat::kQ8, N, K, rng);
            auto x = random_vec(M * K, rng);
            for (size_t i = 0; i < x.size(); i += 7) x[i] *= 1000.0f;
            auto bias = random_vec(N, rng);
            const float* b = (N & 1) ? bias.data() : nullptr;
            const std::vector<float> got = run_kernel(v, W, x, M, b);
            const std::vector<float> want = run_kernel(scalar, W, x, M, b);
            REQUIRE(std::memcmp(got.data(), want.data(), got.size() * sizeof(float)) == 0);
          }
  }
}

TEST_CASE("quant: the alternative int8 x int8 kernels vs the double reference", "[quant]") {
  std::mt19937 rng(23);
  for (const lst::QuantKernels* k : lst::quant_kernel_sets()) {
    if (!k->q8_alt) continue;
    lst::QuantKernels alt = *k;
    alt.q8 = k->q8_alt;
    for (size_t M : {size_t{1}, size_t{3}, size_t{6}})
      for (size_t N : kSizes)
        for (size_t K : kSizes) {
          WeightMatrix W = make_matrix(WeightFormat::kQ8, N, K, rng);
          auto x = random_vec(M * K, rng);
          INFO(k->q8_alt_name << " M=" << M << " N=" << N << " K=" << K);
          REQUIRE(first_off(run_kernel(alt, W, x, M, nullptr), expected(W, x, M, nullptr), K) == -1);
        }
  }
}

TEST_CASE("quant: q8 widened to f32 (SIMD128's alternative) vs the scalar twin", "[quant]") {
  std::mt19937 rng(13);
  for (const lst::QuantKernels* k : lst::quant_kernel_sets()) {
    if (!k->q8_f32) continue;
    for (size_t M : {size_t{1}, size_t{4}, size_t{7}})
      for (size_t K : kSizes) {
        const size_t N = 13;
        WeightMatrix W = make_matrix(WeightFormat::kQ8, N, K, rng);
        auto x = random_vec(M * K, rng);
        std::vector<float> got(M * N), want(M * N);
        k->q8_f32(M, 0, N, K, x.data(), W.q8(), W.scales(), nullptr, got.data(), N);
        lst::quant_kernel_sets().front()->q8_f32(M, 0, N, K, x.data(), W.q8(), W.scales(),
                                                  nullptr, want.data(), N);
        for (size_t i = 0; i < got.size(); ++i)
          REQUIRE(got[i] == Approx(want[i]).margin(1e-5 * (K + 1)));
      }
  }
}

TEST_CASE("quant: a Linear's one row equals the same row among many, bit for bit; threads", "[quant]") {
  std::mt19937 rng(17);
  for (int threads : {1, 2}) {
    lst::ThreadPool pool(threads);
    auto ctx = lst::make_gemm_context(lst::GemmBackend::kBuiltin, pool);
    for (WeightFormat f : {WeightFormat::kQ8, WeightFormat::kF16})
      for (size_t K : {size_t{45}, size_t{512}}) {
        const size_t N = 771, M = 13;
        auto W = std::make_shared<const WeightMatrix>(make_matrix(f, N, K, rng));
        auto bias = random_vec(N, rng);
        auto lin = ctx->make_linear(W, bias.data());
        REQUIRE(lin->in_features() == K);
        REQUIRE(lin->out_features() == N);
        auto x = random_vec(M * K, rng);
        std::vector<float> all(M * N), one(N);
        lin->run(x.data(), M, all.data());
        const Expected e = expected(*W, x, M, bias.data());
        CHECK(first_off(all, e, K) == -1);
        for (size_t m = 0; m < M; ++m) {
          lin->run(x.data() + m * K, 1, one.data());
          INFO(lst::weight_format_name(f) << " K=" << K << " row " << m << " threads " << threads);
          CHECK(std::memcmp(one.data(), all.data() + m * N, N * sizeof(float)) == 0);
        }
        lin->run(nullptr, 0, nullptr);  // M = 0: nothing
      }
  }
}

TEST_CASE("quant: make_linear takes f32 matrices to the backend, rejects bad ones", "[quant]") {
  lst::ThreadPool pool(1);
  auto ctx = lst::make_gemm_context(lst::GemmBackend::kBuiltin, pool);
  std::mt19937 rng(19);
  auto w = random_vec(6 * 10, rng);
  auto W = std::make_shared<const WeightMatrix>(WeightMatrix::from_f32(w.data(), 6, 10, WeightFormat::kF32));
  auto lin = ctx->make_linear(W, nullptr);
  auto x = random_vec(10, rng);
  std::vector<float> y(6);
  lin->run(x.data(), 1, y.data());
  for (size_t n = 0; n < 6; ++n) {
    double s = 0;
    for (size_t k = 0; k < 10; ++k) s += double(x[k]) * w[n * 10 + k];
    CHECK(y[n] == Approx(s).margin(1e-5));
  }
  CHECK_THROWS_WITH(ctx->make_linear(std::shared_ptr<const WeightMatrix>(), nullptr),
                    Catch::Contains("null weight matrix"));
  auto empty = std::make_shared<const WeightMatrix>(WeightMatrix::from_f32(w.data(), 0, 10, WeightFormat::kQ8));
  CHECK_THROWS_WITH(ctx->make_linear(empty, nullptr), Catch::Contains("must be > 0"));
}
