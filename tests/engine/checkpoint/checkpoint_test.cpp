// Checkpoints: plain <-> blocked <-> file round trips, a file written by torch (make_fixture.py)
// loading into blocked parameters, --init strictness and skip prefixes, --resume giving the same bits
// as never stopping, the CRC, and the refusal to save non-finite values.
#include "engine/checkpoint/checkpoint.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <tuple>

#include "engine/checkpoint/atomic_file.hpp"
#include "engine/checkpoint/safetensors.hpp"
#include "engine/error.hpp"
#include "tests/engine/checkpoint/rewrite_checkpoint.hpp"
#include "tests/engine/optim/blocked_parameter.hpp"
#include "tests/reference/compare.hpp"

namespace dnntrain {
namespace {

using engine::Buffer;
using engine::Parameter;
using testing::Tag;

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
Model tiny(bool blocked, int64_t classes = 5) {
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

struct TempDir {
  std::filesystem::path path;
  TempDir() {
    char tmpl[] = "/tmp/dnntrain_ckpt_XXXXXX";
    path = mkdtemp(tmpl);
  }
  ~TempDir() { std::filesystem::remove_all(path); }
  std::string file(const std::string& name) const { return (path / name).string(); }
};

TEST_CASE("blocked -> file -> plain and plain -> file -> blocked round trips are exact") {
  TempDir dir;
  Model blocked = tiny(true), plain = tiny(false), again = tiny(true);
  fill_random(blocked, 11);
  engine::save_weights(dir.file("a.safetensors"), blocked.params, blocked.buffers);
  engine::load_weights(dir.file("a.safetensors"), plain.params, plain.buffers);
  check_same(blocked, plain, "blocked -> plain");
  engine::save_weights(dir.file("b.safetensors"), plain.params, plain.buffers);
  engine::load_weights(dir.file("b.safetensors"), again.params, again.buffers);
  check_same(plain, again, "plain -> blocked");
  // The file holds OIHW values, [out, in] for fc, an I64 0-d count, and exactly the model's keys.
  const auto st = engine::Safetensors::read(dir.file("a.safetensors"));
  CHECK(st.tensors().size() == 9);
  CHECK(st.metadata().at("format") == "pt");
  const auto want = testing::read_plain(blocked.param("fc.weight"), blocked.param("fc.weight").weight);
  const auto& fc = st.at("fc.weight", engine::DType::F32);
  CHECK(fc.shape == std::vector<int64_t>{5, 16});
  CHECK(std::memcmp(st.bytes(fc).data(), want.data(), want.size() * 4) == 0);
  CHECK(st.at("bn1.num_batches_tracked", engine::DType::I64).shape.empty());
  // Padding of the blocked parameters loaded from a file is zero.
  for (Parameter* p : again.params)
    CHECK_MESSAGE(testing::nonzero_padding(*p, p->weight, testing::value_mask(*p)) == 0, p->name);
}

TEST_CASE("a file written by torch (make_fixture.py) loads into blocked parameters") {
  Model m = tiny(true);
  engine::load_weights(DNNTRAIN_CHECKPOINT_FIXTURE_DIR "/torch_tiny.safetensors", m.params, m.buffers);
  for (Parameter* p : m.params) {
    const auto got = testing::read_plain(*p, p->weight);
    const auto want = fixture_values(p->name, p->elements());
    const auto r = reference::expect_close(got.data(), want.data(), got.size(), 0, 0);
    CHECK_MESSAGE(r.ok, p->name << ": " << r.message);
  }
  CHECK(std::ranges::equal(m.buffers[0]->f32(), fixture_values("bn1.running_mean", 10)));
  CHECK(std::ranges::equal(m.buffers[1]->f32(), fixture_values("bn1.running_var", 10)));
  CHECK(m.buffers[2]->i64() == 1234567890123);
}

TEST_CASE("writes a file torch loads") {
  // make_fixture.py check runs this case with DNNTRAIN_CHECKPOINT_OUT set, then loads the file
  // into the torch module with load_state_dict(strict=True) and compares every value.
  Model m = tiny(true);
  engine::load_weights(DNNTRAIN_CHECKPOINT_FIXTURE_DIR "/torch_tiny.safetensors", m.params, m.buffers);
  TempDir dir;
  const char* out = std::getenv("DNNTRAIN_CHECKPOINT_OUT");
  const std::string path = out ? out : dir.file("ours.safetensors");
  engine::save_weights(path, m.params, m.buffers);
  CHECK(engine::Safetensors::read(path).tensors().size() == 9);
}

TEST_CASE("init is strict: one error lists missing, unexpected and mis-shaped keys") {
  TempDir dir;
  Model src = tiny(true, 5);
  fill_random(src, 3);
  engine::save_weights(dir.file("w.safetensors"), src.params, src.buffers);
  Model other = tiny(true, 7);  // another number of classes
  other.add("extra.weight", {4, 3, 3, 3}, Tag::oihw, Tag::oihw);
  other.params.erase(other.params.begin() + 1);  // model lacks bn1.weight: the file has it
  fill_random(other, 99);
  const auto before = testing::read_plain(other.param("conv1.weight"), other.param("conv1.weight").weight);
  try {
    engine::load_weights(dir.file("w.safetensors"), other.params, other.buffers);
    FAIL("a mismatched checkpoint loaded");
  } catch (const Error& e) {
    const std::string msg = e.what();
    CHECK_MESSAGE(msg.find("missing keys (1): extra.weight;") != std::string::npos, msg);
    CHECK_MESSAGE(msg.find("unexpected keys (1): bn1.weight;") != std::string::npos, msg);
    CHECK_MESSAGE(msg.find("mis-shaped keys (2): fc.bias (file F32 [5], model F32 [7]); fc.weight") !=
                      std::string::npos,
                  msg);
    CHECK_MESSAGE(msg.find("w.safetensors") != std::string::npos, msg);
  }
  // Nothing was modified by the failed load.
  CHECK(before == testing::read_plain(other.param("conv1.weight"), other.param("conv1.weight").weight));
  // Skipping prefixes loads the rest and leaves fc alone.
  Model fine = tiny(true, 7);
  fill_random(fine, 5);
  const auto fc_before = testing::read_plain(fine.param("fc.weight"), fine.param("fc.weight").weight);
  engine::load_weights(dir.file("w.safetensors"), fine.params, fine.buffers, {{"fc."}});
  CHECK(fc_before == testing::read_plain(fine.param("fc.weight"), fine.param("fc.weight").weight));
  CHECK(testing::read_plain(fine.param("conv1.weight"), fine.param("conv1.weight").weight) ==
        testing::read_plain(src.param("conv1.weight"), src.param("conv1.weight").weight));
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

TEST_CASE("resume continues with the same bits as never stopping") {
  for (auto kind : {engine::OptimizerOptions::Kind::sgd, engine::OptimizerOptions::Kind::adamw}) {
    CAPTURE(engine::optimizer_kind_name(kind));
    TempDir dir;
    engine::OptimizerOptions o;
    o.kind = kind;
    o.momentum = 0.9;
    o.weight_decay = 1e-2;
    o.norm_weight_decay = 0.0;
    Model straight = tiny(true), first = tiny(true), resumed = tiny(false);  // resume into other layouts
    fill_random(straight, 7);
    fill_random(first, 7);
    fill_random(resumed, 1234);
    engine::Optimizer opt_straight(straight.params, o), opt_first(first.params, o),
        opt_resumed(resumed.params, o);
    train(straight, opt_straight, 0, 6);
    train(first, opt_first, 0, 3);
    engine::TrainingState state;
    state.epoch = 1, state.step = 3, state.batch_in_epoch = 2, state.data_seed = 18446744073709551615ull;
    state.init_seed = 42, state.lr = 0.05 * 0.81, state.schedule = "steplr base_lr=0.05", state.threads = 2;
    state.config = "train --arch resnet50 --opt \"sgd\"\n--lr 0.05";
    state.extra["note"] = "mid-epoch";
    engine::save_checkpoint(dir.file("c.safetensors"), first.params, first.buffers, &opt_first, state);
    const auto back =
        engine::resume_checkpoint(dir.file("c.safetensors"), resumed.params, resumed.buffers, opt_resumed);
    CHECK(back.epoch == 1);
    CHECK(back.step == 3);
    CHECK(back.batch_in_epoch == 2);
    CHECK(back.data_seed == state.data_seed);
    CHECK(back.init_seed == 42);
    CHECK(back.lr == state.lr);
    CHECK(back.schedule == state.schedule);
    CHECK(back.config == state.config);
    CHECK(back.threads == 2);
    CHECK(back.extra.at("note") == "mid-epoch");
    CHECK(opt_resumed.steps() == 3);
    train(resumed, opt_resumed, 3, 3);
    check_same(straight, resumed, "straight vs resumed");
  }
}

TEST_CASE("resume checks the CRC, the optimizer kind and the optimizer state keys") {
  TempDir dir;
  Model m = tiny(true);
  fill_random(m, 1);
  engine::OptimizerOptions o;
  o.momentum = 0.9;
  engine::Optimizer opt(m.params, o);
  train(m, opt, 0, 1);
  const std::string path = dir.file("c.safetensors");
  engine::save_checkpoint(path, m.params, m.buffers, &opt, {});
  {
    engine::OptimizerOptions adam;
    adam.kind = engine::OptimizerOptions::Kind::adam;
    Model r = tiny(true);
    engine::Optimizer other(r.params, adam);
    CHECK_THROWS_WITH_AS(engine::resume_checkpoint(path, r.params, r.buffers, other),
                         doctest::Contains("saved with optimizer 'sgd'"), Error);
  }
  // Weights only: no optimizer state, no position: resume refuses it.
  engine::save_weights(dir.file("w.safetensors"), m.params, m.buffers);
  CHECK_THROWS_AS(engine::resume_checkpoint(dir.file("w.safetensors"), m.params, m.buffers, opt), Error);
  // One flipped bit in the data buffer.
  std::vector<char> bytes((std::istreambuf_iterator<char>(std::ifstream(path, std::ios::binary).rdbuf())),
                          {});
  bytes[bytes.size() - 5] ^= 0x10;
  std::ofstream(dir.file("bad.safetensors"), std::ios::binary)
      .write(bytes.data(), static_cast<long>(bytes.size()));
  CHECK_THROWS_WITH_AS(engine::resume_checkpoint(dir.file("bad.safetensors"), m.params, m.buffers, opt),
                       doctest::Contains("checksum mismatch"), Error);
  CHECK_THROWS_WITH_AS(engine::load_weights(dir.file("bad.safetensors"), m.params, m.buffers),
                       doctest::Contains("checksum mismatch"), Error);
}

TEST_CASE("non-finite values are never saved and the previous checkpoint stays whole") {
  TempDir dir;
  Model m = tiny(true);
  fill_random(m, 1);
  const std::string path = dir.file("c.safetensors");
  engine::save_weights(path, m.params, m.buffers);
  auto values =
      testing::read_plain(m.param("layer1.0.conv1.weight"), m.param("layer1.0.conv1.weight").weight);
  values[17] = std::nanf("");
  testing::write_plain(m.param("layer1.0.conv1.weight"), m.param("layer1.0.conv1.weight").weight, values);
  CHECK_THROWS_WITH_AS(engine::save_weights(path, m.params, m.buffers),
                       doctest::Contains("'layer1.0.conv1.weight' holds nan at flat index 17"), Error);
  m.buffers[1]->f32()[3] = INFINITY;
  CHECK_THROWS_WITH_AS(engine::save_weights(path, m.params, m.buffers), doctest::Contains("tensor"), Error);
  Model check = tiny(true);
  CHECK_NOTHROW(engine::load_weights(path, check.params, check.buffers));
  for (const auto& e : std::filesystem::directory_iterator(dir.path))
    CHECK(!engine::is_atomic_temporary(e.path().filename().string()));
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

TEST_CASE("the checksum covers the header: an edited training position is refused") {
  TempDir dir;
  Model m = tiny(true);
  engine::Optimizer opt(m.params, momentum_sgd());
  const std::string path = saved_checkpoint(dir, m, opt);
  std::string bytes((std::istreambuf_iterator<char>(std::ifstream(path, std::ios::binary).rdbuf())), {});
  for (const auto& [from, to] : {std::pair{"\"dnntrain.step\":\"2\"", "\"dnntrain.step\":\"7\""},
                                 std::pair{"\"dnntrain.epoch\":\"1\"", "\"dnntrain.epoch\":\"0\""}}) {
    std::string edited = bytes;
    const auto at = edited.find(from);
    REQUIRE(at != std::string::npos);
    edited.replace(at, std::string(from).size(), to);
    std::ofstream(dir.file("edited.safetensors"), std::ios::binary) << edited;
    Model r = tiny(true);
    engine::Optimizer other(r.params, momentum_sgd());
    INFO(std::string(from) << " -> " << std::string(to));
    CHECK_THROWS_WITH_AS(
        engine::resume_checkpoint(dir.file("edited.safetensors"), r.params, r.buffers, other),
        doctest::Contains("checksum mismatch"), Error);
  }
}

TEST_CASE("resume refuses a training position out of range and unknown format versions") {
  TempDir dir;
  Model m = tiny(true);
  engine::Optimizer opt(m.params, momentum_sgd());
  const std::string path = saved_checkpoint(dir, m, opt);
  const std::string edited = dir.file("edited.safetensors");
  for (const auto& [key, value, phrase] :
       {std::tuple{"dnntrain.epoch", "-3", "'dnntrain.epoch' is -3"},
        std::tuple{"dnntrain.step", "-1", "'dnntrain.step' is -1"},
        std::tuple{"dnntrain.batch_in_epoch", "1000000", "dnntrain.batch_in_epoch 1000000 exceeds"},
        std::tuple{"dnntrain.world_size", "0", "'dnntrain.world_size' is 0"},
        std::tuple{"dnntrain.threads", "-2", "'dnntrain.threads' is -2"},
        std::tuple{"dnntrain.optimizer.steps", "-5", "'dnntrain.optimizer.steps' is -5"},
        std::tuple{"dnntrain.lr", "nan", "'dnntrain.lr' is not a finite rate"},
        std::tuple{"dnntrain.lr", "inf", "'dnntrain.lr' is not a finite rate"},
        std::tuple{"dnntrain.format_version", "999", "format_version '999' is unknown"},
        std::tuple{"dnntrain.format_version", "1", "cannot be resumed"}}) {
    INFO(std::string(key) << " = " << std::string(value));
    test::rewrite_checkpoint(path, edited, [&](test::Metadata& meta) { meta[key] = value; });
    Model r = tiny(true);
    engine::Optimizer other(r.params, momentum_sgd());
    CHECK_THROWS_WITH_AS(engine::resume_checkpoint(edited, r.params, r.buffers, other),
                         doctest::Contains(phrase), Error);
  }
  // The unedited file, rewritten the same way, resumes: the checks above refuse values, not files.
  test::rewrite_checkpoint(path, edited, [](test::Metadata&) {});
  Model r = tiny(true);
  engine::Optimizer other(r.params, momentum_sgd());
  CHECK(engine::resume_checkpoint(edited, r.params, r.buffers, other).step == 2);
}

TEST_CASE("non-finite weights and optimizer state are refused on load") {
  TempDir dir;
  Model m = tiny(true);
  engine::Optimizer opt(m.params, momentum_sgd());
  const std::string path = saved_checkpoint(dir, m, opt);
  const std::string edited = dir.file("edited.safetensors");
  for (const std::string tensor :
       {"fc.weight", "bn1.running_var", "optimizer.conv1.weight.momentum_buffer"}) {
    const std::string non_finite = "'" + tensor + "' holds a non-finite value";
    for (const float bad : {NAN, INFINITY}) {
      INFO(tensor << " holds " << bad);
      const auto poison = [&](std::vector<uint8_t>& data, const std::map<std::string, uint64_t>& offsets) {
        std::memcpy(data.data() + offsets.at(tensor) + 4, &bad, sizeof bad);
      };
      test::rewrite_checkpoint(
          path, edited, [](test::Metadata&) {}, poison);
      Model r = tiny(true);
      engine::Optimizer other(r.params, momentum_sgd());
      CHECK_THROWS_WITH_AS(engine::resume_checkpoint(edited, r.params, r.buffers, other),
                           doctest::Contains(non_finite.c_str()), Error);
      if (tensor.starts_with("optimizer.")) continue;  // --init ignores optimizer state
      CHECK_THROWS_WITH_AS(engine::load_weights(edited, r.params, r.buffers),
                           doctest::Contains(non_finite.c_str()), Error);
      // A torch-like file (no dnntrain metadata, no checksum) is checked the same way.
      test::rewrite_checkpoint(
          path, edited,
          [](test::Metadata& meta) {
            meta = {{"format", "pt"}};
          },
          poison);
      CHECK_THROWS_WITH_AS(engine::load_weights(edited, r.params, r.buffers),
                           doctest::Contains(non_finite.c_str()), Error);
    }
  }
}

}  // namespace
}  // namespace dnntrain
