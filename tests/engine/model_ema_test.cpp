// ModelEma against torch.optim.swa_utils.AveragedModel(use_buffers=True) with torchvision's ema_avg
// over a sequence of model states, a warmup reset included (tests/fixtures/augment_ema.safetensors):
// weights, BN buffers and the i64 count bit for bit, and train.py's decay adjustment.
#include "engine/model_ema.hpp"

#include <doctest/doctest.h>

#include <cstring>

#include "engine/checkpoint/safetensors.hpp"

using namespace dnntrain;
using namespace dnntrain::engine;

namespace {

template <class T>
std::vector<T> values(const Safetensors& st, const std::string& name) {
  const auto bytes = st.bytes(st.at(name));
  std::vector<T> v(bytes.size() / sizeof(T));
  std::memcpy(v.data(), bytes.data(), bytes.size());
  return v;
}

// conv (3, 2, 3, 3) without bias and BN(3), as torch.nn.Sequential names them.
struct TinyModel {
  dnnl::engine cpu{dnnl::engine::kind::cpu, 0};
  std::vector<Parameter> params;
  std::vector<Buffer> buffers;
  TinyModel() {
    using dt = dnnl::memory::data_type;
    using tag = dnnl::memory::format_tag;
    const auto add = [&](const std::string& name, std::vector<int64_t> shape, tag t) {
      Parameter p;
      p.name = name;
      p.shape = shape;
      p.plain_md = dnnl::memory::desc(dnnl::memory::dims(shape.begin(), shape.end()), dt::f32, t);
      p.weight = dnnl::memory(p.plain_md, cpu);
      p.grad = dnnl::memory(p.plain_md, cpu);
      params.push_back(p);
    };
    add("0.weight", {3, 2, 3, 3}, tag::oihw);
    add("1.weight", {3}, tag::a);
    add("1.bias", {3}, tag::a);
    for (const char* name : {"1.running_mean", "1.running_var"}) {
      Buffer b;
      b.name = name;
      b.shape = {3};
      b.value = dnnl::memory(Buffer::desc(Buffer::Type::f32, b.shape), cpu);
      buffers.push_back(b);
    }
    Buffer count;
    count.name = "1.num_batches_tracked";
    count.type = Buffer::Type::i64;
    count.value = dnnl::memory(Buffer::desc(Buffer::Type::i64, {}), cpu);
    buffers.push_back(count);
  }
  std::vector<Parameter*> parameter_ptrs() {
    std::vector<Parameter*> v;
    for (auto& p : params) v.push_back(&p);
    return v;
  }
  std::vector<Buffer*> buffer_ptrs() {
    std::vector<Buffer*> v;
    for (auto& b : buffers) v.push_back(&b);
    return v;
  }
  void load(const Safetensors& st, const std::string& prefix) {
    for (auto& p : params) {
      const auto v = values<float>(st, prefix + p.name);
      std::memcpy(p.weight_data(), v.data(), v.size() * sizeof(float));
    }
    for (auto& b : buffers) {
      const auto bytes = st.bytes(st.at(prefix + b.name));
      std::memcpy(b.bytes().data(), bytes.data(), bytes.size());
    }
  }
};

}  // namespace

TEST_CASE("ModelEma equals torch's AveragedModel with torchvision's ema_avg, warmup reset included") {
  const auto st = Safetensors::read(DNNTRAIN_FIXTURES_DIR "/augment_ema.safetensors");
  const auto in = values<double>(st, "decay_inputs");  // model_ema_decay, world, batch, steps, epochs
  const double decay =
      adjusted_ema_decay(in[0], int64_t(in[1]), int64_t(in[2]), int64_t(in[3]), int64_t(in[4]));
  CHECK(decay == values<double>(st, "decay")[0]);
  TinyModel m;
  m.load(st, "state.0.");
  ModelEma ema(m.parameter_ptrs(), m.buffer_ptrs(), decay);
  for (int s = 0; s < 6; ++s) {
    m.load(st, "state." + std::to_string(s) + ".");
    if (s != 3) ema.update();
    if (s == 1) ema.reset();
  }
  CHECK(ema.n_averaged() == values<int64_t>(st, "ema.n_averaged")[0]);
  const auto averages = ema.parameters("module.");
  for (const Parameter* p : averages) {
    CAPTURE(p->name);
    const auto want = values<float>(st, "ema." + p->name);
    std::vector<float> got(want.size());
    std::memcpy(got.data(), p->weight_data(), got.size() * sizeof(float));
    CHECK(got == want);
  }
  for (const Buffer* b : ema.buffers("module.")) {
    CAPTURE(b->name);
    const auto bytes = st.bytes(st.at("ema." + b->name));
    CHECK(std::memcmp(b->bytes().data(), bytes.data(), bytes.size()) == 0);
  }
}

TEST_CASE("swapping the average in and out restores the model, views carry the prefix and the count") {
  TinyModel m;
  for (auto& p : m.params)
    for (size_t i = 0; i < p.padded_elements(); ++i) p.weight_data()[i] = float(i) + 0.5f;
  ModelEma ema(m.parameter_ptrs(), m.buffer_ptrs(), 0.5);
  ema.update();  // n_averaged 0: a copy
  for (auto& p : m.params)
    for (size_t i = 0; i < p.padded_elements(); ++i) p.weight_data()[i] = 2.f;
  ema.update();  // 0.5 · (i + 0.5) + 0.5 · 2
  ema.swap_with_model();
  CHECK(m.params[0].weight_data()[3] == 0.5f * 3.5f + 1.f);
  ema.swap_with_model();
  CHECK(m.params[0].weight_data()[3] == 2.f);
  const auto views = ema.buffers("model_ema.module.", "model_ema.n_averaged");
  REQUIRE(views.size() == m.buffers.size() + 1);
  CHECK(views.front()->name == "model_ema.module.1.running_mean");
  CHECK(views.back()->name == "model_ema.n_averaged");
  CHECK(views.back()->i64() == 2);
  CHECK(adjusted_ema_decay(0.99998, 1, 128, 32, 2) == doctest::Approx(1.0 - 0.00002 * 128 * 32 / 2));
  CHECK(adjusted_ema_decay(0.5, 1, 128, 32, 2) == 0.0);  // alpha capped at 1
}
