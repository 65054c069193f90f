// The fused optimizer kernels: one pass over a parameter's physical (possibly padded) buffer that
// reads weight, gradient and state once and writes weight and state once. Layout-agnostic: every
// element is updated independently, so blocked layouts need no reorder and zeros stay zeros.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "engine/parameter.hpp"

namespace dnntrain::engine {

// One SGD step, torch.optim.SGD semantics (torch 1.13, maximize=false):
//   d = g * grad_scale + weight_decay * w
//   momentum == 0:  w -= lr * d
//   first step:     b = d                                  (torch clones d into the new buffer)
//   later steps:    b = momentum * b + (1 - dampening) * d
//   nesterov:       w -= lr * (d + momentum * b)   else  w -= lr * b
struct SgdStep {
  float lr = 0, weight_decay = 0, momentum = 0, grad_scale = 1;
  float keep = 1;  // 1 - dampening, computed in double as torch does before rounding to float
  bool nesterov = false;
  bool first = false;  // no momentum buffer yet: initialise it to d
};

// One Adam / AdamW step, torch.optim.Adam / AdamW semantics (torch 1.13, amsgrad=false):
//   decoupled (AdamW): w *= decay (= 1 - lr * weight_decay);  d = g * grad_scale
//   L2 (Adam):         d = g * grad_scale + weight_decay * w
//   m = beta1 * m + (1 - beta1) * d;   v = beta2 * v + (1 - beta2) * d * d
//   w -= step_size * m / (sqrt(v) / bias_correction2_sqrt + eps)
// with step_size = lr / (1 - beta1^t) and bias_correction2_sqrt = sqrt(1 - beta2^t).
struct AdamStep {
  float weight_decay = 0, decay = 1, beta1 = 0.9f, beta2 = 0.999f, eps = 1e-8f, grad_scale = 1;
  // 1 - beta1 and 1 - beta2 computed in double (torch passes them as Python floats): rounding
  // 1.f - 0.999f in float instead would be 5e-5 off.
  float one_minus_beta1 = 0.1f, one_minus_beta2 = 0.001f;
  float step_size = 0, bias_correction2_sqrt = 1;
  bool decoupled = false;
};

// requires: w, g, b each hold n floats (n = Parameter::padded_elements()); g and w are zero
//           wherever the layout pads; each copy is a working copy of w.
// ensures:  w and b updated in place as above; padded elements of w and b are zero; every working
//           copy holds the new w rounded to bf16, written chunk by chunk while the chunk of w is
//           still in cache (no separate pass).
void sgd_update(float* w, const float* g, float* b, size_t n, const SgdStep& s,
                std::span<const WorkingCopy> copies = {});
void adam_update(float* w, const float* g, float* m, float* v, size_t n, const AdamStep& s,
                 std::span<const WorkingCopy> copies = {});

// Sum of g[i]^2 in double, in fixed chunks added in a fixed order, so the result does not depend
// on the thread count. `partials` must hold sum_of_squares_chunks(n) doubles (scratch).
size_t sum_of_squares_chunks(size_t n);
double sum_of_squares(const float* g, size_t n, double* partials);

// The name of the instruction set the kernels dispatch to on this CPU ("avx512f", "avx2", ...).
const char* fused_update_isa();

}  // namespace dnntrain::engine
