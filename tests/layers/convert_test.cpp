// Convert against engine/bf16.hpp: f32 to bf16 rounds each value to nearest even, bit for bit,
// in the input's own layout; backward converts the bf16 gradient back to f32 exactly.
#include <doctest/doctest.h>

#include <bit>

#include "engine/precision.hpp"
#include "layers/convert.hpp"
#include "tests/reference/compare.hpp"
#include "tests/support/harness.hpp"

using namespace dnntrain;
using tag = dnnl::memory::format_tag;
using dt = dnnl::memory::data_type;

namespace {

// Runs the planned graph (input x of 2×5×3×4, Convert to bf16, DotLoss "dot") forward and backward on
// random values from `seed`: the forward must equal the input rounded to bf16, and the gradient at x
// DotLoss's weights rounded to bf16 (its gradient lands in bf16), bit for bit.
void check_rounding(engine::Graph& graph, engine::Context& context, engine::TensorId x, uint64_t seed) {
  auto& dot = graph.layer<testing::DotLoss>("dot");
  reference::Tensor in = reference::make_tensor({2, 5, 3, 4}), g = reference::make_tensor({2, 5, 3, 4});
  reference::fill_random(in, seed, -3.f, 3.f);
  reference::fill_random(g, seed + 1, -1.f, 1.f);
  dot.set_weights(g);
  graph.forward(engine::Mode::train, in.data.data(), nullptr);
  graph.backward();
  reference::Tensor rounded = in, g_rounded = g;
  testing::round_to_bf16(rounded);
  testing::round_to_bf16(g_rounded);
  const auto fwd = reference::expect_close(dot.output(), rounded, 0, 0);
  CHECK_MESSAGE(fwd.ok, "forward: " << fwd.message);
  const auto bwd = reference::expect_close(testing::download(graph.diff(x), context), g_rounded, 0, 0);
  CHECK_MESSAGE(bwd.ok, "backward: " << bwd.message);
}

}  // namespace

TEST_CASE("convert to bf16 rounds as to_bf16 and keeps the layout, backward is exact") {
  if (!testing::bf16_available()) return;
  engine::Context context;
  engine::Graph graph(context, engine::GraphOptions{true});
  engine::TensorId x = graph.input({2, 5, 3, 4});
  engine::TensorId blocked = graph.add<testing::Relayout>("relayout", {x}, tag::nChw16c);
  engine::TensorId y = graph.add<layers::Convert>("to_bf16", {blocked}, {.to = dt::bf16});
  graph.add<testing::DotLoss>("dot", {y});
  graph.plan();
  CHECK(graph.value(y).get_desc() == engine::with_data_type(graph.value(blocked).get_desc(), dt::bf16));
  check_rounding(graph, context, x, 1);
}

TEST_CASE("convert to bf16 in nhwc: the same values, rounded, in nhwc") {
  if (!testing::bf16_available()) return;
  engine::Context context;
  engine::Graph graph(context, engine::GraphOptions{true});
  engine::TensorId x = graph.input({2, 5, 3, 4});
  engine::TensorId y = graph.add<layers::Convert>("to_bf16", {x}, {.to = dt::bf16, .nhwc = true});
  graph.add<testing::DotLoss>("dot", {y});
  graph.plan();
  CHECK(graph.value(y).get_desc() == dnnl::memory::desc({2, 5, 3, 4}, dt::bf16, tag::nhwc));
  check_rounding(graph, context, x, 3);
}
