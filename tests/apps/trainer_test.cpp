// engine::Trainer on a tiny graph (batch norm → fc → softmax cross-entropy over 3×1×1 inputs) against
// the plain references of tests/reference: steps, the NaN stop, epochs, and engine::evaluate; and
// engine::count_topk, the metric behind every reported top-1/top-5, on hand-made log-probabilities.
#include "engine/trainer.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "engine/error.hpp"
#include "engine/evaluate.hpp"
#include "layers/batch_norm.hpp"
#include "layers/linear.hpp"
#include "layers/softmax_cross_entropy.hpp"
#include "tests/engine/optim/blocked_parameter.hpp"
#include "tests/reference/batch_norm.hpp"
#include "tests/reference/compare.hpp"
#include "tests/reference/linear.hpp"
#include "tests/reference/softmax_cross_entropy.hpp"

using namespace dnntrain;
using engine::count_topk;
using reference::Tensor;

namespace {

constexpr int kBatch = 4, kChannels = 3, kClasses = 7;

// input (N, 3, 1, 1) → bn → fc (3 → 7) → loss, planned and initialised.
struct TinyModel {
  engine::Context context{0};
  engine::Graph graph{context};
  layers::SoftmaxCrossEntropy* loss = nullptr;

  TinyModel() {
    engine::TensorId x = graph.input({kBatch, kChannels, 1, 1});
    engine::TensorId y = graph.add<layers::BatchNorm>("bn", {x}, {.channels = kChannels});
    engine::TensorId logits =
        graph.add<layers::Linear>("fc", {y}, {.in_features = kChannels, .out_features = kClasses});
    graph.add<layers::SoftmaxCrossEntropy>("loss", {logits});
    loss = &graph.layer<layers::SoftmaxCrossEntropy>("loss");
    graph.plan();
    graph.initialize(5);
  }
  engine::LossReadout readout() {
    return {[this] { return loss->loss(); }, [this] { return loss->log_probs(); }, loss->classes()};
  }
  engine::Parameter& param(const std::string& name) {
    for (engine::Parameter* p : graph.parameters())
      if (p->name == name) return *p;
    throw std::invalid_argument("no parameter " + name);
  }
  engine::Buffer& buffer(const std::string& name) {
    for (engine::Buffer* b : graph.buffers())
      if (b->name == name) return *b;
    throw std::invalid_argument("no buffer " + name);
  }
  // A parameter's plain values as a reference tensor of its torch shape.
  Tensor plain(const std::string& name) {
    engine::Parameter& p = param(name);
    return reference::make_tensor(p.shape, testing::read_plain(p, p.weight));
  }
};

// `samples` inputs (N, 3, 1, 1) with labels i % kClasses, served in batches of kBatch; a training
// source drops the last partial batch, an evaluation source keeps it.
class VectorSource final : public engine::BatchSource {
 public:
  VectorSource(int samples, bool training, uint64_t seed) : training_(training) {
    images = reference::make_tensor({samples, kChannels, 1, 1});
    reference::fill_random(images, seed, -2.f, 2.f);
    for (int i = 0; i < samples; ++i) labels.push_back(i % kClasses);
  }
  void start_epoch(int64_t, int64_t first_batch) override {
    next_ = first_batch;
    first_batches.push_back(first_batch);
  }
  bool next(engine::BatchRef& batch) override {
    if (next_ >= batches_per_epoch()) return false;
    const int64_t first = next_++ * kBatch;
    batch.images = images.data.data() + first * kChannels;
    batch.labels = labels.data() + first;
    batch.n = static_cast<int>(std::min<int64_t>(kBatch, size() - first));
    return true;
  }
  int64_t batches_per_epoch() const override {
    return training_ ? size() / kBatch : (size() + kBatch - 1) / kBatch;
  }
  int64_t size() const { return static_cast<int64_t>(labels.size()); }

  Tensor images;
  std::vector<int32_t> labels;
  std::vector<int64_t> first_batches;  // the first_batch of every start_epoch call

 private:
  bool training_;
  int64_t next_ = 0;
};

Tensor rows(const Tensor& t, int64_t first, int64_t n) {
  const int64_t per = static_cast<int64_t>(t.size()) / t.dim(0);
  std::vector<int64_t> dims = t.dims;
  dims[0] = n;
  return reference::make_tensor(
      dims, std::vector<float>(t.data.begin() + first * per, t.data.begin() + (first + n) * per));
}

// A (N, C, 1, 1) tensor seen as (N, C), the same values.
Tensor flat(const Tensor& t) { return reference::make_tensor({t.dim(0), t.dim(1)}, t.data); }

void check_close(const Tensor& got, const Tensor& want, const std::string& what) {
  const auto r = reference::expect_close(got, want, 1e-5, 1e-4);
  CHECK_MESSAGE(r.ok, what << ": " << r.message);
}

// Top-1, top-5 and the confusion matrix of logits rows, each row's classes put in order by a
// stable sort on decreasing value: of tied classes the lower comes first (torch.argmax's pick).
struct Ranked {
  int64_t top1 = 0, top5 = 0;
  std::vector<int64_t> confusion = std::vector<int64_t>(kClasses * kClasses, 0);
};
Ranked rank_labels(const Tensor& logits, const std::vector<int64_t>& labels) {
  Ranked r;
  for (size_t n = 0; n < labels.size(); ++n) {
    const float* row = logits.data.data() + n * kClasses;
    std::vector<int> order(kClasses);
    for (int c = 0; c < kClasses; ++c) order[c] = c;
    std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return row[a] > row[b]; });
    const auto place = std::find(order.begin(), order.end(), labels[n]) - order.begin();
    r.top1 += place == 0;
    r.top5 += place < 5;
    ++r.confusion[labels[n] * kClasses + order[0]];
  }
  return r;
}

engine::LrSchedule step_lr() {
  engine::ScheduleOptions s;
  s.kind = engine::ScheduleOptions::Kind::steplr;
  s.base_lr = 0.1;
  s.step_size = 1;
  s.gamma = 0.1;
  return engine::LrSchedule(s);
}

// The tiny model with plain SGD (no momentum, no decay) and StepLR, from step 0.
struct TinyTraining {
  TinyModel m;
  engine::Optimizer sgd{m.graph.parameters(), {}};
  engine::TrainingState state;
  engine::Trainer trainer{m.graph, m.readout(), sgd, step_lr(), state};
};

}  // namespace

TEST_CASE(
    "Trainer::step: two steps match a reference forward, backward and SGD update at the schedule's rate") {
  TinyTraining t;
  auto& [m, sgd, state, trainer] = t;
  VectorSource source(2 * kBatch, true, 11);
  for (int64_t step = 0; step < 2; ++step) {
    const Tensor x = rows(source.images, step * kBatch, kBatch);
    const std::vector<int64_t> y(source.labels.begin() + step * kBatch,
                                 source.labels.begin() + (step + 1) * kBatch);
    const Tensor gamma = m.plain("bn.weight"), beta = m.plain("bn.bias");
    const Tensor w = m.plain("fc.weight"), b = m.plain("fc.bias");
    // The reference step: BN with batch statistics, fc, mean cross-entropy, then plain SGD.
    const auto bn = reference::batch_norm_forward_training(x, gamma, beta, 1e-5);
    const Tensor h = flat(bn.dst);
    const Tensor logits = reference::linear_forward(h, w, &b);
    const auto ce = reference::softmax_cross_entropy(logits, y);
    const auto fc = reference::linear_backward(ce.diff_logits, h, w);
    const auto dbn = reference::batch_norm_backward(reference::make_tensor(x.dims, fc.diff_src.data), x,
                                                    gamma, bn.mean, bn.var, 1e-5);
    const double lr = step == 0 ? 0.1 : 0.01;  // StepLR(step_size=1, gamma=0.1), one step per epoch
    auto sgd_ref = [lr](Tensor p, const Tensor& g) {
      for (size_t i = 0; i < p.size(); ++i) p.data[i] -= static_cast<float>(lr * g.data[i]);
      return p;
    };
    int correct = 0;
    for (int n = 0; n < kBatch; ++n) {
      const float* row = logits.data.data() + n * kClasses;
      correct += std::max_element(row, row + kClasses) - row == y[n];
    }

    engine::BatchRef batch{x.data.data(), source.labels.data() + step * kBatch, kBatch};
    const engine::StepStats s = trainer.step(batch, 1);
    CHECK(s.loss == doctest::Approx(ce.loss).epsilon(1e-5));
    CHECK(s.lr == doctest::Approx(lr));
    CHECK(s.correct == correct);
    CHECK(s.n == kBatch);
    CHECK(s.step == step + 1);
    CHECK(state.step == step + 1);
    CHECK(state.batch_in_epoch == step + 1);
    CHECK(state.lr == doctest::Approx(lr));
    check_close(m.plain("fc.weight"), sgd_ref(w, fc.diff_weights), "fc.weight");
    check_close(m.plain("fc.bias"), sgd_ref(b, fc.diff_bias), "fc.bias");
    check_close(m.plain("bn.weight"), sgd_ref(gamma, dbn.diff_gamma), "bn.weight");
    check_close(m.plain("bn.bias"), sgd_ref(beta, dbn.diff_beta), "bn.bias");
  }
  CHECK(m.buffer("bn.num_batches_tracked").i64() == 2);
}

TEST_CASE("Trainer::step stops on a NaN loss before touching the weights or the position") {
  TinyTraining t;
  auto& [m, sgd, state, trainer] = t;
  VectorSource source(kBatch, true, 12);
  source.images.data[4] = std::numeric_limits<float>::quiet_NaN();
  std::vector<std::vector<float>> before;
  for (engine::Parameter* p : m.graph.parameters()) before.push_back(testing::read_plain(*p, p->weight));
  engine::BatchRef batch{source.images.data.data(), source.labels.data(), kBatch};
  std::string message;
  try {
    trainer.step(batch, 1);
  } catch (const Error& e) {
    message = e.what();
  }
  CHECK_MESSAGE(message.find("step 1") != std::string::npos, message);
  CHECK_MESSAGE(message.find("the loss is nan") != std::string::npos, message);
  size_t i = 0;
  for (engine::Parameter* p : m.graph.parameters())
    CHECK_MESSAGE(testing::read_plain(*p, p->weight) == before[i++], p->name << " changed");
  CHECK(state.step == 0);
  CHECK(state.batch_in_epoch == 0);
  CHECK(sgd.steps() == 0);
}

TEST_CASE("Trainer::train_epoch stops at the step limit, resumes mid-epoch, completes and is interrupted") {
  TinyTraining t;
  auto& [m, sgd, state, trainer] = t;
  VectorSource source(3 * kBatch + 2, true, 13);  // 3 full batches; the partial one is dropped

  engine::EpochControl limit;
  limit.max_steps = 2;
  int on_step_calls = 0;
  limit.on_step = [&](const engine::StepStats&) { ++on_step_calls; };
  const engine::EpochResult first = trainer.train_epoch(source, limit);
  CHECK(first.end == engine::EpochResult::End::step_limit);
  CHECK(first.steps == 2);
  CHECK(first.samples == 2 * kBatch);
  CHECK(on_step_calls == 2);
  CHECK(state.epoch == 0);
  CHECK(state.batch_in_epoch == 2);

  const engine::EpochResult rest = trainer.train_epoch(source, {});
  CHECK(rest.end == engine::EpochResult::End::completed);
  CHECK(rest.steps == 1);
  CHECK(state.step == 3);
  CHECK(state.epoch == 1);
  CHECK(state.batch_in_epoch == 0);
  CHECK(source.first_batches == std::vector<int64_t>{0, 2});
  // All three steps were in epoch 0 (3 steps per epoch): StepLR's first rate.
  CHECK(state.lr == doctest::Approx(0.1));

  engine::EpochControl stop;
  stop.stop_requested = [] { return true; };
  const engine::EpochResult stopped = trainer.train_epoch(source, stop);
  CHECK(stopped.end == engine::EpochResult::End::interrupted);
  CHECK(stopped.steps == 0);
  CHECK(state.step == 3);
  CHECK(state.epoch == 1);
}

TEST_CASE("evaluate normalises with the running statistics, leaves them alone and pads the last batch") {
  TinyTraining t;
  auto& [m, sgd, state, trainer] = t;
  engine::Buffer& mean = m.buffer("bn.running_mean");
  engine::Buffer& var = m.buffer("bn.running_var");
  const std::vector<float> mean_before{0.5f, -0.25f, 1.f}, var_before{2.f, 0.5f, 1.5f};
  std::ranges::copy(mean_before, mean.f32().begin());
  std::ranges::copy(var_before, var.f32().begin());
  VectorSource source(2 * kBatch - 1, false, 14);  // batches of 4 and 3

  const Tensor gamma = m.plain("bn.weight"), beta = m.plain("bn.bias");
  const Tensor w = m.plain("fc.weight"), b = m.plain("fc.bias");
  const Tensor h = flat(reference::batch_norm_forward_inference(
      source.images, gamma, beta, reference::make_tensor({kChannels}, mean_before),
      reference::make_tensor({kChannels}, var_before), 1e-5));
  const Tensor logits = reference::linear_forward(h, w, &b);
  const std::vector<int64_t> labels(source.labels.begin(), source.labels.end());
  const double loss = reference::softmax_cross_entropy(logits, labels).loss;
  const Ranked want = rank_labels(logits, labels);

  const engine::EvalResult r = engine::evaluate(m.graph, m.readout(), source);
  CHECK(r.samples == source.size());
  CHECK(r.classes == kClasses);
  CHECK(r.loss == doctest::Approx(loss).epsilon(1e-5));
  CHECK(r.top1 == doctest::Approx(static_cast<double>(want.top1) / source.size()));
  CHECK(r.top5 == doctest::Approx(static_cast<double>(want.top5) / source.size()));
  CHECK(r.confusion == want.confusion);
  CHECK(std::ranges::equal(mean.f32(), mean_before));
  CHECK(std::ranges::equal(var.f32(), var_before));
  CHECK(m.buffer("bn.num_batches_tracked").i64() == 0);
  CHECK(state.step == 0);
}

TEST_CASE("count_topk ranks the label among the classes") {
  // 3 rows, 6 classes. Row 0: label 2 is the most probable. Row 1: label 0 is 5th of 6.
  // Row 2: label 5 is last.
  const std::vector<float> lp = {-3, -2, -0.1f, -4, -5,    -6,  //
                                 -4, -1, -2,    -3, -0.5f, -9,  //
                                 -1, -2, -3,    -4, -5,    -6};
  const std::vector<int32_t> labels = {2, 0, 5};
  const auto k5 = count_topk(lp.data(), labels.data(), 3, 6, 5);
  CHECK(k5.top1 == 1);
  CHECK(k5.topk == 2);
  const auto k1 = count_topk(lp.data(), labels.data(), 3, 6, 1);
  CHECK(k1.topk == k1.top1);
  // Only the first n rows count.
  CHECK(count_topk(lp.data(), labels.data(), 1, 6, 5).topk == 1);
}

TEST_CASE("count_topk ranks a label tied with a lower class below it (the first maximum wins)") {
  const std::vector<float> lp = {-0.69f, -0.69f, -5, -0.69f, -0.69f, -5};
  const std::vector<int32_t> labels = {1, 0};  // tied with class 0; class 0 itself
  const auto k1 = count_topk(lp.data(), labels.data(), 2, 3, 1);
  CHECK(k1.top1 == 1);  // only the row whose label is class 0
  CHECK(k1.topk == 1);
  CHECK(count_topk(lp.data(), labels.data(), 2, 3, 2).topk == 2);
}

TEST_CASE("evaluate: rows of equal logits predict class 0 in top-1, top-5 and the confusion matrix alike") {
  TinyTraining t;
  auto& m = t.m;
  for (const char* name : {"fc.weight", "fc.bias"}) {
    engine::Parameter& p = m.param(name);
    testing::write_plain(p, p.weight, std::vector<float>(m.plain(name).size(), 0.f));
  }
  VectorSource source(kClasses, false, 15);  // labels 0..6, every logit 0
  const engine::EvalResult r = engine::evaluate(m.graph, m.readout(), source);
  std::vector<int64_t> confusion(kClasses * kClasses, 0);
  for (int c = 0; c < kClasses; ++c) confusion[c * kClasses] = 1;
  CHECK(r.confusion == confusion);
  CHECK(r.top1 == doctest::Approx(1.0 / kClasses));  // the label 0 row alone
  CHECK(r.top5 == doctest::Approx(5.0 / kClasses));  // labels 0..4
  CHECK(r.loss == doctest::Approx(std::log(static_cast<double>(kClasses))).epsilon(1e-6));
}

TEST_CASE("count_topk with k at least the class count counts every row") {
  const std::vector<float> lp = {-1, -2, -3, -0.5f};
  const std::vector<int32_t> labels = {1, 0};
  const auto r = count_topk(lp.data(), labels.data(), 2, 2, 5);
  CHECK(r.top1 == 0);
  CHECK(r.topk == 2);
}
