// bf16 working copies: our rounding against oneDNN's reorder on awkward values, and every working
// copy of a two-convolution bf16 graph equal, bit for bit, to its f32 weight rounded to bf16 —
// after initialisation, after SGD and Adam steps, and in every layout a primitive reads.
#include <doctest/doctest.h>

#include <bit>
#include <cmath>
#include <limits>

#include "engine/bf16.hpp"
#include "engine/optim/optimizer.hpp"
#include "layers/conv2d.hpp"
#include "tests/support/harness.hpp"

using namespace dnntrain;
using tag = dnnl::memory::format_tag;
using dt = dnnl::memory::data_type;

TEST_CASE("to_bf16 rounds to nearest even, denormals to zero, as oneDNN's reorder does") {
  // Where oneDNN has no native bf16 (ONEDNN_MAX_CPU_ISA=AVX2), its reorder writes +0 for -0 and
  // negative denormals; bf16 training runs only where it is native (engine/precision.hpp).
  if (!testing::bf16_available()) return;
  const float inf = std::numeric_limits<float>::infinity();
  const std::vector<float> values = {
      0.f, -0.f, 1.f, -1.f, inf, -inf, std::numeric_limits<float>::max(), -std::numeric_limits<float>::max(),
      std::numeric_limits<float>::denorm_min(), std::numeric_limits<float>::min(),
      std::bit_cast<float>(0x3f808000u),  // halfway between 1 and the next bf16, which is odd: rounds up
      std::bit_cast<float>(0x3f818000u),  // halfway, the lower neighbour even: rounds down
      std::bit_cast<float>(0x3f808001u),  // just above halfway: up
      std::bit_cast<float>(0x3f807fffu),  // just below halfway: down
      std::bit_cast<float>(0x7f7f8000u),  // halfway above the largest bf16: rounds to infinity
      std::bit_cast<float>(0x807fffffu),  // the largest negative denormal: -0
      std::bit_cast<float>(0x00400000u),  // a denormal: +0
      1.0e-3f, 3.14159265f, -65504.f, 1e30f};
  engine::Context context;
  const dnnl::memory::desc f32_md({static_cast<dnnl::memory::dim>(values.size())}, dt::f32, tag::a);
  const dnnl::memory::desc bf16_md({static_cast<dnnl::memory::dim>(values.size())}, dt::bf16, tag::a);
  dnnl::memory from(f32_md, context.engine(), const_cast<float*>(values.data()));
  dnnl::memory to(bf16_md, context.engine());
  dnnl::reorder(from, to).execute(context.stream(), from, to);
  context.stream().wait();
  const auto* got = static_cast<const uint16_t*>(to.get_data_handle());
  for (size_t i = 0; i < values.size(); ++i)
    CHECK_MESSAGE(engine::to_bf16(values[i]) == got[i], "value " << values[i] << " (bits "
                                                               << std::bit_cast<uint32_t>(values[i]) << ")");
  const float nan = std::numeric_limits<float>::quiet_NaN();
  CHECK(std::isnan(engine::from_bf16(engine::to_bf16(nan))));
  CHECK(std::isnan(engine::from_bf16(engine::to_bf16(std::bit_cast<float>(0x7f800001u)))));  // signalling
}

namespace {

// Every working copy of every parameter against its weight rounded, in the plain layout.
void check_working_copies(engine::Graph& graph, engine::Context& context, const char* when) {
  for (engine::Parameter* p : graph.parameters()) {
    const reference::Tensor weight = testing::weight_of(*p, context);
    for (const engine::WorkingCopy& copy : p->working) {
      const reference::Tensor got = testing::download(copy.bf16, context);
      REQUIRE(got.size() == weight.size());
      size_t wrong = 0;
      for (size_t i = 0; i < got.size(); ++i)
        wrong += std::bit_cast<uint32_t>(got.data[i]) != std::bit_cast<uint32_t>(engine::round_to_bf16(weight.data[i]));
      CHECK_MESSAGE(wrong == 0, std::string(when) << ": " << p->name << " has " << wrong << " of " << got.size()
                                     << " elements differing from its weight rounded to bf16");
    }
  }
}

void check_steps(engine::OptimizerOptions options) {
  engine::Context context;
  engine::Graph graph(context);
  engine::TensorId x = graph.input({2, 5, 6, 6});
  engine::TensorId h = graph.add<testing::Relayout>("relayout", {x}, {tag::nChw16c, dt::bf16});
  h = graph.add<layers::Conv2d>("conv1", {h},
                                {.in_channels = 5, .out_channels = 7, .kernel = 3, .padding = 1, .bias = true});
  h = graph.add<layers::Conv2d>("conv2", {h}, {.in_channels = 7, .out_channels = 32, .kernel = 1});
  h = graph.add<layers::Conv2d>("conv3", {h}, {.in_channels = 32, .out_channels = 48, .kernel = 3, .padding = 1});
  graph.add<testing::DotLoss>("dot", {h});
  graph.plan();
  graph.initialize(3);
  auto& dot = graph.layer<testing::DotLoss>("dot");
  reference::Tensor in = reference::make_tensor({2, 5, 6, 6}), g = reference::make_tensor({2, 48, 6, 6});
  reference::fill_random(in, 1);
  reference::fill_random(g, 2);
  dot.set_weights(g);

  // conv1: one copy (the forward's; nothing needs its input gradient). conv2 and conv3: the
  // forward's and backward-data's, whose layouts differ (OIhw8i16o2i and OIhw8o16i2o on AVX-512).
  // Biases: none. conv1 and conv2 pad their channels in every tile: one full map each; conv3's 16×16
  // tiles all move alike: one pattern of 256 offsets.
  size_t copies = 0;
  for (engine::Parameter* p : graph.parameters()) copies += p->working.size();
  CHECK(copies == 5);
  for (const engine::WorkingCopy& copy : testing::parameter(graph, "conv3.weight").working) {
    CHECK(copy.period == 256);
    CHECK(copy.irregular.empty());
  }
  check_working_copies(graph, context, "after initialize");
  engine::Optimizer optimizer(graph.parameters(), options);
  for (int step = 1; step <= 3; ++step) {
    graph.forward(engine::Mode::train, in.data.data(), nullptr);
    graph.backward();
    optimizer.step(0.05);
    check_working_copies(graph, context, step == 1 ? "after step 1" : "after a later step");
  }
}

}  // namespace

TEST_CASE("working copies equal the f32 weights rounded, after SGD steps with momentum") {
  if (!testing::bf16_available()) return;
  engine::OptimizerOptions o;
  o.momentum = 0.9;
  o.weight_decay = 1e-3;
  check_steps(o);
}

TEST_CASE("working copies equal the f32 weights rounded, after AdamW steps") {
  if (!testing::bf16_available()) return;
  engine::OptimizerOptions o;
  o.kind = engine::OptimizerOptions::Kind::adamw;
  o.weight_decay = 1e-2;
  check_steps(o);
}
