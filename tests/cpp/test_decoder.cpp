// Incremental decoding against full forward passes: the logits of every
// cached step equal the last row of a full forward over the same tokens,
// bit for bit.
#include <catch2/catch.hpp>
#include <algorithm>
#include <random>

#include "generation/generate.h"
#include "model/incremental_decoder.h"
#include "test_util.h"

using namespace lst;

namespace {
Config random_causal_config(std::mt19937_64& rng, int max_seq_len) {
  auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  Config c;
  c.causal = true;
  c.num_tokens = pick(5, 40);
  c.heads = pick(1, 3);
  c.dim_head = std::vector<int>{2, 3, 4, 5, 8}[pick(0, 4)];
  c.dim = pick(2, 4) * 4;
  c.depth = pick(1, 2);
  c.ff_mult = pick(1, 2);
  c.window_size = pick(1, 17);
  c.segment_size = pick(2, 9);
  c.r = pick(1, c.segment_size - 1);
  c.max_seq_len = max_seq_len;
  return c;
}
}  // namespace

// Decode logits are a full forward's bit for bit: the decoder runs the same
// layer forward and attention kernel over the same rows, with the same score
// layout and summation order (kernels/long_short_attention.h).
TEST_CASE("prefill + cached steps equal full forward passes bit for bit", "[decoder]") {
  std::mt19937_64 rng(424242);
  int with_r_gt_1 = 0, with_r_1 = 0;
  for (int cfg = 0; cfg < 24; ++cfg) {
    Config c = random_causal_config(rng, 400);
    (c.r > 1 ? with_r_gt_1 : with_r_1)++;
    const GemmBackend backend = cfg % 2 ? GemmBackend::kBuiltin : default_gemm_backend();
    const int threads = 1 + cfg % 3 / 2;
    Model model(c, test::random_weights(c, 500 + cfg), {backend, threads});
    IncrementalDecoder dec(model);
    std::uniform_int_distribution<int> tok(0, c.num_tokens - 1);
    std::vector<int32_t> seq(1 + cfg % 13);
    for (auto& t : seq) t = tok(rng);
    const float* got = dec.prefill(seq.data(), seq.size());
    std::vector<float> last(c.num_tokens), all;
    INFO("config " << c.to_json() << " backend " << gemm_backend_name(backend) << " threads " << threads);
    for (int step = 0; step < 320; ++step) {
      INFO("step " << step << " context " << seq.size());
      if (step > 0) REQUIRE(dec.last_step_was_incremental());
      model.forward_last(seq.data(), seq.size(), last.data());
      REQUIRE(std::equal(last.begin(), last.end(), got));
      if (step % 16 == 0) {  // every row's logits, as the reference package's forward returns them
        all.resize(seq.size() * c.num_tokens);
        model.forward(seq.data(), nullptr, 1, seq.size(), all.data());
        REQUIRE(std::equal(last.begin(), last.end(), all.end() - c.num_tokens));
      }
      seq.push_back(tok(rng));
      got = dec.step(seq.back());
    }
  }
  CHECK(with_r_gt_1 >= 5);
  CHECK(with_r_1 >= 3);
}

TEST_CASE("bit for bit at a realistic width too (dh 64, dim 256: the GEMMs' vector tiles)", "[decoder]") {
  const Config c = Config::from_json(R"({"num_tokens": 256, "dim": 256, "depth": 2, "heads": 4, "dim_head": 64,
      "max_seq_len": 1024, "window_size": 32, "segment_size": 16, "r": 2})");
  for (GemmBackend backend : {GemmBackend::kBuiltin, default_gemm_backend()})
    for (int threads : {1, 2}) {
      Model model(c, init_weights(c, 1), {backend, threads});
      IncrementalDecoder dec(model);
      std::mt19937 rng(3);
      std::vector<int32_t> seq(37);
      for (auto& t : seq) t = rng() % 256;
      const float* got = dec.prefill(seq.data(), seq.size());
      std::vector<float> want(c.num_tokens);
      for (int step = 0; step < 40; ++step) {
        INFO(gemm_backend_name(backend) << " " << threads << "T step " << step);
        model.forward_last(seq.data(), seq.size(), want.data());
        REQUIRE(std::equal(want.begin(), want.end(), got));
        seq.push_back(rng() % 256);
        got = dec.step(seq.back());
      }
    }
}

TEST_CASE("forward_cached: a prefill in chunks equals one prefill and a full forward", "[decoder]") {
  std::mt19937_64 rng(23);
  for (int cfg = 0; cfg < 8; ++cfg) {
    Config c = random_causal_config(rng, 200);
    Model model(c, test::random_weights(c, 40 + cfg));
    // the last two are longer than forward_cached's own prefill chunk (2048)
    std::vector<int32_t> seq(cfg < 6 ? 20 + cfg * 7 : 2000 + cfg * 50);
    for (auto& t : seq) t = static_cast<int32_t>(rng() % c.num_tokens);
    std::vector<float> whole(c.num_tokens), chunked(c.num_tokens), full(c.num_tokens);
    DecodeCache one, parts;
    model.forward_cached(seq.data(), seq.size(), one, whole.data());
    for (size_t at = 0; at < seq.size();) {
      const size_t n = std::min<size_t>(seq.size() - at, 1 + rng() % 9);
      model.forward_cached(seq.data() + at, n, parts, chunked.data());
      at += n;
    }
    model.forward_last(seq.data(), seq.size(), full.data());
    INFO("config " << c.to_json());
    CHECK(parts.length == static_cast<int64_t>(seq.size()));
    CHECK(std::equal(full.begin(), full.end(), whole.begin()));
    CHECK(std::equal(full.begin(), full.end(), chunked.begin()));
  }
}

TEST_CASE("the attention probe: the latest token's weights, the rule's layout", "[decoder]") {
  std::mt19937_64 rng(17);
  Config c = random_causal_config(rng, 200);
  Model model(c, test::random_weights(c, 3));
  IncrementalDecoder dec(model);
  dec.set_attention_probe(c.depth - 1, c.heads - 1);
  std::vector<int32_t> seq = {1, 2, 3};
  dec.prefill(seq.data(), seq.size());
  CHECK_FALSE(dec.attention_probe().valid);  // recorded on incremental steps only
  for (int step = 0; step < 60; ++step) {
    dec.step(static_cast<int32_t>(step % c.num_tokens));
    const AttentionProbe& p = dec.attention_probe();
    const int64_t t = static_cast<int64_t>(dec.tokens().size()) - 1;
    INFO("config " << c.to_json() << " t " << t);
    REQUIRE(p.valid);
    CHECK(p.query_pos == t);
    CHECK(p.num_global == (t + 1) / c.segment_size * c.r);
    CHECK(p.local_first_pos == (t / c.window_size - 1) * c.window_size);
    REQUIRE(p.probs.size() == static_cast<size_t>(p.num_global + 2 * c.window_size));
    double sum = 0;
    for (float w : p.probs) sum += w;
    CHECK(sum == Approx(1.0).margin(1e-5));
    for (int64_t i = 0; i < 2 * c.window_size; ++i) {
      const int64_t pos = p.local_first_pos + i;
      if (pos < 0 || pos > t) CHECK(p.probs[p.num_global + i] == 0.0f);  // future and out of range
    }
  }
}

TEST_CASE("past max_seq_len the decoder re-encodes the last max_seq_len tokens (the reference package)", "[decoder]") {
  std::mt19937_64 rng(99);
  Config c = random_causal_config(rng, 24);
  Model model(c, test::random_weights(c, 5));
  IncrementalDecoder dec(model);
  std::vector<int32_t> seq = {1, 2, 3};
  const float* got = dec.prefill(seq.data(), seq.size());
  std::vector<float> want(c.num_tokens);
  for (int step = 0; step < 60; ++step) {
    const size_t n = std::min<size_t>(seq.size(), 24);
    model.forward_last(seq.data() + seq.size() - n, n, want.data());
    REQUIRE(std::equal(want.begin(), want.end(), got));
    REQUIRE(dec.context_length() == static_cast<int64_t>(n));
    seq.push_back(static_cast<int32_t>(step % c.num_tokens));
    got = dec.step(seq.back());
  }
}

TEST_CASE("re-encode mode keeps the context below max_seq_len and stays incremental between re-encodes", "[decoder]") {
  std::mt19937_64 rng(7);
  Config c = random_causal_config(rng, 32);
  Model model(c, test::random_weights(c, 9));
  IncrementalDecoder dec(model, {ContextMode::kReencode, 8});
  std::vector<int32_t> seq = {1};
  const float* got = dec.prefill(seq.data(), 1);
  int full = 0;
  std::vector<float> want(c.num_tokens);
  for (int step = 0; step < 100; ++step) {
    // whatever the mode, the logits are those of a full pass over the current window
    const int64_t n = dec.context_length();
    model.forward_last(seq.data() + seq.size() - n, n, want.data());
    REQUIRE(std::equal(want.begin(), want.end(), got));
    REQUIRE(n <= 32);
    seq.push_back(static_cast<int32_t>((step * 7) % c.num_tokens));
    got = dec.step(seq.back());
    if (!dec.last_step_was_incremental()) ++full;
  }
  CHECK(full >= 8);   // one re-encode every 8 tokens once the window is full
  CHECK(full <= 14);
}

TEST_CASE("re-encode mode with max_seq_len 1 keeps the newest token, as exact mode", "[decoder]") {
  Config c = test::byte_config(16, 1, 8, 4, 1);
  Model model(c, test::random_weights(c, 3));
  IncrementalDecoder exact(model), reencode(model, {ContextMode::kReencode, 0});
  const std::vector<int32_t> prompt = {5, 6, 7};
  const float* a = exact.prefill(prompt.data(), prompt.size());
  const float* b = reencode.prefill(prompt.data(), prompt.size());
  for (int step = 0; step < 5; ++step) {
    REQUIRE(std::equal(a, a + c.num_tokens, b));
    REQUIRE(reencode.context_length() == 1);
    a = exact.step(step + 1);
    b = reencode.step(step + 1);
  }
}

TEST_CASE("the reference package's filter_thres rule and the PRNG", "[sampler]") {
  CHECK(Sampler::reference_top_k(0.9765625, 64) == 1);
  CHECK(Sampler::reference_top_k(0.9, 256) == 25);
  CHECK(Sampler::reference_top_k(0.9, 5) == 1);   // the reference package's k = 0 -> NaN (B5); we keep 1
  CHECK(Sampler::reference_top_k(0.0, 7) == 7);
  std::vector<float> logits = {0.1f, 2.0f, 1.9f, -1.0f};
  SamplingOptions greedy;
  greedy.filter_thres = 1.0 - 1.5 / 4;
  Sampler g(greedy, 1);
  for (int i = 0; i < 10; ++i) CHECK(g.sample(logits.data(), 4, i) == 1);
  // sampling: same seed, same tokens; frequencies follow softmax
  SamplingOptions s;
  Sampler a(s, 123), b(s, 123);
  int count[4] = {0, 0, 0, 0};
  for (int i = 0; i < 20000; ++i) {
    int32_t x = a.sample(logits.data(), 4, i);
    REQUIRE(x == b.sample(logits.data(), 4, i));
    ++count[x];
  }
  double z = std::exp(0.1) + std::exp(2.0) + std::exp(1.9) + std::exp(-1.0);
  CHECK(std::abs(count[1] / 20000.0 - std::exp(2.0) / z) < 0.02);
  CHECK(std::abs(count[3] / 20000.0 - std::exp(-1.0) / z) < 0.01);
  // top_p = 0.5 keeps only the largest
  SamplingOptions p;
  p.top_p = 0.4;
  Sampler tp(p, 5);
  for (int i = 0; i < 100; ++i) CHECK(tp.sample(logits.data(), 4, i) == 1);
  CHECK(counter_uniform(1, 0, 0) == counter_uniform(1, 0, 0));
  CHECK(counter_uniform(1, 0, 0) != counter_uniform(1, 0, 1));
  SamplingOptions bad;
  bad.top_p = 0;
  REQUIRE_THROWS_WITH(Sampler(bad), Catch::Contains("top_p"));
}

TEST_CASE("generate stops at eos (included) and at stop sequences", "[generate]") {
  std::mt19937_64 rng(3);
  Config c = random_causal_config(rng, 64);
  Model model(c, test::random_weights(c, 4));
  IncrementalDecoder dec(model);
  std::vector<int32_t> prompt = {0, 1, 2};
  GenerateOptions o;
  o.max_new_tokens = 30;
  o.sampling.do_sample = false;
  GenerateResult all = generate(dec, prompt.data(), 3, o);
  REQUIRE(all.tokens.size() == 30);
  CHECK(all.finish == FinishReason::kLength);
  o.eos_token = all.tokens[5];
  GenerateResult eos = generate(dec, prompt.data(), 3, o);
  size_t first = std::find(all.tokens.begin(), all.tokens.end(), all.tokens[5]) - all.tokens.begin();
  CHECK(eos.tokens.size() == first + 1);
  CHECK(eos.finish == FinishReason::kEos);
  o.eos_token = -1;
  o.stop = {{all.tokens[7], all.tokens[8]}};
  GenerateResult st = generate(dec, prompt.data(), 3, o);
  CHECK(st.finish == FinishReason::kStop);
  CHECK(st.tokens.size() <= 9);
}
