// The checkpoint tests' shared fixture (checkpoint_fixture.hpp).
#include "tests/engine/checkpoint/checkpoint_fixture.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstring>

#include "tests/reference/compare.hpp"

namespace dnntrain::checkpoint_fixture {

// The module of make_fixture.py (Tiny), in blocked (padded) or plain layouts, fc classes settable.
Model tiny(bool blocked, int64_t classes) {
  Model m;
  const Tag conv = blocked ? Tag::ABcd16b16a : Tag::oihw;
  m.add("conv1.weight", {10, 3, 3, 3}, Tag::oihw, blocked ? Tag::Acdb16a : Tag::oihw);
  m.add("bn1.weight", {10}, Tag::a, Tag::a, Parameter::Role::norm);
  m.add("bn1.bias", {10}, Tag::a, Tag::a, Parameter::Role::norm);
  m.add("layer1.0.conv1.weight", {16, 10, 3, 3}, Tag::oihw, conv);
  m.add("fc.weight", {classes, 16}, Tag::oihw, conv);
  m.add("fc.bias", {classes}, Tag::a, Tag::a, Parameter::Role::bias);
  m.add_buffer("bn1.running_mean", {10}, Buffer::Type::f32);
  m.add_buffer("bn1.running_var", {10}, Buffer::Type::f32);
  m.add_buffer("bn1.num_batches_tracked", {}, Buffer::Type::i64);
  return m;
}

// make_fixture.py's expected_state_dict(): k is the key's index in sorted order.
std::vector<float> fixture_values(const std::string& name, size_t n) {
  static const std::vector<std::string> sorted = {"bn1.bias",
                                                  "bn1.num_batches_tracked",
                                                  "bn1.running_mean",
                                                  "bn1.running_var",
                                                  "bn1.weight",
                                                  "conv1.weight",
                                                  "fc.bias",
                                                  "fc.weight",
                                                  "layer1.0.conv1.weight"};
  const int64_t k = std::find(sorted.begin(), sorted.end(), name) - sorted.begin();
  std::vector<float> v(n);
  for (size_t i = 0; i < n; ++i) {
    v[i] = static_cast<float>((static_cast<int64_t>(i) * 7 + k * 13) % 64 - 32) / 16.f;
    if (name.ends_with("running_var")) v[i] = std::abs(v[i]) + 0.5f;
  }
  return v;
}

void fill_random(Model& m, uint64_t seed) {
  for (Parameter* p : m.params)
    testing::write_plain(*p, p->weight, testing::uniform_values(p->elements(), seed++));
  for (Buffer* b : m.buffers) {
    if (b->type == Buffer::Type::i64)
      b->i64() = static_cast<int64_t>(seed) * 1000003;
    else
      std::ranges::copy(testing::uniform_values(b->elements(), seed++, 0.5f, 2.f), b->f32().begin());
  }
}

// Every parameter and buffer of `a` and `b` hold the same bits.
void check_same(Model& a, Model& b, const std::string& what) {
  for (size_t k = 0; k < a.params.size(); ++k) {
    const auto x = testing::read_plain(*a.params[k], a.params[k]->weight);
    const auto y = testing::read_plain(*b.params[k], b.params[k]->weight);
    const auto d = reference::compare(x.data(), y.data(), x.size());
    CHECK_MESSAGE(std::memcmp(x.data(), y.data(), x.size() * 4) == 0,
                  what << ": " << a.params[k]->name << " differs: " << reference::describe(d));
  }
  for (size_t k = 0; k < a.buffers.size(); ++k) {
    CHECK_MESSAGE(std::ranges::equal(a.buffers[k]->bytes(), b.buffers[k]->bytes()),
                  what << ": " << a.buffers[k]->name << " differs");
  }
}

// Steps `opt` n times with gradients that depend only on the global step index.
void train(Model& m, engine::Optimizer& opt, int first, int n) {
  for (int t = first; t < first + n; ++t) {
    for (size_t k = 0; k < m.params.size(); ++k)
      testing::write_plain(*m.params[k], m.params[k]->grad,
                           testing::uniform_values(m.params[k]->elements(), 1000 * t + k));
    m.buffers[2]->i64() += 1;
    opt.step(0.05 * std::pow(0.9, t));
  }
}

// A momentum-SGD checkpoint of the tiny model after two steps, at epoch 1, batch 1.
std::string saved_checkpoint(const TempDir& dir, Model& m, engine::Optimizer& opt) {
  fill_random(m, 1);
  train(m, opt, 0, 2);
  engine::TrainingState state;
  state.epoch = 1;
  state.step = 2;
  state.batch_in_epoch = 1;
  const std::string path = dir.file("c.safetensors");
  engine::save_checkpoint(path, m.params, m.buffers, &opt, state);
  return path;
}

engine::OptimizerOptions momentum_sgd() {
  engine::OptimizerOptions o;
  o.momentum = 0.9;
  return o;
}

}  // namespace dnntrain::checkpoint_fixture
