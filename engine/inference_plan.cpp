// InferencePlan: primitive descriptors made as operations are added, each output placed in one
// liveness-planned arena by finish(), weights reordered once into the layouts oneDNN chose.
#include "engine/inference_plan.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>

#include "engine/desc_format.hpp"
#include "engine/error.hpp"
#include "engine/memory_plan.hpp"

namespace dnntrain::engine {

using dnnl::memory;
using tag = memory::format_tag;
using dt = memory::data_type;

namespace {

memory::desc any(const memory::dims& d, dt type) { return memory::desc(d, type, tag::any); }

std::unique_ptr<void, void (*)(void*)> aligned_bytes(size_t bytes) {
  const size_t rounded = std::max<size_t>(64, (bytes + 63) / 64 * 64);
  void* p = std::aligned_alloc(64, rounded);
  DNNTRAIN_CHECK(p, fmt::format("inference plan: cannot allocate {} bytes", rounded));
  std::memset(p, 0, rounded);  // blocked layouts' padding starts at zero
  return {p, std::free};
}

// md with its batch (the outermost dimension) set to `batch`, in the same layout: one of the layouts
// in which each image is contiguous. Returns an empty desc for any other layout.
memory::desc with_batch(const memory::desc& md, memory::dim batch) {
  memory::dims dims = md.get_dims();
  const memory::dims old = dims;
  dims[0] = batch;
  for (const tag t : {tag::acdb, tag::abcd, tag::aBcd16b, tag::aBcd32b, tag::aBcd8b, tag::aBcd4b})
    if (memory::desc(old, md.get_data_type(), t) == md) return memory::desc(dims, md.get_data_type(), t);
  return {};
}

}  // namespace

InferencePlan::InferencePlan(Context& context, memory::dims input_nchw, Precision precision,
                             ResidualFusion residual, int micro_batch)
    : context_(context), precision_(precision), residual_(residual) {
  DNNTRAIN_CHECK(input_nchw.size() == 4 && input_nchw[0] > 0,
                 "inference plan: the input must be (N, C, H, W) with N >= 1");
  batch_ = static_cast<int>(input_nchw[0]);
  micro_batch_ = micro_batch == 0 ? batch_ : micro_batch;
  DNNTRAIN_CHECK(micro_batch_ > 0 && batch_ % micro_batch_ == 0,
                 fmt::format("inference plan: a micro-batch of {} does not divide the batch of {}", micro_batch,
                             batch_));
  input_nchw[0] = micro_batch_;
  tensors_.push_back(
      {memory(memory::desc(input_nchw, dt::f32, tag::nchw), context_.engine(), DNNL_MEMORY_NONE)});
}

const InferencePlan::Tensor& InferencePlan::read(TensorId x, int at) {
  DNNTRAIN_CHECK(x.valid() && x.index < static_cast<int>(tensors_.size()) && !finished_,
                 "internal: inference plan: an operation reads an unknown tensor, or follows finish()");
  DNNTRAIN_CHECK(!joined_ || x.index >= head_tensors_,
                 "internal: inference plan: a tensor of the micro-batches is read after join()");
  const Tensor& t = tensors_[x.index];
  DNNTRAIN_CHECK(!t.overwritten,
                 "internal: inference plan: a tensor is read after a residual sum overwrote it");
  if (t.region >= 0) regions_[t.region].last = std::max(regions_[t.region].last, at);
  return t;
}

TensorId InferencePlan::fresh(const memory::desc& md, int at) {
  regions_.push_back({md.get_size(), at, at});
  tensors_.push_back(
      {memory(md, context_.engine(), DNNL_MEMORY_NONE), static_cast<int>(regions_.size()) - 1});
  return TensorId{static_cast<int>(tensors_.size()) - 1};
}

dnnl::primitive_attr InferencePlan::attr() const {
  dnnl::primitive_attr a;
  a.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  return a;
}

void InferencePlan::add_op(const std::string& name, const dnnl::primitive_desc_base& pd,
                           std::unordered_map<int, memory> args, const memory& output) {
  const memory::desc scratch_md = pd.scratchpad_desc();
  if (scratch_md.get_size() > 0) {
    scratch_views_.push_back(memory(scratch_md, context_.engine(), DNNL_MEMORY_NONE));
    args[DNNL_ARG_SCRATCHPAD] = scratch_views_.back();
    scratch_bytes_ = std::max(scratch_bytes_, scratch_md.get_size());
  }
  ops_.emplace_back(dnnl::primitive(pd.get()), args);
  notes_.push_back(
      fmt::format("{:<28} {:<40} {}", name, engine::describe(output.get_desc()), pd.impl_info_str()));
}

memory InferencePlan::weights_in(const memory::desc& md, std::span<const float> plain,
                                 const memory::dims& plain_dims, tag plain_tag) {
  const memory::desc plain_md(plain_dims, dt::f32, plain_tag);
  DNNTRAIN_CHECK(plain.size() * sizeof(float) == plain_md.get_size(),
                 fmt::format("inference plan: {} weight values for a tensor of {}", plain.size(),
                             engine::describe(plain_md)));
  memory from(plain_md, context_.engine(), const_cast<float*>(plain.data()));
  memory to(md, context_.engine());
  dnnl::reorder(from, to).execute(context_.stream(), from, to);
  context_.stream().wait();
  weights_.push_back(to);
  weight_bytes_ += md.get_size();
  return to;
}

TensorId InferencePlan::conv(const std::string& name, TensorId x, std::span<const float> weights,
                             std::span<const float> bias, const InferenceConv& o) {
  DNNTRAIN_CHECK(x.valid() && x.index < static_cast<int>(tensors_.size()),
                 "internal: conv of an unknown tensor");
  const memory::desc src_md = tensors_[x.index].value.get_desc();
  const memory::dims in = src_md.get_dims();
  DNNTRAIN_CHECK(
      in.size() == 4 && o.out_channels > 0 && o.kernel > 0 && o.stride > 0 &&
          in[2] + 2 * o.padding >= o.kernel && in[3] + 2 * o.padding >= o.kernel,
      fmt::format("inference plan: conv {} does not fit its input {}", name, engine::describe(src_md)));
  const memory::dims dst_dims{in[0], o.out_channels, (in[2] + 2 * o.padding - o.kernel) / o.stride + 1,
                              (in[3] + 2 * o.padding - o.kernel) / o.stride + 1};
  const dt type = activation_type(precision_);
  const bool convert = src_md.get_data_type() != type;  // the f32 images of a bf16 plan
  memory::desc dst_md = any(dst_dims, type);
  dnnl::post_ops post;
  if (o.residual.valid()) {
    DNNTRAIN_CHECK(
        o.residual.index < static_cast<int>(tensors_.size()) &&
            tensors_[o.residual.index].value.get_desc().get_dims() == dst_dims &&
            tensors_[o.residual.index].region >= 0,
        fmt::format("inference plan: conv {}'s residual is not a planned tensor of its output's shape",
                    name));
    const memory::desc shortcut = tensors_[o.residual.index].value.get_desc();
    if (residual_ == ResidualFusion::sum) {
      dst_md = shortcut;  // written over the shortcut's buffer
      post.append_sum(1.f);
    } else {
      post.append_binary(dnnl::algorithm::binary_add, shortcut);
    }
  }
  if (o.relu) post.append_eltwise(dnnl::algorithm::eltwise_relu, 0.f, 0.f);
  dnnl::primitive_attr a = attr();
  a.set_post_ops(post);
  const memory::dims strides{o.stride, o.stride}, pad{o.padding, o.padding};
  const dnnl::convolution_forward::primitive_desc pd(
      context_.engine(), dnnl::prop_kind::forward_inference, dnnl::algorithm::convolution_direct,
      convert ? any(in, type) : src_md, any({o.out_channels, in[1], o.kernel, o.kernel}, type),
      memory::desc({o.out_channels}, dt::f32, tag::a), dst_md, strides, pad, pad, a);

  TensorId src = x;
  if (convert) {
    const int at = static_cast<int>(ops_.size());
    const memory from = read(x, at).value;
    src = fresh(pd.src_desc(), at);
    const memory to = tensors_[src.index].value;
    add_op(name + ".input", dnnl::reorder::primitive_desc(from, to, attr()),
           {{DNNL_ARG_FROM, from}, {DNNL_ARG_TO, to}}, to);
  }
  const int at = static_cast<int>(ops_.size());
  std::unordered_map<int, memory> args{
      {DNNL_ARG_SRC, read(src, at).value},
      {DNNL_ARG_WEIGHTS,
       weights_in(pd.weights_desc(), weights, {o.out_channels, in[1], o.kernel, o.kernel}, tag::oihw)},
      {DNNL_ARG_BIAS, weights_in(pd.bias_desc(), bias, {o.out_channels}, tag::a)}};
  TensorId out;
  if (o.residual.valid() && residual_ == ResidualFusion::sum) {
    const Tensor shortcut = read(o.residual, at);
    tensors_[o.residual.index].overwritten = true;
    tensors_.push_back({shortcut.value, shortcut.region});
    out = TensorId{static_cast<int>(tensors_.size()) - 1};
  } else {
    if (o.residual.valid())
      args[DNNL_ARG_ATTR_MULTIPLE_POST_OP(0) | DNNL_ARG_SRC_1] = read(o.residual, at).value;
    out = fresh(pd.dst_desc(), at);
  }
  args[DNNL_ARG_DST] = tensors_[out.index].value;
  add_op(name, pd, std::move(args), tensors_[out.index].value);
  return out;
}

TensorId InferencePlan::max_pool(const std::string& name, TensorId x, int kernel, int stride, int padding) {
  const int at = static_cast<int>(ops_.size());
  const memory src = read(x, at).value;
  const memory::dims in = src.get_desc().get_dims();
  const memory::dims dst_dims{in[0], in[1], (in[2] + 2 * padding - kernel) / stride + 1,
                              (in[3] + 2 * padding - kernel) / stride + 1};
  const dnnl::pooling_forward::primitive_desc pd(
      context_.engine(), dnnl::prop_kind::forward_inference, dnnl::algorithm::pooling_max, src.get_desc(),
      any(dst_dims, src.get_desc().get_data_type()), {stride, stride}, {kernel, kernel}, {0, 0},
      {padding, padding}, {padding, padding}, attr());
  const TensorId out = fresh(pd.dst_desc(), at);
  add_op(name, pd, {{DNNL_ARG_SRC, src}, {DNNL_ARG_DST, tensors_[out.index].value}},
         tensors_[out.index].value);
  return out;
}

TensorId InferencePlan::join(TensorId x) {
  DNNTRAIN_CHECK(!joined_ && !finished_ && x.valid() && x.index < static_cast<int>(tensors_.size()),
                 "internal: inference plan: join() once, before finish(), of a known tensor");
  if (micro_batch_ == batch_) {
    joined_ = true;  // nothing to join; every tensor stays readable
    head_ops_ = 0;
    return x;
  }
  const int at = static_cast<int>(ops_.size());
  const memory part = read(x, at).value;
  const memory::desc slice_md = part.get_desc();
  memory::desc whole_md = with_batch(slice_md, batch_);
  memory slice = part;
  if (whole_md.is_zero()) {  // a layout that interleaves images: copy each micro-batch out in nhwc
    memory::dims dims = slice_md.get_dims();
    slice = memory(memory::desc(dims, slice_md.get_data_type(), tag::acdb), context_.engine(), DNNL_MEMORY_NONE);
    add_op("join", dnnl::reorder::primitive_desc(part, slice, attr()), {{DNNL_ARG_FROM, part}, {DNNL_ARG_TO, slice}},
           slice);
    dims[0] = batch_;
    whole_md = memory::desc(dims, slice_md.get_data_type(), tag::acdb);
  } else {  // the micro-batches write straight into their slice of the whole tensor
    const int region = tensors_[x.index].region;
    DNNTRAIN_CHECK(region >= 0, "internal: inference plan: join() of the images");
    for (Tensor& t : tensors_)
      if (t.region == region) t.region = kJoinedSlice;
    regions_[region].bytes = 0;
  }
  slices_.push_back(slice);
  slice_bytes_ = slice.get_desc().get_size();
  head_ops_ = static_cast<int>(ops_.size());
  head_tensors_ = static_cast<int>(tensors_.size());
  joined_ = true;
  regions_.push_back({whole_md.get_size(), 0, head_ops_});  // written by every micro-batch
  tensors_.push_back({memory(whole_md, context_.engine(), DNNL_MEMORY_NONE), static_cast<int>(regions_.size()) - 1});
  joined_whole_ = TensorId{static_cast<int>(tensors_.size()) - 1};
  notes_.push_back(fmt::format("the {} operations above run per micro-batch of {} images", head_ops_,
                               micro_batch_));
  return joined_whole_;
}

void InferencePlan::classifier(const std::string& name, TensorId x, std::span<const float> weights,
                               std::span<const float> bias) {
  DNNTRAIN_CHECK(!logits_.valid(), "internal: inference plan: a second classifier");
  int at = static_cast<int>(ops_.size());
  const memory src = read(x, at).value;
  const memory::dims in = src.get_desc().get_dims();
  DNNTRAIN_CHECK(!bias.empty() && weights.size() == bias.size() * static_cast<size_t>(in[1]),
                 fmt::format("inference plan: classifier {} has {} weights and {} biases for {} features",
                             name, weights.size(), bias.size(), in[1]));
  classes_ = static_cast<int>(bias.size());
  const memory::dims pooled{in[0], in[1], 1, 1};
  // The pool writes f32 features for the f32 classifier; where oneDNN has no bf16-to-f32 pooling,
  // it pools in bf16 and a reorder converts, as the training graph does.
  auto pool_pd = [&](dt type) {
    return dnnl::pooling_forward::primitive_desc(
        context_.engine(), dnnl::prop_kind::forward_inference, dnnl::algorithm::pooling_avg_exclude_padding,
        src.get_desc(), any(pooled, type), {1, 1}, {in[2], in[3]}, {0, 0}, {0, 0}, {0, 0}, attr());
  };
  dnnl::pooling_forward::primitive_desc pool;
  try {
    pool = pool_pd(dt::f32);
  } catch (const dnnl::error&) {
    pool = pool_pd(src.get_desc().get_data_type());
  }
  TensorId features = fresh(pool.dst_desc(), at);
  add_op(name + ".pool", pool, {{DNNL_ARG_SRC, src}, {DNNL_ARG_DST, tensors_[features.index].value}},
         tensors_[features.index].value);
  if (pool.dst_desc().get_data_type() != dt::f32) {
    at = static_cast<int>(ops_.size());
    const memory from = read(features, at).value;
    features = fresh(memory::desc(pooled, dt::f32, tag::nchw), at);
    const memory to = tensors_[features.index].value;
    add_op(name + ".features_f32", dnnl::reorder::primitive_desc(from, to, attr()),
           {{DNNL_ARG_FROM, from}, {DNNL_ARG_TO, to}}, to);
  }
  at = static_cast<int>(ops_.size());
  const memory feature_mem = read(features, at).value;
  const memory::dims weight_dims{classes_, in[1], 1, 1};
  const dnnl::inner_product_forward::primitive_desc pd(
      context_.engine(), dnnl::prop_kind::forward_inference, feature_mem.get_desc(),
      any(weight_dims, dt::f32), memory::desc({classes_}, dt::f32, tag::a),
      memory::desc({in[0], classes_}, dt::f32, tag::nc), attr());
  logits_ = fresh(pd.dst_desc(), at);
  const memory logits = tensors_[logits_.index].value;
  add_op(name, pd,
         {{DNNL_ARG_SRC, feature_mem},
          {DNNL_ARG_WEIGHTS, weights_in(pd.weights_desc(), weights, weight_dims, tag::oihw)},
          {DNNL_ARG_BIAS, weights_in(pd.bias_desc(), bias, {classes_}, tag::a)},
          {DNNL_ARG_DST, logits}},
         logits);
}

void InferencePlan::finish() {
  DNNTRAIN_CHECK(logits_.valid() && !finished_ && (joined_ || micro_batch_ == batch_),
                 "internal: inference plan: finish() needs one classifier, once, and join() of micro-batches");
  std::vector<LiveBuffer> live;
  size_t unshared = 0;
  for (const Region& r : regions_) {
    live.push_back({r.bytes, r.first, r.last});
    unshared += r.bytes;
  }
  const ArenaLayout layout = lay_out(live);
  arena_ = aligned_bytes(layout.total);
  activations_ = layout.total;
  for (Tensor& t : tensors_)
    if (t.region >= 0) t.value.set_data_handle(static_cast<char*>(arena_.get()) + layout.offsets[t.region]);
  scratch_ = aligned_bytes(scratch_bytes_);
  for (memory& view : scratch_views_) view.set_data_handle(scratch_.get());
  log_probs_.assign(static_cast<size_t>(batch_) * classes_, 0.f);
  notes_.push_back(
      fmt::format("activations {} bytes placed by liveness ({} without reuse)", layout.total, unshared));
  finished_ = true;
}

void InferencePlan::forward(const float* images) {
  DNNTRAIN_CHECK(finished_, "internal: inference plan: forward() before finish()");
  const size_t image_floats = tensors_[0].value.get_desc().get_size() / sizeof(float) / micro_batch_;
  char* whole = joined_whole_.valid() ? static_cast<char*>(tensors_[joined_whole_.index].value.get_data_handle())
                                      : nullptr;
  for (int m = 0; m * micro_batch_ < batch_ && head_ops_ > 0; ++m) {
    tensors_[0].value.set_data_handle(const_cast<float*>(images) + image_floats * m * micro_batch_);
    for (memory& slice : slices_) slice.set_data_handle(whole + slice_bytes_ * m);
    for (int i = 0; i < head_ops_; ++i) ops_[static_cast<size_t>(i)].run(context_.stream());
  }
  tensors_[0].value.set_data_handle(const_cast<float*>(images));
  for (size_t i = static_cast<size_t>(head_ops_); i < ops_.size(); ++i) ops_[i].run(context_.stream());
  context_.stream().wait();
  // log-softmax per row in double, rounded once (as the loss layer computes it)
  const float* l = logits();
  for (int n = 0; n < batch_; ++n) {
    const float* row = l + static_cast<size_t>(n) * classes_;
    double top = row[0];
    for (int k = 1; k < classes_; ++k) top = std::max(top, static_cast<double>(row[k]));
    double sum_exp = 0;
    for (int k = 0; k < classes_; ++k) sum_exp += std::exp(row[k] - top);
    const double log_sum = top + std::log(sum_exp);
    for (int k = 0; k < classes_; ++k)
      log_probs_[static_cast<size_t>(n) * classes_ + k] = static_cast<float>(row[k] - log_sum);
  }
}

const float* InferencePlan::logits() const {
  return static_cast<const float*>(tensors_[logits_.index].value.get_data_handle());
}

const float* InferencePlan::log_probs() const { return log_probs_.data(); }

InferenceMemory InferencePlan::memory_report() const {
  size_t unshared = 0;
  for (const Region& r : regions_) unshared += r.bytes;
  return {activations_, unshared, weight_bytes_, scratch_bytes_, log_probs_.size() * sizeof(float)};
}

std::string InferencePlan::describe() const {
  std::string out;
  for (const std::string& line : notes_) out += line + "\n";
  return out;
}

}  // namespace dnntrain::engine
