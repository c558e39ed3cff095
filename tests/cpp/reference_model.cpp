#include "reference_model.h"

#include <cfloat>
#include <cmath>

namespace lst::reference {
namespace {

using Vec = std::vector<double>;
using Mat = std::vector<Vec>;

Vec layernorm(const Vec& x, const std::vector<float>& w, const std::vector<float>& b) {
  double mean = 0, var = 0;
  for (double v : x) mean += v;
  mean /= x.size();
  for (double v : x) var += (v - mean) * (v - mean);
  var /= x.size();
  Vec y(x.size());
  for (size_t i = 0; i < x.size(); ++i) y[i] = (x[i] - mean) / std::sqrt(var + 1e-5) * w[i] + b[i];
  return y;
}

// y = W x (+ b), W (out, in) row-major
Vec linear(const std::vector<float>& W, const std::vector<float>* b, const Vec& x, size_t out) {
  Vec y(out, 0.0);
  for (size_t o = 0; o < out; ++o) {
    double s = b ? (*b)[o] : 0.0;
    for (size_t i = 0; i < x.size(); ++i) s += double(W[o * x.size() + i]) * x[i];
    y[o] = s;
  }
  return y;
}

double dot(const Vec& a, const Vec& b) {
  double s = 0;
  for (size_t i = 0; i < a.size(); ++i) s += a[i] * b[i];
  return s;
}

// softmax with the reference package's masked_fill(-FLT_MAX) semantics
Vec masked_softmax(Vec s, const std::vector<bool>& visible) {
  for (size_t i = 0; i < s.size(); ++i)
    if (!visible[i]) s[i] = -double(FLT_MAX);
  double m = -INFINITY;
  for (double v : s) m = std::max(m, v);
  double sum = 0;
  for (double& v : s) sum += (v = std::exp(v - m));
  for (double& v : s) v /= sum;
  return s;
}

// docs/SPEC.md §4: attention of one sequence, y (N, dim) already padded; mask (N).
Mat attention(const Config& c, const LayerWeights& L, const Mat& y, const std::vector<bool>& mask) {
  const int64_t N = y.size(), dh = c.dim_head, H = c.heads, W = c.window_size;
  Mat out(N, Vec(c.inner(), 0.0));
  for (int64_t h = 0; h < H; ++h) {
    Mat q(N), kv(N);
    for (int64_t t = 0; t < N; ++t) {
      Vec qa = linear(L.to_q, nullptr, y[t], c.inner());
      Vec ka = linear(L.to_kv, nullptr, y[t], c.inner());
      q[t].assign(qa.begin() + h * dh, qa.begin() + (h + 1) * dh);
      kv[t].assign(ka.begin() + h * dh, ka.begin() + (h + 1) * dh);
      // 4.3 rotary, interleaved pairs
      for (int64_t i = 0; i < dh / 2; ++i) {
        double a = double(t) * double(L.rotary_freqs[i]);
        for (Vec* v : {&q[t], &kv[t]}) {
          double x0 = (*v)[2 * i], x1 = (*v)[2 * i + 1];
          (*v)[2 * i] = x0 * std::cos(a) - x1 * std::sin(a);
          (*v)[2 * i + 1] = x1 * std::cos(a) + x0 * std::sin(a);
        }
      }
      for (double& v : q[t]) v *= 1.0 / std::sqrt(double(dh));  // 4.4
    }
    // 4.5 local keys; the reference package pads missing windows with -1 before the norm
    Mat lkv(N);
    for (int64_t t = 0; t < N; ++t) lkv[t] = layernorm(kv[t], L.local_norm_w, L.local_norm_b);
    const Vec pad_key = layernorm(Vec(dh, -1.0), L.local_norm_w, L.local_norm_b);
    // 4.6 global tokens
    const int64_t block = c.causal ? c.segment_size : N;
    Mat gkv;
    for (int64_t b0 = 0; b0 < N; b0 += block) {
      for (int64_t j = 0; j < c.r; ++j) {
        Vec p(block);
        std::vector<bool> vis(block);
        Vec wp(L.to_dynamic_proj.begin() + j * dh, L.to_dynamic_proj.begin() + (j + 1) * dh);
        for (int64_t i = 0; i < block; ++i) {
          p[i] = dot(kv[b0 + i], wp);
          vis[i] = mask[b0 + i];
        }
        p = masked_softmax(p, vis);
        Vec g(dh, 0.0);
        for (int64_t i = 0; i < block; ++i)
          for (int64_t d = 0; d < dh; ++d) g[d] += p[i] * kv[b0 + i][d];
        gkv.push_back(layernorm(g, L.global_norm_w, L.global_norm_b));
      }
    }
    // 4.7-4.9 one key list and one mask per query
    for (int64_t t = 0; t < N; ++t) {
      const int64_t k = t / W;
      Mat keys;
      std::vector<bool> vis;
      for (size_t j = 0; j < gkv.size(); ++j) {
        keys.push_back(gkv[j]);
        const int64_t seg = j / c.r;
        vis.push_back(!c.causal || t >= (seg + 1) * c.segment_size - 1);
      }
      for (int64_t win = k - 1; win <= k + (c.causal ? 0 : 1); ++win) {
        for (int64_t i = 0; i < W; ++i) {
          const int64_t pos = win * W + i;
          const bool in_range = win >= 0 && win < N / W;
          keys.push_back(in_range ? lkv[pos] : pad_key);
          vis.push_back(in_range && mask[pos] && (!c.causal || pos <= t));
        }
      }
      Vec s(keys.size());
      for (size_t j = 0; j < keys.size(); ++j) s[j] = dot(q[t], keys[j]);
      Vec p = masked_softmax(s, vis);
      for (size_t j = 0; j < keys.size(); ++j)
        for (int64_t d = 0; d < dh; ++d) out[t][h * dh + d] += p[j] * keys[j][d];
    }
  }
  return out;
}

}  // namespace

std::vector<double> forward(const Config& c, const Weights& w, const std::vector<int32_t>& tokens,
                            const std::vector<uint8_t>& mask, int64_t b, int64_t n) {
  const int64_t D = c.dim, V = c.num_tokens, P = c.pad_multiple();
  const int64_t N = (n + P - 1) / P * P;
  std::vector<double> logits;
  for (int64_t bi = 0; bi < b; ++bi) {
    Mat x(n);
    for (int64_t t = 0; t < n; ++t) {
      int32_t id = tokens[bi * n + t];
      x[t].assign(w.token_emb.begin() + id * D, w.token_emb.begin() + (id + 1) * D);
    }
    std::vector<bool> m(N, false);
    for (int64_t t = 0; t < n; ++t) m[t] = mask.empty() ? true : mask[bi * n + t] != 0;
    for (const auto& L : w.layers) {
      Mat y(N, Vec(D, 0.0));
      for (int64_t t = 0; t < n; ++t) y[t] = layernorm(x[t], L.attn_norm_w, L.attn_norm_b);
      Mat a = attention(c, L, y, m);
      for (int64_t t = 0; t < n; ++t) {
        Vec o = linear(L.to_out_w, &L.to_out_b, a[t], D);
        for (int64_t d = 0; d < D; ++d) x[t][d] += o[d];
        Vec f = linear(L.ff1_w, &L.ff1_b, layernorm(x[t], L.ff_norm_w, L.ff_norm_b), c.ff_hidden());
        for (double& v : f) v = 0.5 * v * (1.0 + std::erf(v / std::sqrt(2.0)));
        Vec g = linear(L.ff2_w, &L.ff2_b, f, D);
        for (int64_t d = 0; d < D; ++d) x[t][d] += g[d];
      }
    }
    for (int64_t t = 0; t < n; ++t) {
      Vec l = linear(w.logits_w, &w.logits_b, layernorm(x[t], w.final_norm_w, w.final_norm_b), V);
      logits.insert(logits.end(), l.begin(), l.end());
    }
  }
  return logits;
}

}  // namespace lst::reference
