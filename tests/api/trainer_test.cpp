// dnntrain::Trainer: each misuse the issue names is an error naming it; a NaN pixel never reaches the
// weights; resume continues bit for bit; a predictor made from a trainer equals one from its file.
#include <doctest/doctest.h>

#include <cmath>

#include "engine/checkpoint/safetensors.hpp"
#include "tests/api/api_fixture.hpp"
#include "tests/engine/checkpoint/temp_dir.hpp"
#include "tests/support/tensor_values.hpp"

using namespace dnntrain;
using testing::random_images;
using testing::random_labels;

namespace {

const ModelSpec kSpec = testing::resnet20_8px();
const TrainerOptions kOptions{.batch = 4, .lr = 0.02, .momentum = 0.9};

}  // namespace

TEST_CASE("calls out of order throw a dnntrain::Error naming the misuse") {
  const std::vector<float> x = random_images(kSpec, 4, 1);
  const std::vector<int32_t> y = random_labels(kSpec, 4, 2);
  Trainer t(kSpec, kOptions);
  CHECK_THROWS_WITH_AS(t.forward(x, y), doctest::Contains("forward() before initialize()"), Error);
  CHECK_THROWS_WITH_AS(t.evaluate(x, y), doctest::Contains("evaluate() before initialize()"), Error);
  CHECK_THROWS_WITH_AS(t.save_weights("unused"), doctest::Contains("save_weights() before initialize()"),
                       Error);
  t.initialize(1);
  CHECK_THROWS_WITH_AS(t.backward(), doctest::Contains("backward() without a forward()"), Error);
  CHECK_THROWS_WITH_AS(t.step(), doctest::Contains("step() without backward()"), Error);
  t.forward(x, y);
  CHECK_THROWS_WITH_AS(t.step(), doctest::Contains("step() without backward()"), Error);
  t.backward();
  CHECK_THROWS_WITH_AS(t.backward(), doctest::Contains("backward() twice"), Error);
  t.step();
  CHECK_THROWS_WITH_AS(t.step(), doctest::Contains("step() without backward()"), Error);
  t.evaluate(x, y);
  CHECK_THROWS_WITH_AS(t.backward(), doctest::Contains("backward() after an eval-mode forward"), Error);
  CHECK(t.steps() == 1);
}

TEST_CASE("wrong sizes throw naming both sizes") {
  Trainer t(kSpec, kOptions);
  t.initialize(1);
  const std::vector<float> x = random_images(kSpec, 4, 1);
  const std::vector<int32_t> y = random_labels(kSpec, 4, 2);
  CHECK_THROWS_WITH_AS(t.forward(std::span(x).first(3 * 64), std::span(y).first(3)),
                       doctest::Contains("3 images for a trainer planned for batches of 4"), Error);
  CHECK_THROWS_WITH_AS(t.forward(std::span(x).first(100), y), doctest::Contains("100 floats"), Error);
  CHECK_THROWS_WITH_AS(t.forward(x, std::span(y).first(2)), doctest::Contains("2 labels for 4 images"),
                       Error);
  CHECK_THROWS_WITH_AS(t.evaluate(x, std::span(y).first(3)), doctest::Contains("3 labels for 4 images"),
                       Error);
}

TEST_CASE("one NaN pixel is refused before it reaches the weights") {
  Trainer t(kSpec, kOptions);
  t.initialize(1);
  std::vector<float> x = random_images(kSpec, 4, 1);
  const std::vector<int32_t> y = random_labels(kSpec, 4, 2);
  const std::vector<float> clean = x;
  const double before = t.forward(clean, y);
  x[3 * 64 + 7] = std::nanf("");
  CHECK_THROWS_WITH_AS(t.train_step(x, y), doctest::Contains("image 3 holds nan at channel 0, y 0, x 7"),
                       Error);
  CHECK_THROWS_WITH_AS(t.backward(), doctest::Contains("without a forward()"), Error);  // the refused one
  CHECK(t.forward(clean, y) == before);                                 // the weights are unchanged
  Trainer unchecked(kSpec, {.batch = 4, .check_finite_input = false});  // the option turns it off
  unchecked.initialize(1);
  CHECK_NOTHROW(unchecked.forward(x, y));
}

TEST_CASE("save_checkpoint then resume continues bit for bit") {
  testing::TempDir dir;
  Trainer a(kSpec, kOptions);
  a.initialize(3);
  const auto batch = [](int s) {
    return std::pair{random_images(kSpec, 4, 10 + s), random_labels(kSpec, 4, 20 + s)};
  };
  for (int s = 0; s < 2; ++s) a.train_step(batch(s).first, batch(s).second);
  a.save_checkpoint(dir.file("ckpt.safetensors"));
  CHECK(read_metadata(dir.file("ckpt.safetensors")).at("dnntrain.step") == "2");
  std::vector<double> want;
  for (int s = 2; s < 4; ++s) want.push_back(a.train_step(batch(s).first, batch(s).second));
  Trainer b(kSpec, kOptions);
  b.resume(dir.file("ckpt.safetensors"));
  CHECK(b.steps() == 2);
  std::vector<double> got;
  for (int s = 2; s < 4; ++s) got.push_back(b.train_step(batch(s).first, batch(s).second));
  CHECK(got == want);
  CHECK(b.steps() == 4);
}

TEST_CASE("a predictor from a trainer equals one from its saved weights, and evaluate agrees with it") {
  testing::TempDir dir;
  Trainer t = testing::trained(kSpec, 3);
  t.save_weights(dir.file("w.safetensors"));
  const std::vector<float> x = random_images(kSpec, 6, 8);
  const std::vector<int32_t> y = random_labels(kSpec, 6, 9);
  Predictor from_trainer = t.predictor({.eval_batch = 4});
  Predictor from_file(kSpec, dir.file("w.safetensors"), {.eval_batch = 4});
  CHECK(from_trainer.predict(x).logits == from_file.predict(x).logits);
  const Evaluation on_trainer = t.evaluate(x, y), on_predictor = from_file.evaluate(x, y);
  CHECK(on_trainer.samples == 6);
  CHECK(on_trainer.loss == doctest::Approx(on_predictor.loss).epsilon(1e-5));
  CHECK(on_trainer.top1 == on_predictor.top1);
}

TEST_CASE("load_weights fine-tunes: skipped keys keep initialize's values and need it first") {
  testing::TempDir dir;
  testing::trained(kSpec, 1).save_weights(dir.file("w.safetensors"));
  Trainer t(kSpec, kOptions);
  CHECK_THROWS_WITH_AS(t.load_weights(dir.file("w.safetensors"), {"fc."}),
                       doctest::Contains("before initialize()"), Error);
  t.initialize(1);
  t.load_weights(dir.file("w.safetensors"), {"fc."});
  t.save_weights(dir.file("tuned.safetensors"));
  Trainer fresh(kSpec, kOptions);
  fresh.initialize(1);
  fresh.save_weights(dir.file("fresh.safetensors"));
  const auto tuned = engine::Safetensors::read(dir.file("tuned.safetensors"));
  const auto file = engine::Safetensors::read(dir.file("w.safetensors"));
  const auto drawn = engine::Safetensors::read(dir.file("fresh.safetensors"));
  CHECK(testing::values<float>(tuned, "fc.weight") == testing::values<float>(drawn, "fc.weight"));
  CHECK(testing::values<float>(tuned, "fc.weight") != testing::values<float>(file, "fc.weight"));
  CHECK(testing::values<float>(tuned, "conv1.weight") == testing::values<float>(file, "conv1.weight"));
  CHECK(testing::values<float>(tuned, "bn1.running_var") == testing::values<float>(file, "bn1.running_var"));
  CHECK_THROWS_WITH_AS(Trainer(kSpec, {.optimizer = "sdg"}), doctest::Contains("sdg"), Error);
  CHECK_THROWS_WITH_AS(Trainer(kSpec, {.lr = NAN}), doctest::Contains("set_lr: the rate must be finite"), Error);
}

TEST_CASE("a Trainer moves and the moved-from one says so") {
  Trainer a(kSpec, kOptions);
  a.initialize(1);
  Trainer b = std::move(a);
  CHECK(b.steps() == 0);
  CHECK_THROWS_WITH_AS(a.initialize(1), doctest::Contains("moved-from Trainer"), Error);  // NOLINT
}
