// Optimizers against references written from torch.optim's documented update rules (plain loops in
// double), 10 steps, on plain and blocked layouts including padded ones; padding must stay zero and
// the optimizer state must match the reference's state too.
#include "engine/optim/optimizer.hpp"

#include <doctest/doctest.h>
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <memory>

#include "engine/error.hpp"
#include "tests/engine/optim/blocked_parameter.hpp"
#include "tests/reference/compare.hpp"

namespace dnntrain {
namespace {

using engine::OptimizerOptions;
using engine::Parameter;
using testing::Tag;

constexpr int kSteps = 10;
// Relative to the tensor's scale: |got - want| <= 1e-6 * (|want| + max |want|). Elementwise
// relative error alone cannot hold where a float update cancels (momentum of +-2 gradients near 0):
// there float rounding of the O(1) operands dominates, in torch's float arithmetic as in ours.
constexpr double kRtol = 1e-6;

struct Fixture {
  dnnl::engine eng{dnnl::engine::kind::cpu, 0};
  std::vector<std::unique_ptr<Parameter>> owned;
  std::vector<Parameter*> params;

  void add(std::string name, std::vector<int64_t> shape, Tag plain, Tag blocked,
           Parameter::Role role = Parameter::Role::weight) {
    owned.push_back(testing::make_parameter(eng, std::move(name), std::move(shape), plain, blocked, role));
    params.push_back(owned.back().get());
  }
};

// Padded blocked convs (3 and 1 input channels), an unpadded blocked conv, the stem layout, a
// parameter larger than one kernel chunk (threads split it), plain layouts, an fc and BN vectors.
Fixture layouts() {
  Fixture f;
  f.add("conv_pad3.weight", {10, 3, 3, 3}, Tag::oihw, Tag::ABcd16b16a);
  f.add("conv_pad1.weight", {8, 1, 3, 3}, Tag::oihw, Tag::ABcd16b16a);
  f.add("conv_full.weight", {16, 16, 3, 3}, Tag::oihw, Tag::ABcd16b16a);
  f.add("stem.weight", {16, 3, 7, 7}, Tag::oihw, Tag::Acdb16a);
  f.add("big.weight", {64, 64, 3, 3}, Tag::oihw, Tag::ABcd16b16a);
  f.add("plain_conv.weight", {4, 3, 3, 3}, Tag::oihw, Tag::oihw);
  f.add("fc.weight", {10, 20}, Tag::oihw, Tag::ABcd16b16a);
  f.add("bn.weight", {10}, Tag::a, Tag::a, Parameter::Role::norm);
  f.add("bn.bias", {10}, Tag::a, Tag::a, Parameter::Role::norm);
  f.add("fc.bias", {10}, Tag::a, Tag::a, Parameter::Role::bias);
  return f;
}

// The reference: torch.optim's algorithms as documented, in double, on plain values.
struct RefState {
  std::vector<double> w, b, m, v;
};

double reference_weight_decay(const OptimizerOptions& o, const Parameter& p) {
  const bool bias = p.role == Parameter::Role::bias || p.name.ends_with(".bias");
  if (o.bias_weight_decay && bias) return *o.bias_weight_decay;
  if (o.norm_weight_decay && p.role == Parameter::Role::norm) return *o.norm_weight_decay;
  return o.weight_decay;
}

void reference_step(const OptimizerOptions& o, int t, double lr, double wd, const std::vector<double>& g,
                    RefState& s) {
  const size_t n = g.size();
  if (o.kind == OptimizerOptions::Kind::sgd) {
    if (s.b.empty()) s.b.assign(n, 0.0);
    for (size_t i = 0; i < n; ++i) {
      double d = g[i] + wd * s.w[i];
      if (o.momentum != 0) {
        s.b[i] = t == 1 ? d : o.momentum * s.b[i] + (1 - o.dampening) * d;
        d = o.nesterov ? d + o.momentum * s.b[i] : s.b[i];
      }
      s.w[i] -= lr * d;
    }
    return;
  }
  if (s.m.empty()) s.m.assign(n, 0.0), s.v.assign(n, 0.0);
  const bool decoupled = o.kind == OptimizerOptions::Kind::adamw;
  const double bc1 = 1 - std::pow(o.beta1, t), bc2 = 1 - std::pow(o.beta2, t);
  for (size_t i = 0; i < n; ++i) {
    double d = g[i];
    if (decoupled)
      s.w[i] *= 1 - lr * wd;
    else
      d += wd * s.w[i];
    s.m[i] = o.beta1 * s.m[i] + (1 - o.beta1) * d;
    s.v[i] = o.beta2 * s.v[i] + (1 - o.beta2) * d * d;
    s.w[i] -= lr / bc1 * s.m[i] / (std::sqrt(s.v[i]) / std::sqrt(bc2) + o.eps);
  }
}

std::vector<float> to_float(const std::vector<double>& d) { return std::vector<float>(d.begin(), d.end()); }

void check_close(const std::string& what, const std::vector<float>& got, const std::vector<double>& want) {
  const auto w = to_float(want);
  double scale = 0;
  for (double x : want) scale = std::max(scale, std::abs(x));
  const auto r = reference::expect_close(got.data(), w.data(), got.size(), kRtol * scale, kRtol);
  CHECK_MESSAGE(r.ok, what << ": " << r.message);
}

// Runs kSteps of the optimizer and of the reference on every parameter of `f`.
void run_against_reference(const OptimizerOptions& o, Fixture f) {
  std::vector<RefState> ref(f.params.size());
  std::vector<std::vector<float>> masks;
  for (size_t k = 0; k < f.params.size(); ++k) {
    const Parameter& p = *f.params[k];
    const auto w0 = testing::uniform_values(p.elements(), 1000 + k);
    testing::write_plain(p, p.weight, w0);
    ref[k].w.assign(w0.begin(), w0.end());
    masks.push_back(testing::value_mask(p));
  }
  engine::Optimizer opt(f.params, o);
  for (int t = 1; t <= kSteps; ++t) {
    const double lr = (o.kind == OptimizerOptions::Kind::sgd ? 0.1 : 0.01) * (1.0 - 0.05 * t);
    std::vector<std::vector<double>> grads;
    double sq = 0;
    for (size_t k = 0; k < f.params.size(); ++k) {
      const Parameter& p = *f.params[k];
      const auto g = testing::uniform_values(p.elements(), 7919 * t + k, -2.f, 2.f);
      testing::write_plain(p, p.grad, g);
      grads.emplace_back(g.begin(), g.end());
      for (float x : g) sq += static_cast<double>(x) * x;
    }
    double scale = 1;
    if (o.clip_grad_norm > 0) scale = std::min(1.0, o.clip_grad_norm / (std::sqrt(sq) + 1e-6));
    for (size_t k = 0; k < f.params.size(); ++k) {
      for (auto& x : grads[k]) x *= scale;
      reference_step(o, t, lr, reference_weight_decay(o, *f.params[k]), grads[k], ref[k]);
    }
    opt.step(lr);
    REQUIRE(opt.steps() == t);
    size_t s = 0;
    for (size_t k = 0; k < f.params.size(); ++k) {
      const Parameter& p = *f.params[k];
      const std::string where = p.name + " step " + std::to_string(t);
      check_close(where + " weight", testing::read_plain(p, p.weight), ref[k].w);
      CHECK_MESSAGE(testing::nonzero_padding(p, p.weight, masks[k]) == 0,
                    where << ": weight padding not zero");
      CHECK_MESSAGE(testing::nonzero_padding(p, p.grad, masks[k]) == 0, where << ": grad padding not zero");
      for (const std::vector<double>* r : {&ref[k].b, &ref[k].m, &ref[k].v}) {
        if (o.kind == OptimizerOptions::Kind::sgd && (r != &ref[k].b || o.momentum == 0)) continue;
        if (o.kind != OptimizerOptions::Kind::sgd && r == &ref[k].b) continue;
        const auto& st = opt.state().at(s++);
        REQUIRE(st.parameter == &p);
        check_close(where + " " + st.name, testing::read_plain(p, st.memory), *r);
        CHECK_MESSAGE(testing::nonzero_padding(p, st.memory, masks[k]) == 0,
                      where << ": state padding not zero");
      }
    }
    REQUIRE(s == opt.state().size());
  }
}

TEST_CASE("sgd without momentum, with weight decay, matches torch.optim.SGD") {
  OptimizerOptions o;
  o.weight_decay = 1e-2;
  run_against_reference(o, layouts());
}

TEST_CASE("sgd with momentum matches torch.optim.SGD (buffer starts as the first gradient)") {
  OptimizerOptions o;
  o.momentum = 0.9;
  o.weight_decay = 5e-3;
  run_against_reference(o, layouts());
}

TEST_CASE("sgd with momentum and dampening matches torch.optim.SGD") {
  OptimizerOptions o;
  o.momentum = 0.8;
  o.dampening = 0.3;
  o.weight_decay = 1e-3;
  run_against_reference(o, layouts());
}

TEST_CASE("sgd with nesterov momentum matches torch.optim.SGD") {
  OptimizerOptions o;
  o.momentum = 0.9;
  o.nesterov = true;
  o.weight_decay = 1e-2;
  run_against_reference(o, layouts());
}

TEST_CASE("adam with L2 weight decay matches torch.optim.Adam") {
  OptimizerOptions o;
  o.kind = OptimizerOptions::Kind::adam;
  o.beta1 = 0.85;
  o.beta2 = 0.99;
  o.weight_decay = 1e-2;
  run_against_reference(o, layouts());
}

TEST_CASE("adamw with decoupled weight decay matches torch.optim.AdamW") {
  OptimizerOptions o;
  o.kind = OptimizerOptions::Kind::adamw;
  o.weight_decay = 5e-2;
  run_against_reference(o, layouts());
}

TEST_CASE("weight decay exclusions for norm and bias parameters follow torchvision") {
  OptimizerOptions o;
  o.kind = OptimizerOptions::Kind::sgd;
  o.momentum = 0.9;
  o.weight_decay = 1e-2;
  o.norm_weight_decay = 0.0;
  o.bias_weight_decay = 2e-2;
  Fixture f = layouts();
  engine::Optimizer probe(f.params, o);
  CHECK(probe.weight_decay_for(*f.params[0]) == doctest::Approx(1e-2));
  CHECK(probe.weight_decay_for(*f.params[7]) == 0.0);                    // bn.weight: norm
  CHECK(probe.weight_decay_for(*f.params[8]) == doctest::Approx(2e-2));  // bn.bias: bias wins
  CHECK(probe.weight_decay_for(*f.params[9]) == doctest::Approx(2e-2));  // fc.bias
  run_against_reference(o, layouts());
  o.kind = OptimizerOptions::Kind::adamw;
  run_against_reference(o, layouts());
}

TEST_CASE("global gradient-norm clipping matches torch.nn.utils.clip_grad_norm_") {
  OptimizerOptions o;
  o.momentum = 0.9;
  o.clip_grad_norm = 5.0;  // the gradients' norm is ~150: clipping is active every step
  run_against_reference(o, layouts());
  o.kind = OptimizerOptions::Kind::adam;
  o.clip_grad_norm = 1e6;  // inactive: must equal the unclipped update
  run_against_reference(o, layouts());
}

TEST_CASE("a step gives the same bits for 1 and 2 threads") {
  std::vector<std::vector<float>> results;
  const int saved = omp_get_max_threads();
  for (int threads : {1, 2}) {
    omp_set_num_threads(threads);
    Fixture f = layouts();
    OptimizerOptions o;
    o.kind = OptimizerOptions::Kind::adamw;
    o.weight_decay = 0.05;
    o.clip_grad_norm = 3.0;
    for (size_t k = 0; k < f.params.size(); ++k) {
      testing::write_plain(*f.params[k], f.params[k]->weight,
                           testing::uniform_values(f.params[k]->elements(), k));
      testing::write_plain(*f.params[k], f.params[k]->grad,
                           testing::uniform_values(f.params[k]->elements(), 99 + k));
    }
    engine::Optimizer opt(f.params, o);
    for (int t = 0; t < 3; ++t) opt.step(1e-3);
    results.push_back(testing::read_plain(*f.params[4], f.params[4]->weight));
  }
  omp_set_num_threads(saved);
  CHECK(std::memcmp(results[0].data(), results[1].data(), results[0].size() * sizeof(float)) == 0);
}

TEST_CASE("invalid optimizer options and layouts are rejected") {
  Fixture f = layouts();
  OptimizerOptions o;
  o.nesterov = true;  // without momentum
  CHECK_THROWS_AS(engine::Optimizer(f.params, o), Error);
  o = {};
  o.kind = OptimizerOptions::Kind::adam;
  o.beta2 = 1.0;
  CHECK_THROWS_AS(engine::Optimizer(f.params, o), Error);
  CHECK_THROWS_AS(engine::optimizer_kind_from_name("rmsprop"), Error);
  CHECK(engine::optimizer_kind_from_name("adamw") == OptimizerOptions::Kind::adamw);
  // A gradient in another layout than its weight would be updated element by element wrongly.
  Parameter& p = *f.params[0];
  p.grad = dnnl::memory(p.plain_md, f.eng);
  CHECK_THROWS_AS(engine::Optimizer(f.params, OptimizerOptions{}), Error);
}

}  // namespace
}  // namespace dnntrain
