// ReLU and the residual add against the reference. The add test feeds both summands from one
// tensor, so the graph's fan-out gradient sum and the in-place add are exercised too.
#include <doctest/doctest.h>

#include "layers/add.hpp"
#include "layers/relu.hpp"
#include "tests/reference/compare.hpp"
#include "tests/reference/finite_difference.hpp"
#include "tests/reference/relu.hpp"
#include "tests/support/layer_fixture.hpp"

using namespace dnntrain;
using reference::expect_close;
using tag = dnnl::memory::format_tag;

namespace {

// ReLU is exact in either type: the output is an input or zero, the gradient an output gradient or zero.
void check_relu(dnnl::memory::data_type type) {
  testing::LayerFixture f({3, 5, 4, 5}, tag::nChw16c, 1, type);
  f.add<layers::Relu>("relu");
  f.plan();
  f.loss();
  f.backward();
  const reference::Tensor y = reference::relu_forward(f.x);
  const auto fwd = expect_close(f.output(), y, 0, 0);
  CHECK_MESSAGE(fwd.ok, "forward: " << fwd.message);
  const auto bwd = expect_close(f.input_grad(), reference::relu_backward(f.g, y), 0, 0);
  CHECK_MESSAGE(bwd.ok, "backward: " << bwd.message);
}

}  // namespace

TEST_CASE("relu forward and backward, 5 channels blocked, batch 3") { check_relu(dnnl::memory::data_type::f32); }

TEST_CASE("relu in bf16: exact, 5 channels blocked, batch 3") {
  if (testing::bf16_available()) check_relu(dnnl::memory::data_type::bf16);
}

namespace {

// x → relayouts a and b (nChw16c) → y = relu(a + b) → dot, planned.
struct ReluAdd {
  engine::TensorId a, y;
  testing::DotLoss* dot;
};

ReluAdd relu_add_of_relayouts(engine::Graph& graph, engine::TensorId x,
                              dnnl::memory::data_type type = dnnl::memory::data_type::f32) {
  engine::TensorId a = graph.add<testing::Relayout>("a", {x}, {tag::nChw16c, type});
  engine::TensorId b = graph.add<testing::Relayout>("b", {x}, {tag::nChw16c, type});
  engine::TensorId y = graph.add<layers::Add>("add", {a, b}, {.relu = true});
  graph.add<testing::DotLoss>("dot", {y});
  graph.plan();
  return {a, y, &graph.layer<testing::DotLoss>("dot")};
}

}  // namespace

namespace {

// Small integers and their doubles are exact in bf16 as in f32, so both run exact: the sum a + b =
// 2x, the ReLU, and the fan-out gradient sum at x.
void check_relu_add_of_one_tensor(dnnl::memory::data_type type) {
  engine::Context context;
  engine::Graph graph(context, engine::GraphOptions{true});
  engine::TensorId x = graph.input({3, 5, 4, 4});
  const ReluAdd r = relu_add_of_relayouts(graph, x, type);
  testing::DotLoss& dot = *r.dot;
  // 5 channels pad their 16-channel block: the sum runs in place over the padded summand.
  CHECK(graph.value(r.y).get_data_handle() == graph.value(r.a).get_data_handle());
  reference::Tensor in = reference::make_tensor({3, 5, 4, 4}), g = reference::make_tensor({3, 5, 4, 4});
  reference::fill_small_integers(in, 3);
  reference::fill_random(g, 4);
  if (type == dnnl::memory::data_type::bf16)
    testing::round_to_bf16(g);  // the output gradient the layers see
  dot.set_weights(g);
  graph.forward(engine::Mode::train, in.data.data(), nullptr);
  graph.backward();
  const reference::Tensor want = reference::add_forward(in, in, true);
  const auto fwd = expect_close(dot.output(), want, 0, 0);
  CHECK_MESSAGE(fwd.ok, "forward: " << fwd.message);
  // x feeds both summands: its gradient is the sum of the two (equal) summand gradients.
  const reference::AddBackward parts = reference::add_backward(g, &want);
  reference::Tensor dx = parts.diff_a;
  for (size_t i = 0; i < dx.size(); ++i) dx.data[i] += parts.diff_b.data[i];
  const auto bwd = expect_close(testing::download(graph.diff(x), context), dx, 0, 0);
  CHECK_MESSAGE(bwd.ok, "backward: " << bwd.message);
}

}  // namespace

TEST_CASE("add with ReLU: relu(a + b) in place over a padded summand, both from one tensor through two relayouts") {
  check_relu_add_of_one_tensor(dnnl::memory::data_type::f32);
}

TEST_CASE("add with ReLU in bf16, both summands from one tensor") {
  if (testing::bf16_available()) check_relu_add_of_one_tensor(dnnl::memory::data_type::bf16);
}

TEST_CASE("add with ReLU in place over an unpadded summand (16 channels)") {
  engine::Context context;
  engine::Graph graph(context);
  engine::TensorId x = graph.input({2, 16, 3, 3});
  const ReluAdd r = relu_add_of_relayouts(graph, x);
  testing::DotLoss& dot = *r.dot;
  CHECK(graph.value(r.y).get_data_handle() == graph.value(r.a).get_data_handle());
  reference::Tensor in = reference::make_tensor({2, 16, 3, 3});
  reference::fill_small_integers(in, 8);
  graph.forward(engine::Mode::train, in.data.data(), nullptr);
  const auto fwd = expect_close(dot.output(), reference::add_forward(in, in, true), 0, 0);
  CHECK_MESSAGE(fwd.ok, "forward: " << fwd.message);
}

TEST_CASE("add without ReLU passes the gradient to both summands") {
  engine::Context context;
  engine::Graph graph(context, engine::GraphOptions{true});
  engine::TensorId x = graph.input({2, 3, 3, 3});
  engine::TensorId a = graph.add<testing::Relayout>("a", {x}, tag::nchw);
  engine::TensorId y = graph.add<layers::Add>("add", {a, x}, {.relu = false});
  graph.add<testing::DotLoss>("dot", {y});
  auto& dot = graph.layer<testing::DotLoss>("dot");
  graph.plan();
  reference::Tensor in = reference::make_tensor({2, 3, 3, 3}), g = reference::make_tensor({2, 3, 3, 3});
  reference::fill_small_integers(in, 5);
  reference::fill_small_integers(g, 6);
  dot.set_weights(g);
  graph.forward(engine::Mode::train, in.data.data(), nullptr);
  graph.backward();
  const auto fwd = expect_close(dot.output(), reference::add_forward(in, in, false), 0, 0);
  CHECK_MESSAGE(fwd.ok, "forward: " << fwd.message);
  reference::Tensor dx = g;
  for (float& v : dx.data) v *= 2;
  const auto bwd = expect_close(testing::download(graph.diff(x), context), dx, 0, 0);
  CHECK_MESSAGE(bwd.ok, "backward: " << bwd.message);
}
