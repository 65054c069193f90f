// dnntrain::Predictor: eval-mode forwards on folded inference plans made per batch size
// (layers/resnet_inference.hpp), which give the logits and their log-probabilities.
#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <dnntrain/predictor.hpp>

#include "api/input_check.hpp"
#include "api/predictor_state.hpp"
#include "api/spec_config.hpp"
#include "engine/checkpoint/checkpoint.hpp"
#include "engine/error.hpp"
#include "layers/resnet.hpp"

namespace dnntrain {

Predictor::State::State(const ModelSpec& s, const PredictorOptions& o)
    : spec(s),
      options(o),
      shape{s.in_channels, s.image_size},
      context(o.threads),
      plans(api::resnet_config(s, 1), o.max_plans) {
  DNNTRAIN_CHECK(o.eval_batch >= 1,
                 fmt::format("PredictorOptions::eval_batch must be at least 1, got {}", o.eval_batch));
}

Predictor::Predictor(const ModelSpec& spec, const std::string& weights_path, const PredictorOptions& options)
    : state_(std::make_unique<State>(spec, options)) {
  {  // the file is checked and read through the model's own parameters, then kept apart from them
    layers::ResNetConfig config = api::resnet_config(spec, 1);
    layers::Model model(state_->context, config, engine::GraphOptions{.inference = true});
    engine::load_weights(weights_path, model.graph().parameters(), model.graph().buffers());
    state_->weights = api::copy_weights(model.graph());
  }
  state_->plans.get(state_->context, 1, state_->weights);
}

Predictor::Predictor(std::unique_ptr<State> state) : state_(std::move(state)) {}

Predictor::State& Predictor::checked(const char* call) const {
  DNNTRAIN_CHECK(state_, fmt::format("{} on a moved-from Predictor; use the one it was moved to", call));
  return *state_;
}
Predictor::~Predictor() = default;
Predictor::Predictor(Predictor&&) noexcept = default;
Predictor& Predictor::operator=(Predictor&&) noexcept = default;

int Predictions::top1(int sample) const {
  DNNTRAIN_CHECK(sample >= 0 && sample < samples,
                 fmt::format("Predictions::top1: sample {} outside [0, {})", sample, samples));
  const auto row = logits.begin() + static_cast<ptrdiff_t>(sample) * classes;
  return static_cast<int>(std::max_element(row, row + classes) - row);
}

Predictions Predictor::predict(std::span<const float> images) {
  State& s = checked("predict()");
  const int n = api::count_images(images, s.shape.image_elements(), "predict");
  if (s.options.check_finite_input)
    api::check_finite_input(images, s.shape.channels, s.shape.image_size, "predict");
  engine::InferencePlan& plan = s.plans.get(s.context, n, s.weights);
  plan.forward(images.data());
  Predictions p;
  p.samples = n;
  p.classes = s.spec.classes;
  const size_t values = static_cast<size_t>(n) * p.classes;
  p.logits.assign(plan.logits(), plan.logits() + values);
  p.log_probs.assign(plan.log_probs(), plan.log_probs() + values);
  return p;
}

Evaluation Predictor::evaluate(std::span<const float> images, std::span<const int32_t> labels) {
  const State& s = checked("evaluate()");
  return evaluate(api::span_reader(images, labels, s.shape.image_elements(), s.options.eval_batch));
}

Evaluation Predictor::evaluate(const BatchReader& read) {
  State& s = checked("evaluate()");
  LabelledBatch first;
  DNNTRAIN_CHECK(read(first), "evaluate: the batch reader gave no batch");
  const int n = api::count_images(first.images, s.shape.image_elements(), "evaluate");
  return api::evaluate(s.plans.get(s.context, n, s.weights), read, first, s.shape,
                       s.options.check_finite_input);
}

const ModelSpec& Predictor::spec() const { return checked("spec()").spec; }

std::vector<int> Predictor::planned_batch_sizes() const {
  return checked("planned_batch_sizes()").plans.batch_sizes();
}

}  // namespace dnntrain
