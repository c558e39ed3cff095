// Adam, clipping and the learning-rate schedule against hand computations
// of torch.optim.Adam / clip_grad_norm_ (written out here, not reusing the
// implementation's code).
#include <catch2/catch.hpp>
#include <algorithm>
#include <cmath>
#include <vector>

#include "train/adam.h"

using namespace lst;

TEST_CASE("clip_grad_norm scales by max_norm / (total + 1e-6) only when below 1", "[train]") {
  std::vector<float> g = {3.0f, 4.0f, 0.0f};  // norm 5
  const double total = train::clip_grad_norm(g.data(), g.size(), 0.5);
  CHECK(total == Approx(5.0).epsilon(1e-12));
  const double coef = 0.5 / (5.0 + 1e-6);
  CHECK(g[0] == Approx(3.0 * coef).epsilon(1e-7));
  CHECK(g[1] == Approx(4.0 * coef).epsilon(1e-7));
  CHECK(g[2] == 0.0f);
  std::vector<float> small = {0.1f, -0.2f};  // norm 0.2236 < 0.5: unchanged
  train::clip_grad_norm(small.data(), small.size(), 0.5);
  CHECK(small[0] == 0.1f);
  CHECK(small[1] == -0.2f);
}

TEST_CASE("Adam with clipping follows PyTorch's update rule step by step", "[train]") {
  const double lr = 3e-4, b1 = 0.9, b2 = 0.999, eps = 1e-8;
  std::vector<float> p = {1.0f, -2.0f, 0.5f, 0.25f};
  train::AdamOptions o;  // the reference package's: lr 3e-4, betas 0.9/0.999, eps 1e-8
  train::Adam adam(p.size(), o);
  // Hand computation in double.
  std::vector<double> hp(p.begin(), p.end()), m(4, 0.0), v(4, 0.0);
  const std::vector<std::vector<float>> grads = {
      {3.0f, 4.0f, 0.0f, 1e-9f}, {0.01f, -0.02f, 0.3f, 0.0f}, {-1.0f, 2.0f, -0.5f, 0.1f}};
  for (size_t t = 1; t <= grads.size(); ++t) {
    std::vector<float> g = grads[t - 1];
    train::clip_grad_norm(g.data(), g.size(), 0.5);
    adam.step(p.data(), g.data());
    // clip by hand
    double sq = 0;
    for (float x : grads[t - 1]) sq += double(x) * x;
    const double coef = std::min(1.0, 0.5 / (std::sqrt(sq) + 1e-6));
    for (size_t i = 0; i < 4; ++i) {
      const double gi = grads[t - 1][i] * coef;
      m[i] = b1 * m[i] + (1 - b1) * gi;
      v[i] = b2 * v[i] + (1 - b2) * gi * gi;
      const double step_size = lr / (1 - std::pow(b1, t));
      const double denom = std::sqrt(v[i]) / std::sqrt(1 - std::pow(b2, t)) + eps;
      hp[i] -= step_size * m[i] / denom;
    }
    for (size_t i = 0; i < 4; ++i) {
      INFO("step " << t << " param " << i);
      CHECK(std::fabs(p[i] - hp[i]) <= 2.5e-7 * std::max(1.0, std::fabs(hp[i])));  // ~1 ulp
    }
  }
  // Step 1 moves every parameter with a gradient by ~lr against its sign.
  CHECK(adam.steps_taken() == 3);
}

TEST_CASE("AdamW decays weights before the update; Adam's L2 adds to the gradient", "[train]") {
  train::AdamOptions o;
  o.lr = 0.1;
  o.weight_decay = 0.5;
  std::vector<float> p = {2.0f}, g = {0.0f};
  train::Adam adamw(1, o);
  adamw.step(p.data(), g.data());
  CHECK(p[0] == Approx(2.0 * (1 - 0.1 * 0.5)).epsilon(1e-7));  // zero grad: pure decay
  o.decoupled_weight_decay = false;
  std::vector<float> q = {2.0f};
  train::Adam adam(1, o);
  adam.step(q.data(), g.data());
  // grad = 0.5 * 2 = 1 -> first Adam step moves by lr * 1 / (1 + eps)
  CHECK(q[0] == Approx(2.0 - 0.1).epsilon(1e-6));
}

TEST_CASE("learning-rate schedule: linear warmup then cosine", "[train]") {
  train::LrSchedule s;
  s.lr = 1e-3;
  s.warmup_steps = 10;
  s.cosine = true;
  s.total_steps = 110;
  s.min_ratio = 0.1;
  CHECK(s.at(0) == Approx(1e-4));
  CHECK(s.at(9) == Approx(1e-3));
  CHECK(s.at(10) == Approx(1e-3));
  CHECK(s.at(60) == Approx(1e-4 + 0.5 * 9e-4));
  CHECK(s.at(110) == Approx(1e-4));
  CHECK(s.at(500) == Approx(1e-4));
  train::LrSchedule constant;
  CHECK(constant.at(1000) == 3e-4);
}
