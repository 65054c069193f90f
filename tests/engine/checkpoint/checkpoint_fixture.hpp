// Test fixture shared by the checkpoint tests: the module of make_fixture.py (Tiny) built from
// hand-made parameters and buffers, its expected values, filling, bitwise comparison, a temporary
// folder, a few deterministic optimizer steps and a saved momentum-SGD checkpoint.
#pragma once

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "engine/checkpoint/checkpoint.hpp"
#include "engine/optim/optimizer.hpp"
#include "tests/engine/checkpoint/temp_dir.hpp"
#include "tests/engine/optim/blocked_parameter.hpp"

namespace dnntrain::checkpoint_fixture {

using engine::Buffer;
using engine::Parameter;
using testing::Tag;
using testing::TempDir;

struct Model {
  dnnl::engine eng{dnnl::engine::kind::cpu, 0};
  std::vector<std::unique_ptr<Parameter>> owned;
  std::vector<std::unique_ptr<Buffer>> owned_buffers;
  std::vector<Parameter*> params;
  std::vector<Buffer*> buffers;

  void add(std::string name, std::vector<int64_t> shape, Tag plain, Tag blocked,
           Parameter::Role role = Parameter::Role::weight) {
    owned.push_back(testing::make_parameter(eng, std::move(name), std::move(shape), plain, blocked, role));
    params.push_back(owned.back().get());
  }
  void add_buffer(std::string name, std::vector<int64_t> shape, Buffer::Type type) {
    auto b = std::make_unique<Buffer>();
    b->name = std::move(name);
    b->shape = std::move(shape);
    b->type = type;
    b->value = dnnl::memory(Buffer::desc(type, b->shape), eng);
    b->reset();
    buffers.push_back(b.get());
    owned_buffers.push_back(std::move(b));
  }
  Parameter& param(const std::string& name) {
    return **std::find_if(params.begin(), params.end(), [&](Parameter* p) { return p->name == name; });
  }
};

// The module of make_fixture.py (Tiny), in blocked (padded) or plain layouts, fc classes settable.
Model tiny(bool blocked, int64_t classes = 5);

// make_fixture.py's expected_state_dict(): k is the key's index in sorted order.
std::vector<float> fixture_values(const std::string& name, size_t n);

void fill_random(Model& m, uint64_t seed);

// Every parameter and buffer of `a` and `b` hold the same bits.
void check_same(Model& a, Model& b, const std::string& what);

// Steps `opt` n times with gradients that depend only on the global step index.
void train(Model& m, engine::Optimizer& opt, int first, int n);

// A momentum-SGD checkpoint of the tiny model after two steps, at epoch 1, batch 1.
std::string saved_checkpoint(const TempDir& dir, Model& m, engine::Optimizer& opt);

engine::OptimizerOptions momentum_sgd();

}  // namespace dnntrain::checkpoint_fixture
