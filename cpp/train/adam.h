// The optimiser of the seed's train.py: torch.optim.Adam (optionally AdamW's
// decoupled weight decay), torch.nn.utils.clip_grad_norm_, and an optional
// linear-warmup / cosine learning-rate schedule. Flat float buffers in the
// ParamLayout order.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

namespace lst::train {

struct AdamOptions {
  double lr = 3e-4;
  double beta1 = 0.9, beta2 = 0.999;
  double eps = 1e-8;
  double weight_decay = 0.0;
  // true: AdamW (param *= 1 - lr * wd before the update); false: Adam's L2
  // form (grad += wd * param), as torch.optim.Adam(weight_decay=wd).
  bool decoupled_weight_decay = true;
};

// torch.optim.Adam, step for step (float32 state, PyTorch's bias correction:
// step_size = lr / (1 - b1^t), denom = sqrt(v) / sqrt(1 - b2^t) + eps).
class Adam {
 public:
  Adam(size_t num_params, const AdamOptions& o);
  // One update with the options' lr, or `lr` when >= 0 (schedules).
  void step(float* params, const float* grads, double lr = -1.0);

  const AdamOptions& options() const { return opt_; }
  int64_t steps_taken() const { return t_; }
  // State for checkpoints: exp_avg, exp_avg_sq (num_params each) and t.
  std::vector<float>& exp_avg() { return m_; }
  std::vector<float>& exp_avg_sq() { return v_; }
  const std::vector<float>& exp_avg() const { return m_; }
  const std::vector<float>& exp_avg_sq() const { return v_; }
  void set_steps_taken(int64_t t) { t_ = t; }

 private:
  AdamOptions opt_;
  std::vector<float> m_, v_;
  int64_t t_ = 0;
};

// torch.nn.utils.clip_grad_norm_(params, max_norm): total = the 2-norm of all
// gradients; when max_norm / (total + 1e-6) < 1 every gradient is scaled by
// it. Returns the total norm before clipping. max_norm <= 0 only measures.
double clip_grad_norm(float* grads, size_t n, double max_norm);

// Learning rate at `step` (0-based): linear warmup over warmup_steps to lr,
// then constant, or cosine down to lr * min_ratio at total_steps.
struct LrSchedule {
  double lr = 3e-4;
  int64_t warmup_steps = 0;
  bool cosine = false;
  int64_t total_steps = 0;
  double min_ratio = 0.1;
  double at(int64_t step) const;
};

}  // namespace lst::train
