// BatchNorm: training, inference and backward primitives over the input's own (blocked) layout.
#include "layers/batch_norm.hpp"

#include <fmt/format.h>

#include "engine/error.hpp"
#include "engine/planner.hpp"

namespace dnntrain::layers {

using dnnl::memory;
using flags = dnnl::normalization_flags;

BatchNorm::BatchNorm(std::string name, BatchNormOptions options) : Layer(std::move(name)), options_(options) {
  DNNTRAIN_CHECK(options_.channels > 0, fmt::format("batch norm {}: channels must be positive", this->name()));
}

void BatchNorm::plan(engine::Planner& p) {
  const memory::desc& md = p.input_desc(0);
  const memory::dims d = md.dims();
  const int c = options_.channels;
  DNNTRAIN_CHECK(d.size() == 4 && d[1] == c, fmt::format("batch norm {}: expects {} channels", name(), c));
  const memory::dim m = d[0] * d[2] * d[3];
  DNNTRAIN_CHECK(m > 1, fmt::format("batch norm {}: training needs more than one value per channel (batch {} "
                                    "of {}x{}); use a larger batch or larger images", name(), d[0], d[2], d[3]));
  unbias_ = static_cast<float>(m) / static_cast<float>(m - 1);

  const flags relu = options_.relu ? flags::fuse_norm_relu : flags::none;
  const flags affine = flags::use_scale | flags::use_shift;
  const flags stats = options_.frozen ? flags::use_global_stats : flags::none;
  auto train_pd = dnnl::batch_normalization_forward::primitive_desc(
      dnnl::batch_normalization_forward::desc(dnnl::prop_kind::forward_training, md, options_.eps,
                                              affine | relu | stats),
      p.attr(), p.engine());
  auto eval_pd = dnnl::batch_normalization_forward::primitive_desc(
      dnnl::batch_normalization_forward::desc(dnnl::prop_kind::forward_inference, md, options_.eps,
                                              affine | relu | flags::use_global_stats),
      p.attr(), p.engine());
  auto bwd_pd = dnnl::batch_normalization_backward::primitive_desc(
      dnnl::batch_normalization_backward::desc(dnnl::prop_kind::backward, md, md, options_.eps,
                                               affine | relu | stats),
      p.attr(), p.engine(), train_pd);
  p.note(fmt::format("fwd {} bwd {}", train_pd.impl_info_str(), bwd_pd.impl_info_str()));

  const memory& dst = p.output(train_pd.dst_desc());
  const memory& diff_dst = p.diff_output();
  const memory::desc channel_md({c}, memory::data_type::f32, memory::format_tag::x);
  weight_ = &p.parameter("weight", {c}, channel_md, channel_md, engine::Init::constant(1.f),
                         engine::Parameter::Role::norm);
  engine::Parameter& bias = p.parameter("bias", {c}, channel_md, channel_md, engine::Init::constant(0.f),
                                        engine::Parameter::Role::norm);
  running_mean_ = &p.buffer("running_mean", {c}, engine::Buffer::Type::f32);
  running_var_ = &p.buffer("running_var", {c}, engine::Buffer::Type::f32);
  running_var_->initial = 1.f;
  running_var_->f32.assign(c, 1.f);
  batches_tracked_ = &p.buffer("num_batches_tracked", {}, engine::Buffer::Type::i64);

  const memory running_mean(channel_md, p.engine(), running_mean_->f32.data());
  const memory running_var(channel_md, p.engine(), running_var_->f32.data());
  batch_mean_ = options_.frozen ? running_mean : p.saved(train_pd.mean_desc());
  batch_var_ = options_.frozen ? running_var : p.saved(train_pd.variance_desc());
  std::unordered_map<int, memory> train_args{
      {DNNL_ARG_SRC, p.input(0)},   {DNNL_ARG_DST, dst},           {DNNL_ARG_SCALE, weight_->weight},
      {DNNL_ARG_SHIFT, bias.weight}, {DNNL_ARG_MEAN, batch_mean_}, {DNNL_ARG_VARIANCE, batch_var_}};
  std::unordered_map<int, memory> bwd_args{
      {DNNL_ARG_SRC, p.input(0)},        {DNNL_ARG_DIFF_DST, diff_dst},  {DNNL_ARG_MEAN, batch_mean_},
      {DNNL_ARG_VARIANCE, batch_var_},   {DNNL_ARG_SCALE, weight_->weight}, {DNNL_ARG_SHIFT, bias.weight},
      {DNNL_ARG_DIFF_SCALE, weight_->grad}, {DNNL_ARG_DIFF_SHIFT, bias.grad}};
  if (options_.relu) {
    const memory workspace = p.saved(train_pd.workspace_desc());
    train_args[DNNL_ARG_WORKSPACE] = workspace;
    bwd_args[DNNL_ARG_WORKSPACE] = workspace;
  }
  // A BN whose input needs no gradient still must give backward somewhere to write diff_src.
  bwd_args[DNNL_ARG_DIFF_SRC] = p.needs_diff_input(0) ? p.diff_input(0) : p.backward_temporary(md);
  train_ = p.op(train_pd, train_args);
  backward_ = p.op(bwd_pd, bwd_args);

  eval_ = p.op(eval_pd, {{DNNL_ARG_SRC, p.input(0)},
                         {DNNL_ARG_DST, dst},
                         {DNNL_ARG_SCALE, weight_->weight},
                         {DNNL_ARG_SHIFT, bias.weight},
                         {DNNL_ARG_MEAN, running_mean},
                         {DNNL_ARG_VARIANCE, running_var}});
}

void BatchNorm::forward(engine::Step& step) {
  if (step.mode == engine::Mode::eval) {
    eval_.run(step);
    return;
  }
  train_.run(step);
  if (!options_.frozen) update_running_statistics();
}

void BatchNorm::update_running_statistics() {
  const float* mean = static_cast<const float*>(batch_mean_.get_data_handle());
  const float* var = static_cast<const float*>(batch_var_.get_data_handle());
  const float m = options_.momentum;
  float* run_mean = running_mean_->f32.data();
  float* run_var = running_var_->f32.data();
  for (int c = 0; c < options_.channels; ++c) {
    run_mean[c] = (1 - m) * run_mean[c] + m * mean[c];
    run_var[c] = (1 - m) * run_var[c] + m * var[c] * unbias_;  // PyTorch stores the unbiased variance
  }
  ++batches_tracked_->i64;
}

void BatchNorm::backward(engine::Step& step) { backward_.run(step); }

}  // namespace dnntrain::layers
