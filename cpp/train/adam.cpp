#include "train/adam.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"

namespace lst::train {

Adam::Adam(size_t num_params, const AdamOptions& o) : opt_(o), m_(num_params, 0.0f), v_(num_params, 0.0f) {
  LST_CHECK(o.lr >= 0 && o.beta1 >= 0 && o.beta1 < 1 && o.beta2 >= 0 && o.beta2 < 1 && o.eps >= 0 &&
                o.weight_decay >= 0,
            "adam: invalid options (lr ", o.lr, ", betas ", o.beta1, "/", o.beta2, ", eps ", o.eps,
            ", weight_decay ", o.weight_decay, ")");
}

void Adam::step(float* params, const float* grads, double lr) {
  if (lr < 0) lr = opt_.lr;
  ++t_;
  // Scalars as PyTorch forms them: in double, then used as float32 by the kernels.
  const double bc1 = 1.0 - std::pow(opt_.beta1, double(t_));
  const double bc2 = 1.0 - std::pow(opt_.beta2, double(t_));
  const float b1 = float(opt_.beta1), one_minus_b1 = float(1.0 - opt_.beta1);
  const float b2 = float(opt_.beta2), one_minus_b2 = float(1.0 - opt_.beta2);
  const float neg_step_size = float(-(lr / bc1));
  const float bc2_sqrt = float(std::sqrt(bc2));
  const float eps = float(opt_.eps);
  const float wd = float(opt_.weight_decay);
  const float decay = float(1.0 - lr * opt_.weight_decay);
  const bool l2 = opt_.weight_decay != 0 && !opt_.decoupled_weight_decay;
  const bool decoupled = opt_.weight_decay != 0 && opt_.decoupled_weight_decay;
  const size_t n = m_.size();
  for (size_t i = 0; i < n; ++i) {
    float g = grads[i];
    if (l2) g += wd * params[i];
    if (decoupled) params[i] *= decay;
    m_[i] = m_[i] * b1 + g * one_minus_b1;
    v_[i] = v_[i] * b2 + one_minus_b2 * g * g;
    const float denom = std::sqrt(v_[i]) / bc2_sqrt + eps;
    params[i] += neg_step_size * (m_[i] / denom);
  }
}

double clip_grad_norm(float* grads, size_t n, double max_norm) {
  double sq = 0;
  for (size_t i = 0; i < n; ++i) sq += double(grads[i]) * grads[i];
  const double total = std::sqrt(sq);
  if (max_norm > 0) {
    const double coef = max_norm / (total + 1e-6);
    if (coef < 1.0) {
      const float c = float(coef);
      for (size_t i = 0; i < n; ++i) grads[i] *= c;
    }
  }
  return total;
}

double LrSchedule::at(int64_t step) const {
  if (warmup_steps > 0 && step < warmup_steps) return lr * double(step + 1) / double(warmup_steps);
  if (!cosine || total_steps <= warmup_steps) return lr;
  const double progress =
      std::min(1.0, double(step - warmup_steps) / double(std::max<int64_t>(1, total_steps - warmup_steps)));
  const double min_lr = lr * min_ratio;
  return min_lr + 0.5 * (lr - min_lr) * (1.0 + std::cos(M_PI * progress));
}

}  // namespace lst::train
