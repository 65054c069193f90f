// Optimizers with torch.optim's exact semantics (SGD, Adam, AdamW) that update each parameter in
// its own blocked oneDNN layout, in one fused pass (fused_update.hpp). State is allocated once, at
// construction, with the parameter's own desc; step() allocates nothing.
#pragma once

#include <cstdint>
#include <dnnl.hpp>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "engine/names.hpp"
#include "engine/parameter.hpp"

namespace dnntrain::engine {

struct OptimizerOptions {
  enum class Kind { sgd, adam, adamw };
  Kind kind = Kind::sgd;
  // SGD
  // Hyperparameters are doubles, like the Python floats torch takes; the kernels round them to
  // float where torch's tensor ops do.
  double momentum = 0, dampening = 0;
  bool nesterov = false;  // requires momentum > 0 and dampening == 0, as torch does
  // Adam / AdamW
  double beta1 = 0.9, beta2 = 0.999, eps = 1e-8;
  // Weight decay for every parameter, as torch.optim (SGD/Adam: added to the gradient; AdamW:
  // decoupled). The overrides follow torchvision's set_weight_decay: a parameter with role bias
  // (or a name ending in ".bias", e.g. a BN shift) takes bias_weight_decay when set; otherwise a
  // role-norm parameter takes norm_weight_decay when set; otherwise weight_decay.
  double weight_decay = 0;
  std::optional<double> norm_weight_decay;  // torchvision --norm-weight-decay
  std::optional<double> bias_weight_decay;  // torchvision --bias-weight-decay
  // Global gradient-norm clipping as torch.nn.utils.clip_grad_norm_(params, max_norm) before the
  // step: grads are scaled by min(1, max_norm / (total_norm + 1e-6)). 0 turns it off.
  double clip_grad_norm = 0;
};

// torchvision's --opt names: the one table behind parsing, help text and errors.
inline constexpr Named<OptimizerOptions::Kind> kOptimizerNames[] = {{OptimizerOptions::Kind::sgd, "sgd"},
                                                                    {OptimizerOptions::Kind::adam, "adam"},
                                                                    {OptimizerOptions::Kind::adamw, "adamw"}};

// A kOptimizerNames name <-> Kind; throws dnntrain::Error naming the choices otherwise.
OptimizerOptions::Kind optimizer_kind_from_name(const std::string& name);
const char* optimizer_kind_name(OptimizerOptions::Kind kind);

// One state tensor of one parameter, named as torch.optim names it in its state_dict.
struct OptimizerState {
  Parameter* parameter = nullptr;
  std::string name;     // "momentum_buffer", "exp_avg", "exp_avg_sq"
  dnnl::memory memory;  // the parameter's own (blocked) desc
};

class Optimizer {
 public:
  // requires: every parameter's weight and grad are allocated and share one desc; the parameters
  //           outlive the optimizer.
  // ensures:  state buffers exist, zero-filled (padding included); steps() == 0.
  Optimizer(std::vector<Parameter*> parameters, OptimizerOptions options);

  // One update of every parameter with learning rate `lr`, last parameter first (the order backward
  // produces gradients in; each update is independent of the others, so the order changes no bit).
  // requires: grads hold d(loss)/d(weight) for this step, zero in padding.
  // ensures:  weights and state updated as torch.optim would; steps() incremented; padding of
  //           weights and state still zero; grads are not modified (clipping is folded in).
  void step(double lr);

  int64_t steps() const { return steps_; }
  // The gradient norm measured by the last step() (only when clipping is on; else -1).
  double last_grad_norm() const { return last_grad_norm_; }
  const OptimizerOptions& options() const { return options_; }
  const std::vector<Parameter*>& parameters() const { return parameters_; }
  // The weight decay the step applies to `p` after the norm/bias overrides.
  double weight_decay_for(const Parameter& p) const;
  // One line, e.g. "sgd momentum=0.9 dampening=0 nesterov=0 weight_decay=0.0001 ...".
  std::string describe() const;

  // For checkpoints: the state tensors, in parameter order. Writing into them (by reorder) and
  // calling set_steps() restores a saved optimizer exactly.
  std::vector<OptimizerState>& state() { return state_; }
  const std::vector<OptimizerState>& state() const { return state_; }
  void set_steps(int64_t steps);

  // Called with each parameter before step() reads its gradient (all of them first when clipping):
  // data-parallel training waits there for that gradient's allreduce only.
  void set_gradient_wait(std::function<void(Parameter&)> wait) { gradient_wait_ = std::move(wait); }

 private:
  double global_grad_norm();

  OptimizerOptions options_;
  std::vector<Parameter*> parameters_;
  std::vector<double> decay_;          // per parameter
  std::vector<OptimizerState> state_;  // 0 (plain SGD), 1 (momentum) or 2 (Adam) per parameter
  std::vector<double> partials_;       // scratch for the deterministic norm reduction
  int64_t steps_ = 0;
  double last_grad_norm_ = -1;
  std::function<void(Parameter&)> gradient_wait_;
};

}  // namespace dnntrain::engine
