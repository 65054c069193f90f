// BatchNorm: statistics, normalisation and backward as our own passes (batch_norm_kernels), in
// the input's own layout and data type (f32, or bf16 with f32 arithmetic and double sums); the
// formulas are PyTorch's CPU ones.
#include "layers/batch_norm.hpp"

#include <fmt/format.h>
#include <omp.h>

#include <cmath>

#include "engine/bf16.hpp"
#include "engine/desc_format.hpp"
#include "engine/error.hpp"
#include "engine/planner.hpp"

namespace dnntrain::layers {

using dnnl::memory;

namespace {

template <class T = float>
const T* data_of(const memory& m) {
  return static_cast<const T*>(m.get_data_handle());
}
template <class T = float>
T* mutable_data_of(const memory& m) {
  return static_cast<T*>(m.get_data_handle());
}

// An activation's value: a float, or bf16 bits widened exactly.
float value_of(float v) { return v; }
float value_of(uint16_t v) { return engine::from_bf16(v); }

}  // namespace

BatchNorm::BatchNorm(std::string name, BatchNormOptions options) : Layer(std::move(name)), options_(options) {
  DNNTRAIN_CHECK(options_.channels > 0,
                 fmt::format("batch norm {}: channels must be positive", this->name()));
}

void BatchNorm::plan(engine::Planner& p) {
  const memory::desc& md = p.input_desc(0);
  const memory::dims d = md.get_dims();
  const int c = options_.channels;
  DNNTRAIN_CHECK(d.size() == 4 && d[1] == c, fmt::format("batch norm {}: expects {} channels", name(), c));
  bf16_ = md.get_data_type() == memory::data_type::bf16;
  DNNTRAIN_CHECK(
      bf16_ || md.get_data_type() == memory::data_type::f32,
      fmt::format("batch norm {}: activations must be f32 or bf16, not {}; convert them before this "
                  "layer",
                  name(), engine::describe(md)));
  layout_ = channel_layout(md, std::string(name()).c_str());
  DNNTRAIN_CHECK(
      p.inference() || layout_.per_channel() > 1,
      fmt::format("batch norm {}: training needs more than one value per channel (batch {} of {}x{}); "
                  "use a larger batch or larger images",
                  name(), d[0], d[2], d[3]));
  const int64_t padded = layout_.blocks * layout_.block;
  sums_.resize(omp_get_max_threads(), padded);
  for (auto* v : {&shift_, &mean_, &var_, &invstd_, &sum1_, &sum2_}) v->assign(padded, 0.0);
  for (auto* v : {&scale_, &offset_, &mean_f_, &k_, &g_mean_, &input_scale_}) v->assign(padded, 0.f);
  streaming_ = streams_outputs(layout_, bf16_ ? sizeof(uint16_t) : sizeof(float));
  p.note(fmt::format("own kernels, {} data, {}-channel blocks, sums in double{}{}", bf16_ ? "bf16" : "f32",
                     layout_.block, options_.relu ? ", fused relu" : "",
                     streaming_ ? ", streaming stores" : ""));

  src_ = p.input(0);
  dst_ = p.output(md);
  diff_dst_ = p.diff_output();
  if (p.needs_diff_input(0)) diff_src_ = p.diff_input(0);
  const memory::desc channel_md({c}, memory::data_type::f32, memory::format_tag::x);
  weight_ = &p.parameter("weight", {c}, channel_md, channel_md, options_.weight_init,
                         engine::Parameter::Role::norm);
  bias_ = &p.parameter("bias", {c}, channel_md, channel_md, engine::Init::constant(0.f),
                       engine::Parameter::Role::norm);
  running_mean_ = &p.buffer("running_mean", {c}, engine::Buffer::Type::f32);
  running_var_ = &p.buffer("running_var", {c}, engine::Buffer::Type::f32, 1.f);
  batches_tracked_ = &p.buffer("num_batches_tracked", {}, engine::Buffer::Type::i64);
}

void BatchNorm::batch_statistics(int64_t c0, int64_t c1) {
  const double n = static_cast<double>(layout_.per_channel());
  for (int64_t c = c0; c < std::min<int64_t>(c1, options_.channels); ++c) {
    const double m = sum1_[c] / n;
    mean_[c] = shift_[c] + m;
    var_[c] = std::max(sum2_[c] / n - m * m, 0.0);
    invstd_[c] = 1.0 / std::sqrt(var_[c] + options_.eps);
  }
}

void BatchNorm::affine_coefficients(int64_t c0, int64_t c1, const double* mean, const double* invstd) {
  const float* gamma = data_of(weight_->weight);
  const float* beta = data_of(bias_->weight);
  for (int64_t c = c0; c < std::min<int64_t>(c1, options_.channels); ++c) {
    const double a = gamma[c] * invstd[c];
    scale_[c] = static_cast<float>(a);
    offset_[c] = static_cast<float>(beta[c] - mean[c] * a);
  }
}

ChannelAffine BatchNorm::affine_map() const { return {scale_.data(), offset_.data(), options_.relu}; }

void BatchNorm::forward(engine::Step& step) {
  if (bf16_)
    forward_as<uint16_t>(step);
  else
    forward_as<float>(step);
}

template <class T>
void BatchNorm::forward_as(engine::Step& step) {
  const T* x = data_of<T>(src_);
  T* y = mutable_data_of<T>(dst_);
  if (step.mode == engine::Mode::eval || options_.frozen) {
    // The running statistics: in eval mode into scratch, leaving the last training step's batch
    // statistics alone; in frozen training into the statistics backward reads.
    double* mean = step.mode == engine::Mode::eval ? sum1_.data() : mean_.data();
    double* invstd = step.mode == engine::Mode::eval ? sum2_.data() : invstd_.data();
    for (int c = 0; c < options_.channels; ++c) {
      mean[c] = running_mean_->f32()[c];
      invstd[c] = 1.0 / std::sqrt(static_cast<double>(running_var_->f32()[c]) + options_.eps);
    }
    affine_coefficients(0, options_.channels, mean, invstd);
    channel_affine(x, y, layout_, affine_map(), streaming_);
    return;
  }
  // Sums of x - x[0, c, 0, 0] keep the one-pass variance free of cancellation.
  for (int64_t b = 0; b < layout_.blocks; ++b)
    for (int64_t j = 0; j < layout_.block; ++j)
      shift_[b * layout_.block + j] = value_of(layout_.run(x, 0, b)[j]);
  channel_normalize_batch(
      x, y, layout_, shift_.data(), sums_, sum1_.data(), sum2_.data(),
      [this](int64_t c0, int64_t c1) {
        batch_statistics(c0, c1);
        affine_coefficients(c0, c1, mean_.data(), invstd_.data());
      },
      affine_map(), streaming_);
  update_running_statistics();
}

void BatchNorm::update_running_statistics() {
  const double m = options_.momentum;
  const double n = static_cast<double>(layout_.per_channel());
  float* run_mean = running_mean_->f32().data();
  float* run_var = running_var_->f32().data();
  for (int c = 0; c < options_.channels; ++c) {
    run_mean[c] = static_cast<float>((1 - m) * run_mean[c] + m * mean_[c]);
    run_var[c] =
        static_cast<float>((1 - m) * run_var[c] + m * var_[c] * n / (n - 1));  // unbiased, as PyTorch
  }
  ++batches_tracked_->i64();
}

void BatchNorm::input_gradient_terms(int64_t c0, int64_t c1) {
  const double n = static_cast<double>(layout_.per_channel());
  const float* gamma = data_of(weight_->weight);
  float* d_gamma = mutable_data_of(weight_->grad);
  float* d_beta = mutable_data_of(bias_->grad);
  for (int64_t c = c0; c < std::min<int64_t>(c1, options_.channels); ++c) {
    d_gamma[c] = static_cast<float>(sum2_[c] * invstd_[c]);
    d_beta[c] = static_cast<float>(sum1_[c]);
    mean_f_[c] = static_cast<float>(mean_[c]);
    // Frozen statistics are constants: the input gradient has no batch-statistics terms.
    k_[c] = options_.frozen ? 0.f : static_cast<float>(sum2_[c] * invstd_[c] * invstd_[c] / n);
    g_mean_[c] = options_.frozen ? 0.f : static_cast<float>(sum1_[c] / n);
    input_scale_[c] = static_cast<float>(gamma[c] * invstd_[c]);
  }
}

void BatchNorm::backward(engine::Step& step) {
  (void)step;
  if (bf16_)
    backward_as<uint16_t>();
  else
    backward_as<float>();
}

template <class T>
void BatchNorm::backward_as() {
  T* dx = diff_src_ ? mutable_data_of<T>(diff_src_) : nullptr;
  channel_backward_batch(
      data_of<T>(src_), data_of<T>(diff_dst_), dx, layout_, affine_map(), mean_.data(), sums_, sum1_.data(),
      sum2_.data(), [this](int64_t c0, int64_t c1) { input_gradient_terms(c0, c1); },
      {mean_f_.data(), k_.data(), g_mean_.data(), input_scale_.data()}, streaming_);
}

}  // namespace dnntrain::layers
