// dnntrain::Trainer: one ResNet planned for training at a fixed batch, its optimizer, and a record
// of the last call, so that a call out of order is an error naming it instead of silent garbage.
#include <fmt/format.h>

#include <cmath>
#include <dnntrain/trainer.hpp>

#include "api/input_check.hpp"
#include "api/predictor_state.hpp"
#include "api/reader_source.hpp"
#include "api/spec_config.hpp"
#include "engine/checkpoint/checkpoint.hpp"
#include "engine/error.hpp"
#include "engine/optim/optimizer.hpp"

namespace dnntrain {

namespace {

// What the last call left; each call checks it is allowed to follow.
enum class Phase { uninitialized, ready, trained_forward, eval_forward, gradients };

engine::OptimizerOptions optimizer_options(const TrainerOptions& o) {
  engine::OptimizerOptions opt;
  opt.kind = engine::optimizer_kind_from_name(o.optimizer);
  opt.momentum = o.momentum;
  opt.weight_decay = o.weight_decay;
  return opt;
}

}  // namespace

struct Trainer::State {
  State(const ModelSpec& s, const TrainerOptions& o)
      : spec(s),
        options(o),
        shape{s.in_channels, s.image_size},
        context(o.threads),
        model(context, api::resnet_config(s, o.batch, o.label_smoothing)),
        optimizer(model.graph().parameters(), optimizer_options(o)),
        lr(o.lr) {}
  ModelSpec spec;
  TrainerOptions options;
  api::InputShape shape;
  engine::Context context;
  layers::Model model;
  engine::Optimizer optimizer;
  double lr;
  Phase phase = Phase::uninitialized;

  engine::Graph& graph() { return model.graph(); }
  // throws unless initialize, load_weights or resume came first.
  void require_weights(const char* call) const {
    DNNTRAIN_CHECK(phase != Phase::uninitialized,
                   fmt::format("{} before initialize(): the weights are unset; call initialize(seed), "
                               "load_weights(path) or resume(path) first",
                               call));
  }
};

Trainer::Trainer(const ModelSpec& spec, const TrainerOptions& options)
    : state_(std::make_unique<State>(spec, options)) {
  set_lr(options.lr);  // the same check
}
Trainer::~Trainer() = default;
Trainer::Trainer(Trainer&&) noexcept = default;
Trainer& Trainer::operator=(Trainer&&) noexcept = default;

Trainer::State& Trainer::checked(const char* call) const {
  DNNTRAIN_CHECK(state_, fmt::format("{} on a moved-from Trainer; use the one it was moved to", call));
  return *state_;
}

void Trainer::initialize(uint64_t seed) {
  State& s = checked("initialize()");
  s.graph().initialize(seed);
  s.phase = Phase::ready;
}

void Trainer::load_weights(const std::string& path, const std::vector<std::string>& skip_prefixes) {
  State& s = checked("load_weights()");
  DNNTRAIN_CHECK(skip_prefixes.empty() || s.phase != Phase::uninitialized,
                 "load_weights() with skipped prefixes before initialize(): the skipped tensors would keep "
                 "no values; call initialize(seed) first");
  engine::load_weights(path, s.graph().parameters(), s.graph().buffers(), {.skip_prefixes = skip_prefixes});
  s.phase = Phase::ready;
}

void Trainer::resume(const std::string& path) {
  State& s = checked("resume()");
  engine::resume_checkpoint(path, s.graph().parameters(), s.graph().buffers(), s.optimizer);
  s.phase = Phase::ready;
}

double Trainer::forward(std::span<const float> images, std::span<const int32_t> labels) {
  State& s = checked("forward()");
  s.require_weights("forward()");
  s.phase = Phase::ready;  // a forward that throws leaves no gradients to use
  const int n = api::count_images(images, s.shape.image_elements(), "forward");
  DNNTRAIN_CHECK(n == s.options.batch,
                 fmt::format("forward: {} images for a trainer planned for batches of {} "
                             "(TrainerOptions::batch); pass exactly that many",
                             n, s.options.batch));
  api::check_label_count(labels, n, "forward");
  if (s.options.check_finite_input)
    api::check_finite_input(images, s.shape.channels, s.shape.image_size, "forward");
  s.graph().forward(engine::Mode::train, images.data(), labels.data());
  const double loss = s.model.loss().loss();
  DNNTRAIN_CHECK(
      std::isfinite(loss),
      fmt::format("forward: the loss is {} after {} steps (finite images); lower the learning rate "
                  "({}) or check the labels; the weights are unchanged since the last step",
                  loss, s.optimizer.steps(), s.lr));
  s.phase = Phase::trained_forward;
  return loss;
}

void Trainer::backward() {
  State& s = checked("backward()");
  s.require_weights("backward()");
  DNNTRAIN_CHECK(s.phase != Phase::eval_forward,
                 "backward() after an eval-mode forward (evaluate()): it computed no gradients; call "
                 "forward(images, labels) first");
  DNNTRAIN_CHECK(s.phase != Phase::gradients,
                 "backward() twice for one forward(); call step() or forward() next");
  DNNTRAIN_CHECK(s.phase == Phase::trained_forward,
                 "backward() without a forward(): there is no loss to differentiate; call forward(images, "
                 "labels) first");
  s.graph().backward();
  s.phase = Phase::gradients;
}

void Trainer::step() {
  State& s = checked("step()");
  s.require_weights("step()");
  DNNTRAIN_CHECK(s.phase == Phase::gradients,
                 "step() without backward(): there are no gradients of the last forward to apply; call "
                 "forward(images, labels) and backward() first");
  s.optimizer.step(s.lr);
  s.phase = Phase::ready;
}

double Trainer::train_step(std::span<const float> images, std::span<const int32_t> labels) {
  const double loss = forward(images, labels);
  backward();
  step();
  return loss;
}

Evaluation Trainer::evaluate(std::span<const float> images, std::span<const int32_t> labels) {
  State& s = checked("evaluate()");
  s.require_weights("evaluate()");
  const BatchReader read = api::span_reader(images, labels, s.shape.image_elements(), s.options.batch);
  LabelledBatch first;
  read(first);
  s.phase = Phase::eval_forward;
  return api::evaluate(s.model, read, first, s.shape, s.options.check_finite_input);
}

void Trainer::save_weights(const std::string& path) const {
  State& s = checked("save_weights()");
  s.require_weights("save_weights()");
  engine::save_weights(path, s.graph().parameters(), s.graph().buffers());
}

void Trainer::save_checkpoint(const std::string& path) const {
  State& s = checked("save_checkpoint()");
  s.require_weights("save_checkpoint()");
  engine::TrainingState position;
  position.step = s.optimizer.steps();
  position.lr = s.lr;
  engine::save_checkpoint(path, s.graph().parameters(), s.graph().buffers(), &s.optimizer, position);
}

Predictor Trainer::predictor(const PredictorOptions& options) const {
  State& s = checked("predictor()");
  s.require_weights("predictor()");
  auto p = std::make_unique<Predictor::State>(s.spec, options);
  p->weights = api::copy_weights(s.graph());
  return Predictor(std::move(p));
}

double Trainer::lr() const { return checked("lr()").lr; }

void Trainer::set_lr(double lr) {
  State& s = checked("set_lr()");
  DNNTRAIN_CHECK(std::isfinite(lr) && lr >= 0,
                 fmt::format("set_lr: the rate must be finite and >= 0, got {}", lr));
  s.lr = lr;
}

int64_t Trainer::steps() const { return checked("steps()").optimizer.steps(); }

const ModelSpec& Trainer::spec() const { return checked("spec()").spec; }

const TrainerOptions& Trainer::options() const { return checked("options()").options; }

}  // namespace dnntrain
