// Optimizer: state allocation, per-parameter weight decay, global norm clipping, and the dispatch
// of one fused kernel per parameter (fused_update.cpp holds the arithmetic).
#include "engine/optim/optimizer.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstring>

#include "engine/error.hpp"
#include "engine/optim/fused_update.hpp"

namespace dnntrain::engine {

namespace {

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

float* data(const dnnl::memory& m) { return static_cast<float*>(m.get_data_handle()); }

}  // namespace

OptimizerOptions::Kind optimizer_kind_from_name(const std::string& name) {
  if (const auto kind = find_named(kOptimizerNames, name)) return *kind;
  throw Error(fmt::format("unknown optimizer '{}'; use {}", name, name_list(kOptimizerNames)));
}

const char* optimizer_kind_name(OptimizerOptions::Kind kind) { return name_of(kOptimizerNames, kind).data(); }

Optimizer::Optimizer(std::vector<Parameter*> parameters, OptimizerOptions options)
    : options_(options), parameters_(std::move(parameters)) {
  const auto& o = options_;
  DNNTRAIN_CHECK(o.momentum >= 0 && o.weight_decay >= 0 && o.clip_grad_norm >= 0,
                 "optimizer: momentum, weight decay and clip norm must be >= 0");
  DNNTRAIN_CHECK(!o.nesterov || (o.momentum > 0 && o.dampening == 0),
                 "optimizer: Nesterov momentum requires a momentum and zero dampening (as torch.optim.SGD)");
  DNNTRAIN_CHECK(o.beta1 >= 0 && o.beta1 < 1 && o.beta2 >= 0 && o.beta2 < 1 && o.eps >= 0,
                 "optimizer: Adam betas must be in [0, 1) and eps >= 0");
  size_t chunks = 0;
  for (Parameter* p : parameters_) {
    DNNTRAIN_CHECK(p && p->weight && p->grad, "optimizer: a parameter has no weight or gradient memory");
    DNNTRAIN_CHECK(p->weight.get_desc() == p->grad.get_desc(),
                   fmt::format("optimizer: parameter '{}' has a gradient in another layout than its weight; "
                               "backward-weights must write the forward layout",
                               p->name));
    decay_.push_back(weight_decay_for(*p));
    chunks = std::max(chunks, sum_of_squares_chunks(p->padded_elements()));
    auto add_state = [&](const char* name) {
      dnnl::memory m(p->weight.get_desc(), p->weight.get_engine());
      std::memset(m.get_data_handle(), 0, p->weight.get_desc().get_size());
      state_.push_back({p, name, m});
    };
    if (o.kind == OptimizerOptions::Kind::sgd) {
      if (o.momentum != 0) add_state("momentum_buffer");
    } else {
      add_state("exp_avg");
      add_state("exp_avg_sq");
    }
  }
  partials_.assign(chunks, 0.0);
}

double Optimizer::weight_decay_for(const Parameter& p) const {
  const bool is_bias = p.role == Parameter::Role::bias || ends_with(p.name, ".bias") || p.name == "bias";
  if (options_.bias_weight_decay && is_bias) return *options_.bias_weight_decay;
  if (options_.norm_weight_decay && p.role == Parameter::Role::norm) return *options_.norm_weight_decay;
  return options_.weight_decay;
}

double Optimizer::global_grad_norm() {
  double total = 0;
  for (Parameter* p : parameters_)
    total += sum_of_squares(p->grad_data(), p->padded_elements(), partials_.data());
  return std::sqrt(total);
}

void Optimizer::step(double lr) {
  const auto& o = options_;
  float scale = 1.f;
  if (o.clip_grad_norm > 0) {
    if (gradient_wait_)
      for (Parameter* p : parameters_) gradient_wait_(*p);
    last_grad_norm_ = global_grad_norm();
    const double coef = static_cast<double>(o.clip_grad_norm) / (last_grad_norm_ + 1e-6);
    if (coef < 1.0) scale = static_cast<float>(coef);
  }
  const int64_t t = steps_ + 1;
  const size_t per_parameter = state_.size() / std::max<size_t>(1, parameters_.size());
  for (size_t i = parameters_.size(); i-- > 0;) {
    Parameter& p = *parameters_[i];
    if (gradient_wait_) gradient_wait_(p);
    size_t s = i * per_parameter;  // index into state_
    const size_t n = p.padded_elements();
    if (o.kind == OptimizerOptions::Kind::sgd) {
      SgdStep a;
      a.lr = static_cast<float>(lr);
      a.weight_decay = static_cast<float>(decay_[i]);
      a.momentum = static_cast<float>(o.momentum);
      a.keep = static_cast<float>(1.0 - o.dampening);
      a.nesterov = o.nesterov;
      a.grad_scale = scale;
      a.first = steps_ == 0;
      float* b = o.momentum != 0 ? data(state_[s++].memory) : nullptr;
      sgd_update(p.weight_data(), p.grad_data(), b, n, a, p.working);
    } else {
      AdamStep a;
      a.weight_decay = static_cast<float>(decay_[i]);
      a.decay = static_cast<float>(1.0 - lr * decay_[i]);  // torch: param.mul_(1 - lr * wd)
      a.beta1 = static_cast<float>(o.beta1);
      a.beta2 = static_cast<float>(o.beta2);
      a.one_minus_beta1 = static_cast<float>(1.0 - o.beta1);
      a.one_minus_beta2 = static_cast<float>(1.0 - o.beta2);
      a.eps = static_cast<float>(o.eps);
      a.grad_scale = scale;
      a.decoupled = o.kind == OptimizerOptions::Kind::adamw;
      // torch computes these in Python floats (double) from the step count.
      const double bc1 = 1.0 - std::pow(o.beta1, static_cast<double>(t));
      const double bc2 = 1.0 - std::pow(o.beta2, static_cast<double>(t));
      a.step_size = static_cast<float>(lr / bc1);
      a.bias_correction2_sqrt = static_cast<float>(std::sqrt(bc2));
      float* m = data(state_[s++].memory);
      float* v = data(state_[s++].memory);
      adam_update(p.weight_data(), p.grad_data(), m, v, n, a, p.working);
    }
  }
  steps_ = t;
}

void Optimizer::set_steps(int64_t steps) {
  DNNTRAIN_CHECK(steps >= 0, "optimizer: step count must be >= 0");
  steps_ = steps;
}

std::string Optimizer::describe() const {
  const auto& o = options_;
  auto opt = [](const std::optional<double>& v) { return v ? fmt::format("{}", *v) : std::string("none"); };
  std::string s =
      fmt::format("{} weight_decay={} norm_weight_decay={} bias_weight_decay={} clip_grad_norm={}",
                  optimizer_kind_name(o.kind), o.weight_decay, opt(o.norm_weight_decay),
                  opt(o.bias_weight_decay), o.clip_grad_norm);
  if (o.kind == OptimizerOptions::Kind::sgd)
    s += fmt::format(" momentum={} dampening={} nesterov={}", o.momentum, o.dampening, o.nesterov ? 1 : 0);
  else
    s += fmt::format(" beta1={} beta2={} eps={}", o.beta1, o.beta2, o.eps);
  return s;
}

}  // namespace dnntrain::engine
