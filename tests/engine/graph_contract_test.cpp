// The graph's contract: after plan() a training step creates no primitive and allocates no buffer
// (oneDNN's execute() itself makes a few small bookkeeping allocations per call, which must
// not grow from step to step); gradient-ready fires once per parameter, after its gradient is
// final; padding of blocked parameters stays zero; bad configurations and unknown layer names are
// refused by name.
#include <doctest/doctest.h>

#include <atomic>
#include <cstdlib>
#include <new>
#include <set>

#include "engine/context.hpp"
#include "engine/error.hpp"
#include "layers/resnet.hpp"
#include "tests/data/expect_error.hpp"
#include "tests/support/harness.hpp"

namespace {
std::atomic<size_t> g_allocations{0}, g_large_allocations{0};
}  // namespace

// Every unaligned form of new and delete is replaced, so that memory from any of them (a
// std::stable_sort buffer comes from the nothrow form) is released by the matching one.
namespace {
void* counted_malloc(size_t n) {
  ++g_allocations;
  if (n >= 4096) ++g_large_allocations;
  return std::malloc(n ? n : 1);
}
}  // namespace

void* operator new(size_t n) {
  if (void* p = counted_malloc(n)) return p;
  throw std::bad_alloc();
}
void* operator new[](size_t n) {
  if (void* p = counted_malloc(n)) return p;
  throw std::bad_alloc();
}
void* operator new(size_t n, const std::nothrow_t&) noexcept { return counted_malloc(n); }
void* operator new[](size_t n, const std::nothrow_t&) noexcept { return counted_malloc(n); }
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"  // these operators new are malloc
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, size_t) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete[](void* p, size_t) noexcept { std::free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }
#pragma GCC diagnostic pop

using namespace dnntrain;

namespace {

layers::ResNetConfig tiny(const std::string& model) {
  layers::ResNetConfig c;
  c.model = model;
  c.classes = 10;
  c.in_channels = 1;
  c.image_size = 16;
  c.batch = 4;
  return c;
}

}  // namespace

TEST_CASE("a training step creates no primitive and allocates no buffer") {
  engine::Context context;
  layers::Model model(context, tiny("resnet20"));
  engine::Graph& g = model.graph();
  g.initialize(1);
  std::vector<float> x(4 * 16 * 16, 0.25f);
  std::vector<int32_t> y{0, 1, 2, 3};
  auto step = [&] {
    g.forward(engine::Mode::train, x.data(), y.data());
    g.backward();
  };
  step();  // first execution may initialise oneDNN's internals
  const size_t primitives = g.primitives_created();
  g_allocations = g_large_allocations = 0;
  step();
  const size_t first = g_allocations, large = g_large_allocations;
  g_allocations = 0;
  step();
  const size_t second = g_allocations;
  CHECK(g.primitives_created() == primitives);
  CHECK_MESSAGE(large == 0, large << " allocations of 4 KiB or more during a step");
  CHECK_MESSAGE(second == first, "allocations per step changed: " << first << " then " << second);
  MESSAGE("small allocations per step inside oneDNN's execute(): " << first);
}

TEST_CASE("gradient-ready fires once per parameter, in backward order, with the final gradient") {
  engine::Context context;
  layers::Model model(context, tiny("resnet20"));
  engine::Graph& g = model.graph();
  g.initialize(2);
  std::vector<std::string> order;
  std::vector<reference::Tensor> snapshots;
  g.on_gradient_ready([&](engine::Parameter& p) {
    order.push_back(p.name);
    snapshots.push_back(testing::grad_of(p, context));
  });
  std::vector<float> x(4 * 16 * 16);
  for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>((i * 37) % 11) / 11.f - 0.5f;
  std::vector<int32_t> y{3, 1, 4, 1};
  g.forward(engine::Mode::train, x.data(), y.data());
  g.backward();
  const auto params = g.parameters();
  REQUIRE(order.size() == params.size());
  CHECK(std::set<std::string>(order.begin(), order.end()).size() == params.size());
  CHECK(order.front() == "fc.weight");
  CHECK(order.back() == "conv1.weight");
  for (size_t i = 0; i < order.size(); ++i) {
    const reference::Tensor final_grad = testing::grad_of(testing::parameter(g, order[i]), context);
    CHECK_MESSAGE(final_grad.data == snapshots[i].data, order[i] << " changed after its gradient-ready call");
  }
}

TEST_CASE("padding of blocked weights and gradients stays zero through training steps") {
  engine::Context context;
  layers::ResNetConfig c = tiny("resnet20");
  c.classes = 7;
  layers::Model model(context, c);
  engine::Graph& g = model.graph();
  g.initialize(3);
  std::vector<float> x(4 * 16 * 16, -0.3f);
  std::vector<int32_t> y{6, 0, 5, 2};
  for (int s = 0; s < 3; ++s) {
    g.forward(engine::Mode::train, x.data(), y.data());
    g.backward();
    for (engine::Parameter* p : g.parameters()) {
      float* w = p->weight_data();
      const float* d = p->grad_data();
      for (size_t i = 0; i < p->padded_elements(); ++i) w[i] -= 0.1f * d[i];
    }
  }
  for (engine::Parameter* p : g.parameters()) {
    CHECK_MESSAGE(testing::nonzero_padding(p->weight, context) == 0, p->name << " weight padding");
    CHECK_MESSAGE(testing::nonzero_padding(p->grad, context) == 0, p->name << " gradient padding");
  }
}

TEST_CASE("bad configurations are refused with a message that names the problem") {
  engine::Context context;
  auto refused = [&](layers::ResNetConfig c, const std::string& expected) {
    try {
      layers::Model model(context, c);
      FAIL("configuration accepted; expected: " << expected);
    } catch (const Error& e) {
      CHECK_MESSAGE(std::string(e.what()).find(expected) != std::string::npos, e.what());
    }
  };
  layers::ResNetConfig c = tiny("resnet19");
  refused(c, "unknown model 'resnet19'");
  c = tiny("resnet20");
  c.classes = 0;
  refused(c, "classes must be positive");
  c = tiny("resnet20");
  c.batch = 0;
  refused(c, "batch size must be positive");
  c = tiny("resnet18");
  c.image_size = 16;
  refused(c, "needs images of at least 32x32");
  c = tiny("resnet20");
  c.image_size = 2;
  refused(c, "needs images of at least 4x4");
}

TEST_CASE("Graph::layer finds a layer by name and type, and refuses others by name") {
  engine::Context context;
  layers::Model model(context, tiny("resnet20"));
  CHECK(&model.graph().layer<layers::SoftmaxCrossEntropy>("loss") == &model.loss());
  CHECK(model.graph().layer("layer1.0.conv1").name() == "layer1.0.conv1");
  using data::test::error_of;
  const std::string missing = error_of([&] { model.graph().layer("layer9.0.conv1"); });
  CHECK_MESSAGE(missing.find("no layer named 'layer9.0.conv1'") != std::string::npos, missing);
  const std::string wrong = error_of([&] { model.graph().layer<layers::SoftmaxCrossEntropy>("fc"); });
  CHECK_MESSAGE(wrong.find("layer 'fc' is not a") != std::string::npos, wrong);
}
