// ModelEma: torchvision's AveragedModel(use_buffers=True) update in float32 with the products and the
// sum rounded separately (this file is built without FMA contraction, ISO C++), as torch's
// decay * avg + (1 - decay) * value computes them.
#include "engine/model_ema.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>

#include "engine/error.hpp"

namespace dnntrain::engine {
namespace {

size_t floats(const dnnl::memory& m) { return m.get_desc().get_size() / sizeof(float); }

void copy_memory(const dnnl::memory& from, const dnnl::memory& to) {
  std::memcpy(to.get_data_handle(), from.get_data_handle(), from.get_desc().get_size());
}

}  // namespace

double adjusted_ema_decay(double decay, int64_t world_size, int64_t batch, int64_t steps, int64_t epochs) {
  DNNTRAIN_CHECK(epochs > 0, "model EMA: epochs must be > 0");
  const double adjust = static_cast<double>(world_size) * static_cast<double>(batch) *
                        static_cast<double>(steps) / static_cast<double>(epochs);
  const double alpha = std::min(1.0, (1.0 - decay) * adjust);
  return 1.0 - alpha;
}

ModelEma::ModelEma(const std::vector<Parameter*>& parameters, const std::vector<Buffer*>& buffers,
                   double decay)
    : model_parameters_(parameters), model_buffers_(buffers), decay_(decay) {
  DNNTRAIN_CHECK(decay >= 0 && decay <= 1, fmt::format("model EMA: decay {} is outside [0, 1]", decay));
  for (const Parameter* p : parameters) weights_.emplace_back(p->weight.get_desc(), p->weight.get_engine());
  for (const Buffer* b : buffers) buffer_values_.emplace_back(b->value.get_desc(), b->value.get_engine());
  n_averaged_.name = "n_averaged";
  n_averaged_.type = Buffer::Type::i64;
  const dnnl::engine engine =
      !parameters.empty() ? parameters[0]->weight.get_engine() : dnnl::engine(dnnl::engine::kind::cpu, 0);
  n_averaged_.value = dnnl::memory(Buffer::desc(Buffer::Type::i64, {}), engine);
  copy_from_model();
  reset();
}

void ModelEma::copy_from_model() {
  for (size_t i = 0; i < weights_.size(); ++i) copy_memory(model_parameters_[i]->weight, weights_[i]);
  for (size_t i = 0; i < buffer_values_.size(); ++i) copy_memory(model_buffers_[i]->value, buffer_values_[i]);
}

void ModelEma::update() {
  if (n_averaged() == 0) {
    copy_from_model();
  } else {
    const float keep = static_cast<float>(decay_), take = static_cast<float>(1.0 - decay_);
    const auto average = [&](float* avg, const float* value, size_t n) {
#pragma omp parallel for simd schedule(static)
      for (size_t k = 0; k < n; ++k) {
        const float a = keep * avg[k], b = take * value[k];
        avg[k] = a + b;
      }
    };
    for (size_t i = 0; i < weights_.size(); ++i)
      average(static_cast<float*>(weights_[i].get_data_handle()), model_parameters_[i]->weight_data(),
              floats(weights_[i]));
    for (size_t i = 0; i < buffer_values_.size(); ++i) {
      const Buffer& b = *model_buffers_[i];
      if (b.type == Buffer::Type::f32) {
        average(static_cast<float*>(buffer_values_[i].get_data_handle()), b.f32().data(), b.elements());
      } else {
        int64_t* avg = static_cast<int64_t*>(buffer_values_[i].get_data_handle());
        const float a = keep * static_cast<float>(*avg), v = take * static_cast<float>(b.i64());
        *avg = static_cast<int64_t>(a + v);
      }
    }
  }
  ++n_averaged_.i64();
}

void ModelEma::swap_with_model() {
  for (size_t i = 0; i < weights_.size(); ++i) {
    float* a = static_cast<float*>(weights_[i].get_data_handle());
    std::swap_ranges(a, a + floats(weights_[i]), model_parameters_[i]->weight_data());
    if (!model_parameters_[i]->working.empty()) model_parameters_[i]->write_working_copies();
  }
  for (size_t i = 0; i < buffer_values_.size(); ++i) {
    uint8_t* a = static_cast<uint8_t*>(buffer_values_[i].get_data_handle());
    const auto bytes = model_buffers_[i]->bytes();
    std::swap_ranges(a, a + bytes.size(), bytes.data());
  }
}

std::vector<Parameter*> ModelEma::parameters(const std::string& prefix) {
  parameter_views_.clear();
  parameter_views_.reserve(weights_.size());
  for (size_t i = 0; i < weights_.size(); ++i) {
    Parameter view = *model_parameters_[i];
    view.name = prefix + view.name;
    view.weight = weights_[i];
    view.working.clear();
    parameter_views_.push_back(std::move(view));
  }
  parameter_ptrs_.clear();
  for (Parameter& p : parameter_views_) parameter_ptrs_.push_back(&p);
  return parameter_ptrs_;
}

std::vector<Buffer*> ModelEma::buffers(const std::string& prefix, const std::string& count_name) {
  buffer_views_.clear();
  buffer_views_.reserve(buffer_values_.size() + 1);
  for (size_t i = 0; i < buffer_values_.size(); ++i) {
    Buffer view = *model_buffers_[i];
    view.name = prefix + view.name;
    view.value = buffer_values_[i];
    buffer_views_.push_back(std::move(view));
  }
  if (!count_name.empty()) {
    Buffer count = n_averaged_;
    count.name = count_name;
    buffer_views_.push_back(count);
  }
  buffer_ptrs_.clear();
  for (Buffer& b : buffer_views_) buffer_ptrs_.push_back(&b);
  return buffer_ptrs_;
}

}  // namespace dnntrain::engine
