// GEMM layer: builtin packed GEMM/GEMV vs a double-precision scalar reference,
// XNNPACK vs builtin, and the unpacked gemm_nt / gemm_nn / gemm_tn helpers
// (strides, accumulate, sizes 0 and 1). Tolerances scale with sqrt(K).
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "core/error.h"
#include "kernels/gemm.h"
#include "kernels/gemm_builtin.h"
#include "kernels/gemm_strided.h"
#include "runtime/thread_pool.h"

namespace {

using lst::GemmBackend;

std::vector<float> random_vec(size_t n, std::mt19937& rng, float lo = -1.0f, float hi = 1.0f) {
  std::uniform_real_distribution<float> d(lo, hi);
  std::vector<float> v(n);
  for (auto& x : v) x = d(rng);
  return v;
}

// y[M, N] = x[M, K] · W[N, K]^T + bias, in double.
std::vector<double> ref_linear(const std::vector<float>& x, const std::vector<float>& W,
                               const float* bias, size_t M, size_t N, size_t K) {
  std::vector<double> y(M * N);
  for (size_t i = 0; i < M; ++i)
    for (size_t j = 0; j < N; ++j) {
      double s = bias ? bias[j] : 0.0;
      for (size_t k = 0; k < K; ++k) s += double(x[i * K + k]) * double(W[j * K + k]);
      y[i * N + j] = s;
    }
  return y;
}

// Inputs are in [-1, 1]: fp32 summation error grows like sqrt(K).
double tol_for(size_t K) { return 1e-5 * (std::sqrt(double(K)) + 1.0); }

// Index of the first element off by more than tol, or -1.
long first_mismatch(const float* got, const double* want, size_t n, double tol) {
  for (size_t i = 0; i < n; ++i)
    if (!(std::fabs(double(got[i]) - want[i]) <= tol)) return long(i);
  return -1;
}

const size_t kSizes[] = {1, 2, 3, 5, 7, 13, 17, 31, 64, 67, 131};

std::vector<GemmBackend> available_backends() {
  std::vector<GemmBackend> v{GemmBackend::kBuiltin};
  if (lst::gemm_backend_available(GemmBackend::kXnnpack)) v.push_back(GemmBackend::kXnnpack);
  return v;
}

// Builds a layer, frees (poisons) the source weights, runs and compares.
void check_linear(lst::GemmContext& ctx, size_t M, size_t N, size_t K, bool with_bias,
                  std::mt19937& rng) {
  auto W = random_vec(N * K, rng), b = random_vec(N, rng), x = random_vec(M * K, rng);
  const float* bias = with_bias ? b.data() : nullptr;
  auto want = ref_linear(x, W, bias, M, N, K);
  auto layer = ctx.make_linear(W.data(), bias, K, N);
  // Weights are packed at construction: the caller may free them.
  std::fill(W.begin(), W.end(), std::numeric_limits<float>::quiet_NaN());
  std::fill(b.begin(), b.end(), std::numeric_limits<float>::quiet_NaN());
  std::vector<float> y(M * N + 1, 12345.0f);  // one sentinel past the end
  layer->run(x.data(), M, y.data());
  long bad = first_mismatch(y.data(), want.data(), M * N, tol_for(K));
  INFO(lst::gemm_backend_name(ctx.backend()) << " M=" << M << " N=" << N << " K=" << K
                                             << " bias=" << with_bias << " bad=" << bad);
  if (bad >= 0) INFO("got " << y[bad] << " want " << want[bad]);
  CHECK(bad == -1);
  CHECK(y[M * N] == 12345.0f);
}

}  // namespace

TEST_CASE("gemm: backend names, parsing, availability", "[gemm]") {
  CHECK(std::string(lst::gemm_backend_name(GemmBackend::kBuiltin)) == "builtin");
  CHECK(std::string(lst::gemm_backend_name(GemmBackend::kXnnpack)) == "xnnpack");
  CHECK(lst::parse_gemm_backend("builtin") == GemmBackend::kBuiltin);
  CHECK(lst::parse_gemm_backend("xnnpack") == GemmBackend::kXnnpack);
  CHECK_THROWS_AS(lst::parse_gemm_backend("blas"), lst::Error);
  CHECK_THROWS_AS(lst::parse_gemm_backend(""), lst::Error);
  CHECK_THROWS_AS(lst::parse_gemm_backend(nullptr), lst::Error);
  CHECK(lst::gemm_backend_available(GemmBackend::kBuiltin));
  CHECK(lst::gemm_backend_available(lst::default_gemm_backend()));
#ifdef LST_HAVE_XNNPACK
  // Builtin where its AVX-512 tile runs (the faster one there), else XNNPACK.
  CHECK(lst::default_gemm_backend() ==
        (lst::builtin_gemm_avx512_active() ? GemmBackend::kBuiltin : GemmBackend::kXnnpack));
  lst::set_builtin_gemm_avx512(false);
  CHECK(lst::default_gemm_backend() == GemmBackend::kXnnpack);
  lst::set_builtin_gemm_avx512(true);
#else
  CHECK(lst::default_gemm_backend() == GemmBackend::kBuiltin);
  lst::ThreadPool pool(1);
  CHECK_THROWS_AS(lst::make_gemm_context(GemmBackend::kXnnpack, pool), lst::Error);
#endif
}

TEST_CASE("gemm: the comparison can fail", "[gemm]") {
  // A single element off by 1e-3 (about one dropped K term at 1e-3 scale) must be caught.
  std::mt19937 rng(7);
  const size_t M = 5, N = 17, K = 64;
  auto W = random_vec(N * K, rng), x = random_vec(M * K, rng);
  auto want = ref_linear(x, W, nullptr, M, N, K);
  std::vector<float> y(want.begin(), want.end());
  CHECK(first_mismatch(y.data(), want.data(), y.size(), tol_for(K)) == -1);
  y[3 * N + 11] += 1e-3f;
  CHECK(first_mismatch(y.data(), want.data(), y.size(), tol_for(K)) == 3 * N + 11);
}

TEST_CASE("gemm: Linear vs double reference on edge shapes", "[gemm]") {
  for (int threads : {1, 2}) {
    lst::ThreadPool pool(threads);
    for (GemmBackend be : available_backends()) {
      auto ctx = lst::make_gemm_context(be, pool);
      REQUIRE(ctx->backend() == be);
      std::mt19937 rng(1234 + threads);
      for (size_t M : kSizes)
        for (size_t N : kSizes)
          for (size_t K : kSizes) check_linear(*ctx, M, N, K, ((M + N + K) & 1) != 0, rng);
    }
  }
}

TEST_CASE("gemm: Linear vs reference on large and blocked shapes", "[gemm]") {
  // K past the K-block (256 natively, 512 in wasm), M past the row block (96),
  // N with ragged last panel, GEMV shapes (M < 6) with many panels.
  const size_t shapes[][3] = {{200, 300, 600}, {97, 129, 1031}, {1, 2053, 1031}, {1, 512, 2048},
                              {2, 1000, 700},  {3, 515, 513},   {4, 257, 300},   {5, 999, 129},
                              {6, 70, 2048},   {7, 33, 1100},   {1030, 24, 40},  {300, 2, 3}};
  for (int threads : {1, 2}) {
    lst::ThreadPool pool(threads);
    for (GemmBackend be : available_backends()) {
      auto ctx = lst::make_gemm_context(be, pool);
      std::mt19937 rng(99 + threads);
      for (auto& s : shapes) {
        check_linear(*ctx, s[0], s[1], s[2], true, rng);
        check_linear(*ctx, s[0], s[1], s[2], false, rng);
      }
    }
  }
}

TEST_CASE("gemm: the builtin AVX-512 tile equals the AVX2 tiles bit for bit", "[gemm]") {
  // Where the CPU has AVX-512F, pairs of panels run gemm_f32_12x32_avx512:
  // each output is the same FMA chain in the same k order as in the AVX2
  // tile, so the layers must agree exactly (K past the 256 K-block, rows and
  // panels that leave AVX2 remainders, 1 and 2 threads).
  if (!lst::builtin_gemm_avx512_active()) {
    WARN("no AVX-512 tile on this CPU/build: the builtin GEMM runs its AVX2 tile only");
    return;
  }
  const size_t shapes[][3] = {{12, 32, 7},    {13, 33, 64},  {24, 64, 300},   {97, 129, 1031},
                              {200, 300, 600}, {1030, 24, 40}, {11, 512, 513}, {36, 20000, 96},
                              {25, 47, 257},   {6, 64, 64}};
  for (int threads : {1, 2}) {
    lst::ThreadPool pool(threads);
    auto ctx = lst::make_gemm_context(GemmBackend::kBuiltin, pool);
    std::mt19937 rng(31 + threads);
    for (auto& s : shapes) {
      const size_t M = s[0], N = s[1], K = s[2];
      auto W = random_vec(N * K, rng), b = random_vec(N, rng), x = random_vec(M * K, rng);
      lst::set_builtin_gemm_avx512(false);
      auto avx2 = ctx->make_linear(W.data(), b.data(), K, N);
      lst::set_builtin_gemm_avx512(true);
      auto avx512 = ctx->make_linear(W.data(), b.data(), K, N);
      std::vector<float> y2(M * N), y5(M * N);
      avx2->run(x.data(), M, y2.data());
      avx512->run(x.data(), M, y5.data());
      size_t same = 0;
      for (size_t i = 0; i < M * N; ++i) same += std::memcmp(&y2[i], &y5[i], sizeof(float)) == 0;
      INFO("M=" << M << " N=" << N << " K=" << K << " threads=" << threads);
      CHECK(same == M * N);
      // and both are right
      auto want = ref_linear(x, W, b.data(), M, N, K);
      CHECK(first_mismatch(y5.data(), want.data(), M * N, tol_for(K)) == -1);
    }
  }
}

TEST_CASE("gemm: M == 0 is a no-op, layers are reusable, bad arguments throw", "[gemm]") {
  lst::ThreadPool pool(2);
  for (GemmBackend be : available_backends()) {
    auto ctx = lst::make_gemm_context(be, pool);
    std::mt19937 rng(5);
    auto W = random_vec(40 * 30, rng), x = random_vec(9 * 30, rng);
    auto layer = ctx->make_linear(W.data(), nullptr, 30, 40);
    CHECK(layer->in_features() == 30);
    CHECK(layer->out_features() == 40);
    std::vector<float> y(9 * 40, 7.0f);
    layer->run(x.data(), 0, y.data());
    CHECK(std::all_of(y.begin(), y.end(), [](float v) { return v == 7.0f; }));
    layer->run(nullptr, 0, nullptr);  // M == 0 touches nothing
    layer->run(x.data(), 9, y.data());
    std::vector<float> y2(9 * 40, -1.0f);
    layer->run(x.data(), 9, y2.data());
    CHECK(y == y2);
    CHECK_THROWS_AS(ctx->make_linear(W.data(), nullptr, 0, 40), lst::Error);
    CHECK_THROWS_AS(ctx->make_linear(W.data(), nullptr, 30, 0), lst::Error);
    CHECK_THROWS_AS(ctx->make_linear(nullptr, nullptr, 30, 40), lst::Error);
  }
}

TEST_CASE("gemm: layers of one context run concurrently from two threads", "[gemm]") {
  if (lst::ThreadPool::max_supported_threads() < 2) return;  // single-threaded wasm build
  lst::ThreadPool pool(2);
  for (GemmBackend be : available_backends()) {
    auto ctx = lst::make_gemm_context(be, pool);
    const size_t M = 70, N = 190, K = 260;  // big enough to use the pool
    std::mt19937 rng(11);
    std::vector<float> W[2], b[2], x[2];
    std::vector<double> want[2];
    std::unique_ptr<lst::Linear> layer[2];
    for (int i = 0; i < 2; ++i) {
      W[i] = random_vec(N * K, rng), b[i] = random_vec(N, rng), x[i] = random_vec(M * K, rng);
      want[i] = ref_linear(x[i], W[i], b[i].data(), M, N, K);
      layer[i] = ctx->make_linear(W[i].data(), b[i].data(), K, N);
    }
    long bad[2] = {-1, -1};
    auto work = [&](int i) {
      std::vector<float> y(M * N);
      for (int it = 0; it < 30 && bad[i] < 0; ++it) {
        layer[i]->run(x[i].data(), M, y.data());
        bad[i] = first_mismatch(y.data(), want[i].data(), M * N, tol_for(K));
      }
    };
    std::thread t1(work, 1);
    work(0);
    t1.join();
    INFO(lst::gemm_backend_name(be));
    CHECK(bad[0] == -1);
    CHECK(bad[1] == -1);
  }
}

TEST_CASE("gemm: XNNPACK matches builtin", "[gemm]") {
  if (!lst::gemm_backend_available(GemmBackend::kXnnpack)) {
    WARN("XNNPACK not linked: skipped");
    return;
  }
  const size_t shapes[][3] = {{1, 2048, 512}, {3, 67, 131}, {64, 512, 512}, {131, 17, 1031}};
  for (int threads : {1, 2}) {
    lst::ThreadPool pool(threads);
    auto xnn = lst::make_gemm_context(GemmBackend::kXnnpack, pool);
    auto own = lst::make_gemm_context(GemmBackend::kBuiltin, pool);
    std::mt19937 rng(42);
    for (auto& s : shapes) {
      const size_t M = s[0], N = s[1], K = s[2];
      auto W = random_vec(N * K, rng), b = random_vec(N, rng), x = random_vec(M * K, rng);
      auto l1 = xnn->make_linear(W.data(), b.data(), K, N);
      auto l2 = own->make_linear(W.data(), b.data(), K, N);
      std::vector<float> y1(M * N), y2(M * N);
      l1->run(x.data(), M, y1.data());
      l2->run(x.data(), M, y2.data());
      std::vector<double> y2d(y2.begin(), y2.end());
      INFO("M=" << M << " N=" << N << " K=" << K << " threads=" << threads);
      CHECK(first_mismatch(y1.data(), y2d.data(), M * N, 2 * tol_for(K)) == -1);
    }
  }
}

// ---------------------------------------------------------------- unpacked helpers
namespace {

enum class Op { kNT, kNN, kTN };

// C[M, N] (+)= op(A) · op(B), every operand with a padded row stride; the
// padding of C must stay untouched and, without accumulate, C is never read.
void check_helper(Op op, size_t M, size_t N, size_t K, bool accumulate, std::mt19937& rng) {
  const size_t pad = 3;
  // A is (M, K) for NT/NN, (K, M) for TN; B is (N, K) for NT, (K, N) otherwise.
  const size_t a_rows = op == Op::kTN ? K : M, a_cols = op == Op::kTN ? M : K;
  const size_t b_rows = op == Op::kNT ? N : K, b_cols = op == Op::kNT ? K : N;
  const size_t lda = a_cols + pad, ldb = b_cols + 2 * pad, ldc = N + pad;
  auto A = random_vec(a_rows * lda + 1, rng), B = random_vec(b_rows * ldb + 1, rng);
  auto C0 = random_vec(M * ldc + 1, rng);
  auto a = [&](size_t i, size_t k) { return double(op == Op::kTN ? A[k * lda + i] : A[i * lda + k]); };
  auto b = [&](size_t k, size_t j) { return double(op == Op::kNT ? B[j * ldb + k] : B[k * ldb + j]); };
  std::vector<double> want(M * N);
  for (size_t i = 0; i < M; ++i)
    for (size_t j = 0; j < N; ++j) {
      double s = accumulate ? C0[i * ldc + j] : 0.0;
      for (size_t k = 0; k < K; ++k) s += a(i, k) * b(k, j);
      want[i * N + j] = s;
    }
  std::vector<float> C = C0;
  if (!accumulate)
    for (size_t i = 0; i < M; ++i)
      for (size_t j = 0; j < N; ++j) C[i * ldc + j] = std::numeric_limits<float>::quiet_NaN();
  switch (op) {
    case Op::kNT: lst::gemm_nt(M, N, K, A.data(), lda, B.data(), ldb, C.data(), ldc, accumulate); break;
    case Op::kNN: lst::gemm_nn(M, N, K, A.data(), lda, B.data(), ldb, C.data(), ldc, accumulate); break;
    case Op::kTN: lst::gemm_tn(M, N, K, A.data(), lda, B.data(), ldb, C.data(), ldc, accumulate); break;
  }
  std::vector<float> got(M * N);
  bool pad_ok = C[M * ldc] == C0[M * ldc];
  for (size_t i = 0; i < M; ++i) {
    for (size_t j = 0; j < N; ++j) got[i * N + j] = C[i * ldc + j];
    for (size_t j = N; j < ldc; ++j) pad_ok = pad_ok && C[i * ldc + j] == C0[i * ldc + j];
  }
  long bad = first_mismatch(got.data(), want.data(), M * N, tol_for(K));
  const char* names[] = {"nt", "nn", "tn"};
  INFO("gemm_" << names[int(op)] << " M=" << M << " N=" << N << " K=" << K
               << " accumulate=" << accumulate << " bad=" << bad);
  CHECK(bad == -1);
  CHECK(pad_ok);
}

}  // namespace

TEST_CASE("gemm: gemm_nt / gemm_nn / gemm_tn vs reference", "[gemm]") {
  const size_t sizes[] = {0, 1, 2, 3, 5, 7, 13, 17, 31, 64, 67};
  std::mt19937 rng(2024);
  for (Op op : {Op::kNT, Op::kNN, Op::kTN})
    for (size_t M : sizes)
      for (size_t N : sizes)
        for (size_t K : sizes) check_helper(op, M, N, K, ((M ^ N ^ K) & 1) != 0, rng);
  // Past the K block (256) and row block (96), long dot products, both modes.
  const size_t big[][3] = {{100, 37, 600}, {7, 260, 1100}, {130, 131, 257}, {1, 1, 2049}};
  for (Op op : {Op::kNT, Op::kNN, Op::kTN})
    for (auto& s : big)
      for (bool acc : {false, true}) check_helper(op, s[0], s[1], s[2], acc, rng);
}

TEST_CASE("gemm: gemm_nt's element bits do not depend on the tile (a decode row == its window's row)", "[gemm]") {
  // Attention's scores come from gemm_nt: a decode step asks for one row,
  // a full forward for a window of rows, and decode logits must equal the
  // full forward's bit for bit. So every element is the same sum whatever
  // the rows, columns and block the call computes (K with vector tails too).
  std::mt19937 rng(77);
  for (size_t K : {1, 7, 8, 15, 16, 17, 40, 48, 64, 100}) {
    const size_t M = 11, N = 9, lda = K + 3, ldb = K + 1;
    auto A = random_vec(M * lda, rng), B = random_vec(N * ldb, rng);
    std::vector<float> full(M * N);
    lst::gemm_nt(M, N, K, A.data(), lda, B.data(), ldb, full.data(), N, false);
    for (size_t i = 0; i < M; ++i) {
      std::vector<float> row(N);
      lst::gemm_nt(1, N, K, A.data() + i * lda, lda, B.data(), ldb, row.data(), N, false);
      for (size_t j = 0; j < N; ++j) {
        float one = 0;
        lst::gemm_nt(1, 1, K, A.data() + i * lda, lda, B.data() + j * ldb, ldb, &one, 1, false);
        INFO("K=" << K << " i=" << i << " j=" << j);
        REQUIRE(std::memcmp(&row[j], &full[i * N + j], sizeof(float)) == 0);
        REQUIRE(std::memcmp(&one, &full[i * N + j], sizeof(float)) == 0);
      }
    }
  }
}

// ---------------------------------------------------------------- gemm_f32_strided
namespace {

// C[M, N] (+)= op(A) · op(B) through gemm_f32_strided, every operand with a
// row stride wider than its width; C's padding must stay untouched and,
// without accumulate, C is never read (NaN-filled).
void check_strided(bool ta, bool tb, size_t M, size_t N, size_t K, bool accumulate,
                   lst::ThreadPool* pool, std::mt19937& rng) {
  const size_t a_rows = ta ? K : M, a_cols = ta ? M : K;
  const size_t b_rows = tb ? N : K, b_cols = tb ? K : N;
  const size_t lda = a_cols + 3, ldb = b_cols + 5, ldc = N + 2;
  auto A = random_vec(a_rows * lda, rng), B = random_vec(b_rows * ldb, rng);
  auto C0 = random_vec(M * ldc + 1, rng);
  std::vector<double> want(M * N);
  for (size_t i = 0; i < M; ++i)
    for (size_t j = 0; j < N; ++j) {
      double s = accumulate ? C0[i * ldc + j] : 0.0;
      for (size_t k = 0; k < K; ++k)
        s += double(ta ? A[k * lda + i] : A[i * lda + k]) *
             double(tb ? B[j * ldb + k] : B[k * ldb + j]);
      want[i * N + j] = s;
    }
  std::vector<float> C = C0;
  if (!accumulate)
    for (size_t i = 0; i < M; ++i)
      for (size_t j = 0; j < N; ++j) C[i * ldc + j] = std::numeric_limits<float>::quiet_NaN();
  const int threads = pool ? pool->num_threads() : 1;
  // scratch sized for exactly this N and K, with sentinels past its end;
  // the default size (any N, K) must cover it
  const size_t need = lst::gemm_f32_strided_scratch_floats(threads, N, K);
  CHECK(need <= lst::gemm_f32_strided_scratch_floats(threads));
  std::vector<float> scratch(need + 8, -7.0f);
  lst::gemm_f32_strided(ta, tb, M, N, K, A.data(), lda, B.data(), ldb, C.data(), ldc, accumulate,
                        pool, scratch.data());
  for (size_t i = need; i < need + 8; ++i) CHECK(scratch[i] == -7.0f);
  std::vector<float> got(M * N);
  bool pad_ok = C[M * ldc] == C0[M * ldc];
  for (size_t i = 0; i < M; ++i) {
    for (size_t j = 0; j < N; ++j) got[i * N + j] = C[i * ldc + j];
    for (size_t j = N; j < ldc; ++j) pad_ok = pad_ok && C[i * ldc + j] == C0[i * ldc + j];
  }
  long bad = first_mismatch(got.data(), want.data(), M * N, tol_for(K));
  INFO("gemm_f32_strided trans_a=" << ta << " trans_b=" << tb << " M=" << M << " N=" << N
                                   << " K=" << K << " accumulate=" << accumulate
                                   << " threads=" << threads << " bad=" << bad);
  CHECK(bad == -1);
  CHECK(pad_ok);
}

}  // namespace

TEST_CASE("gemm: gemm_f32_strided, all transposes, edge shapes, accumulate", "[gemm]") {
  const size_t sizes[] = {1, 2, 3, 5, 7, 13, 17, 31, 64, 67, 131};
  std::mt19937 rng(7);
  lst::ThreadPool pool(2);
  for (bool ta : {false, true})
    for (bool tb : {false, true})
      for (size_t M : sizes)
        for (size_t N : sizes)
          for (size_t K : sizes)
            check_strided(ta, tb, M, N, K, ((M + N + K) & 1) != 0, (M * N) & 2 ? &pool : nullptr,
                          rng);
  // Sizes 0, and past the K block (256), column block (256) and row block
  // (96) with 1 and 2 threads, split by panels and by rows.
  const size_t big[][3] = {{0, 5, 3}, {4, 0, 9}, {3, 4, 0}, {300, 37, 600}, {7, 530, 1100},
                           {130, 270, 257}, {1, 1, 2049}, {517, 19, 300}};
  for (bool ta : {false, true})
    for (bool tb : {false, true})
      for (auto& s : big)
        for (bool acc : {false, true})
          for (lst::ThreadPool* p : {static_cast<lst::ThreadPool*>(nullptr), &pool})
            check_strided(ta, tb, s[0], s[1], s[2], acc, p, rng);
}
