#include "train/params.h"

#include <map>

#include "core/error.h"

namespace lst::train {

ParamLayout ParamLayout::make(const Config& c) {
  Weights shape_only;
  shape_only.layers.resize(c.depth);
  ParamLayout L;
  for (const auto& t : state_dict(shape_only, c)) {
    if (t.is_buffer) continue;
    size_t n = 1;
    for (auto d : t.shape) n *= static_cast<size_t>(d);
    L.entries.push_back({t.name, t.shape, L.total, n});
    L.total += n;
  }
  return L;
}

template <class T>
ParamPtrs<T> ParamPtrs<T>::bind(T* base, const Config& c) {
  const ParamLayout L = ParamLayout::make(c);
  std::map<std::string, T*> at;
  for (const auto& e : L.entries) at[e.name] = base + e.offset;
  auto get = [&](const std::string& n) { return at.at(n); };
  ParamPtrs p;
  p.token_emb = get("token_emb.weight");
  for (int i = 0; i < c.depth; ++i) {
    const std::string a = "layers." + std::to_string(i) + ".0.";
    const std::string f = "layers." + std::to_string(i) + ".1.";
    LayerParamPtrs<T> l;
    l.attn_norm_w = get(a + "norm.weight");
    l.attn_norm_b = get(a + "norm.bias");
    l.to_q = get(a + "fn.to_q.weight");
    l.to_kv = get(a + "fn.to_kv.weight");
    LST_CHECK(l.to_kv == l.to_q + size_t(c.inner()) * c.dim,
              "param layout: to_q and to_kv must be adjacent");
    l.to_dynamic_proj = get(a + "fn.to_dynamic_proj.weight");
    l.local_norm_w = get(a + "fn.local_norm.weight");
    l.local_norm_b = get(a + "fn.local_norm.bias");
    l.global_norm_w = get(a + "fn.global_norm.weight");
    l.global_norm_b = get(a + "fn.global_norm.bias");
    l.to_out_w = get(a + "fn.to_out.weight");
    l.to_out_b = get(a + "fn.to_out.bias");
    l.ff_norm_w = get(f + "norm.weight");
    l.ff_norm_b = get(f + "norm.bias");
    l.ff1_w = get(f + "fn.net.0.weight");
    l.ff1_b = get(f + "fn.net.0.bias");
    l.ff2_w = get(f + "fn.net.3.weight");
    l.ff2_b = get(f + "fn.net.3.bias");
    p.layers.push_back(l);
  }
  p.final_norm_w = get("to_logits.0.weight");
  p.final_norm_b = get("to_logits.0.bias");
  p.logits_w = get("to_logits.1.weight");
  p.logits_b = get("to_logits.1.bias");
  return p;
}

template <class T>
std::vector<T> flatten_weights(const Weights& w, const Config& c) {
  Weights& mw = const_cast<Weights&>(w);  // state_dict() takes non-const; read only
  std::vector<T> flat;
  flat.reserve(ParamLayout::make(c).total);
  for (const auto& t : state_dict(mw, c)) {
    if (t.is_buffer) continue;
    size_t n = 1;
    for (auto d : t.shape) n *= static_cast<size_t>(d);
    LST_CHECK(t.data->size() == n, "weights: tensor '", t.name, "' has ", t.data->size(),
              " values, expected ", n);
    for (float v : *t.data) flat.push_back(static_cast<T>(v));
  }
  return flat;
}

template <class T>
Weights unflatten_weights(const T* flat, const Config& c,
                          const std::vector<std::vector<float>>* rotary_freqs) {
  Weights w = allocate_weights(c);
  size_t off = 0;
  for (auto& t : state_dict(w, c)) {
    if (t.is_buffer) continue;
    for (auto& v : *t.data) v = static_cast<float>(flat[off++]);
  }
  if (rotary_freqs)
    for (int i = 0; i < c.depth; ++i) w.layers[i].rotary_freqs = (*rotary_freqs)[i];
  return w;
}

std::vector<std::vector<float>> rotary_freqs_of(const Weights& w) {
  std::vector<std::vector<float>> f;
  for (const auto& l : w.layers) f.push_back(l.rotary_freqs);
  return f;
}

template struct ParamPtrs<float>;
template struct ParamPtrs<double>;
template std::vector<float> flatten_weights<float>(const Weights&, const Config&);
template std::vector<double> flatten_weights<double>(const Weights&, const Config&);
template Weights unflatten_weights<float>(const float*, const Config&,
                                          const std::vector<std::vector<float>>*);
template Weights unflatten_weights<double>(const double*, const Config&,
                                           const std::vector<std::vector<float>>*);

}  // namespace lst::train
