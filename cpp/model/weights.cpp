#include "model/weights.h"

#include <cmath>

#include "core/error.h"
#include "core/splitmix64.h"
#include "io/safetensors.h"
#include "model/stored_weights.h"

namespace lst {

std::vector<NamedTensor> state_dict(Weights& w, const Config& c) {
  const int64_t V = c.num_tokens, D = c.dim, I = c.inner(), H = c.ff_hidden(),
                dh = c.dim_head, R = c.r;
  std::vector<NamedTensor> t;
  t.push_back({"token_emb.weight", {V, D}, &w.token_emb});
  for (int i = 0; i < c.depth; ++i) {
    auto& L = w.layers[i];
    const std::string a = "layers." + std::to_string(i) + ".0.";
    const std::string f = "layers." + std::to_string(i) + ".1.";
    t.push_back({a + "norm.weight", {D}, &L.attn_norm_w});
    t.push_back({a + "norm.bias", {D}, &L.attn_norm_b});
    t.push_back({a + "fn.to_q.weight", {I, D}, &L.to_q});
    t.push_back({a + "fn.to_kv.weight", {I, D}, &L.to_kv});
    t.push_back({a + "fn.to_dynamic_proj.weight", {R, dh}, &L.to_dynamic_proj});
    t.push_back({a + "fn.local_norm.weight", {dh}, &L.local_norm_w});
    t.push_back({a + "fn.local_norm.bias", {dh}, &L.local_norm_b});
    t.push_back({a + "fn.global_norm.weight", {dh}, &L.global_norm_w});
    t.push_back({a + "fn.global_norm.bias", {dh}, &L.global_norm_b});
    t.push_back({a + "fn.pos_emb.freqs", {dh / 2}, &L.rotary_freqs, /*is_buffer=*/true});
    t.push_back({a + "fn.to_out.weight", {D, I}, &L.to_out_w});
    t.push_back({a + "fn.to_out.bias", {D}, &L.to_out_b});
    t.push_back({f + "norm.weight", {D}, &L.ff_norm_w});
    t.push_back({f + "norm.bias", {D}, &L.ff_norm_b});
    t.push_back({f + "fn.net.0.weight", {H, D}, &L.ff1_w});
    t.push_back({f + "fn.net.0.bias", {H}, &L.ff1_b});
    t.push_back({f + "fn.net.3.weight", {D, H}, &L.ff2_w});
    t.push_back({f + "fn.net.3.bias", {D}, &L.ff2_b});
  }
  t.push_back({"to_logits.0.weight", {D}, &w.final_norm_w});
  t.push_back({"to_logits.0.bias", {D}, &w.final_norm_b});
  t.push_back({"to_logits.1.weight", {V, D}, &w.logits_w});
  t.push_back({"to_logits.1.bias", {V}, &w.logits_b});
  return t;
}

static int64_t numel(const std::vector<int64_t>& shape) {
  int64_t n = 1;
  for (auto d : shape) n *= d;
  return n;
}

Weights allocate_weights(const Config& c) {
  c.validate();
  Weights w;
  w.layers.resize(c.depth);
  for (auto& t : state_dict(w, c)) t.data->assign(numel(t.shape), 0.0f);
  for (auto& L : w.layers)
    for (size_t i = 0; i < L.rotary_freqs.size(); ++i)
      L.rotary_freqs[i] = static_cast<float>(1.0 / std::pow(10000.0, 2.0 * i / c.dim_head));
  return w;
}

int64_t count_parameters(const Config& c) {
  Weights w;
  w.layers.resize(c.depth);
  int64_t n = 0;
  for (auto& t : state_dict(w, c))
    if (!t.is_buffer) n += numel(t.shape);
  return n;
}

namespace {
// A seeded generator with the same output on every platform (std::
// distributions differ between libstdc++ and Emscripten's libc++).
class InitRng {
 public:
  explicit InitRng(uint64_t seed) : rng_{seed} {}
  // Uniform in [0, 1) with 53 random bits.
  double uniform() { return rng_.uniform(); }
  // Standard normal by Box-Muller (both outputs used).
  double normal() {
    if (has_spare_) {
      has_spare_ = false;
      return spare_;
    }
    const double u1 = 1.0 - uniform(), u2 = uniform();  // u1 in (0, 1]
    const double radius = std::sqrt(-2.0 * std::log(u1)), angle = 6.283185307179586 * u2;
    spare_ = radius * std::sin(angle);
    has_spare_ = true;
    return radius * std::cos(angle);
  }

 private:
  SplitMix64 rng_;
  double spare_ = 0;
  bool has_spare_ = false;
};
}  // namespace

Weights init_weights(const Config& c, uint64_t seed) {
  Weights w = allocate_weights(c);
  InitRng rng(seed);
  auto uniform = [&](std::vector<float>& v, double bound) {
    for (auto& x : v) x = static_cast<float>((2.0 * rng.uniform() - 1.0) * bound);
  };
  auto normal = [&](std::vector<float>& v) {
    for (auto& x : v) x = static_cast<float>(rng.normal());
  };
  auto ones = [](std::vector<float>& v) { std::fill(v.begin(), v.end(), 1.0f); };
  // nn.Linear default: weight and bias ~ U(-1/sqrt(in), 1/sqrt(in)).
  auto linear = [&](std::vector<float>& W, std::vector<float>* b, int in) {
    double bound = 1.0 / std::sqrt(static_cast<double>(in));
    uniform(W, bound);
    if (b) uniform(*b, bound);
  };
  normal(w.token_emb);
  for (auto& L : w.layers) {
    ones(L.attn_norm_w);
    ones(L.local_norm_w);
    ones(L.global_norm_w);
    ones(L.ff_norm_w);
    linear(L.to_q, nullptr, c.dim);
    linear(L.to_kv, nullptr, c.dim);
    linear(L.to_dynamic_proj, nullptr, c.dim_head);
    linear(L.to_out_w, &L.to_out_b, c.inner());
    linear(L.ff1_w, &L.ff1_b, c.dim);
    linear(L.ff2_w, &L.ff2_b, c.ff_hidden());
  }
  ones(w.final_norm_w);
  linear(w.logits_w, &w.logits_b, c.dim);
  return w;
}

Weights load_weights(const SafeTensors& st, const Config& c) {
  return load_stored_weights(st, c, WeightFormat::kF32).weights;
}

SafeTensorsWriter state_dict_file(const Weights& w, const Config& c, bool f16) {
  SafeTensorsWriter wr;
  wr.set_metadata("config", c.to_json());
  wr.set_metadata("format", "pt");
  Weights& mw = const_cast<Weights&>(w);  // state_dict() takes non-const; read only here
  for (auto& t : state_dict(mw, c)) {
    if (f16 && !t.is_buffer)
      wr.add_f16(t.name, t.shape, t.data->data());
    else
      wr.add_f32(t.name, t.shape, t.data->data());
  }
  return wr;
}

}  // namespace lst
