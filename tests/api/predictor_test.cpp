// dnntrain::Predictor against independent references: PyTorch's logits for a file PyTorch wrote, the
// engine's unfolded eval-mode logits for the same weights, a log-softmax and an evaluation computed here.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>

#include "engine/checkpoint/safetensors.hpp"
#include "tests/api/api_fixture.hpp"
#include "tests/engine/checkpoint/temp_dir.hpp"
#include "tests/reference/compare.hpp"
#include "tests/support/harness.hpp"
#include "tests/support/tensor_values.hpp"

using namespace dnntrain;
using testing::random_images;

TEST_CASE("Predictor reproduces PyTorch's eval-mode logits from PyTorch's file, at batch 7 and batch 1") {
  const auto io = engine::Safetensors::read(DNNTRAIN_FIXTURES_DIR "/predictor_io.safetensors");
  const std::vector<float> x = testing::values<float>(io, "input"),
                           want = testing::values<float>(io, "logits");
  Predictor predictor(testing::resnet20_8px(), DNNTRAIN_FIXTURES_DIR "/predictor_weights.safetensors");
  const Predictions all = predictor.predict(x);
  REQUIRE(all.samples == 7);
  const auto r = reference::expect_close(all.logits.data(), want.data(), want.size(), 1e-5, 1e-4);
  CHECK_MESSAGE(r.ok, r.message);
  const size_t image = testing::resnet20_8px().image_elements();
  const Predictions one = predictor.predict(std::span(x).subspan(3 * image, image));
  const auto r1 = reference::expect_close(one.logits.data(), want.data() + 3 * 5, 5, 1e-5, 1e-4);
  CHECK_MESSAGE(r1.ok, r1.message);
}

// The predictor runs the folded inference plan; the engine's eval graph normalises after each
// convolution instead, so the two round differently: within 1e-5 relative (docs/numerics.md,
// "Inference plans").
TEST_CASE("Predictor's logits are the engine's within 1e-5 relative, at batch 3 and at batch 1 (1×1 last stage)") {
  testing::TempDir dir;
  const ModelSpec spec = testing::resnet18_32px();
  testing::trained(spec, 2).save_weights(dir.file("w.safetensors"));
  const std::vector<float> x = random_images(spec, 3, 7);
  const std::vector<float> want = testing::engine_eval_logits(spec, dir.file("w.safetensors"), x);
  Predictor predictor(spec, dir.file("w.safetensors"));
  const Predictions got = predictor.predict(x);
  REQUIRE(got.logits.size() == want.size());
  double diff = 0, norm = 0;
  for (size_t i = 0; i < want.size(); ++i) {
    diff += (static_cast<double>(got.logits[i]) - want[i]) * (static_cast<double>(got.logits[i]) - want[i]);
    norm += static_cast<double>(want[i]) * want[i];
  }
  CHECK_MESSAGE(std::sqrt(diff / norm) <= 1e-5, "relative L2 " << std::sqrt(diff / norm));
  for (int i = 0; i < 3; ++i) {  // the engine refuses to plan this model at batch 1 for training
    const Predictions one =
        predictor.predict(std::span(x).subspan(i * spec.image_elements(), spec.image_elements()));
    const auto r = reference::expect_close(one.logits.data(), want.data() + i * 10, 10, 1e-5, 1e-4);
    CHECK_MESSAGE(r.ok, "image " << i << ": " << r.message);
  }
}

TEST_CASE("log-probabilities are the log-softmax of the logits, computed here in double") {
  Predictor predictor(testing::resnet20_8px(), DNNTRAIN_FIXTURES_DIR "/predictor_weights.safetensors");
  const Predictions p = predictor.predict(random_images(testing::resnet20_8px(), 4, 3));
  std::vector<float> want(p.logits.size());
  for (int n = 0; n < p.samples; ++n) {
    const float* row = p.logits.data() + n * p.classes;
    double sum = 0;
    for (int k = 0; k < p.classes; ++k) sum += std::exp(static_cast<double>(row[k]));
    for (int k = 0; k < p.classes; ++k) want[n * p.classes + k] = static_cast<float>(row[k] - std::log(sum));
  }
  const auto r = reference::expect_close(p.log_probs.data(), want.data(), want.size(), 1e-6, 1e-6);
  CHECK_MESSAGE(r.ok, r.message);
}

TEST_CASE(
    "each batch size is planned on first use and kept, the least recently used dropped beyond max_plans") {
  const auto io = engine::Safetensors::read(DNNTRAIN_FIXTURES_DIR "/predictor_io.safetensors");
  const std::vector<float> x = testing::values<float>(io, "input"),
                           want = testing::values<float>(io, "logits");
  const ModelSpec spec = testing::resnet20_8px();
  Predictor predictor(spec, DNNTRAIN_FIXTURES_DIR "/predictor_weights.safetensors", {.max_plans = 2});
  CHECK(predictor.planned_batch_sizes() == std::vector<int>{1});  // the weights were loaded into it
  const auto r =
      reference::expect_close(predictor.predict(x).logits.data(), want.data(), want.size(), 1e-5, 1e-4);
  CHECK_MESSAGE(r.ok, "a new plan holds the loaded weights: " << r.message);
  CHECK(predictor.planned_batch_sizes() == std::vector<int>{7, 1});
  predictor.predict(std::span(x).first(spec.image_elements()));
  CHECK(predictor.planned_batch_sizes() == std::vector<int>{1, 7});
  predictor.predict(std::span(x).first(2 * spec.image_elements()));
  CHECK(predictor.planned_batch_sizes() == std::vector<int>{2, 1});
  const auto again =
      reference::expect_close(predictor.predict(x).logits.data(), want.data(), want.size(), 1e-5, 1e-4);
  CHECK_MESSAGE(again.ok, "planned anew after being dropped: " << again.message);
}

TEST_CASE("Predictor::evaluate equals loss and top-k computed here from predict()'s output") {
  const ModelSpec spec = testing::resnet20_8px();
  Predictor predictor(spec, DNNTRAIN_FIXTURES_DIR "/predictor_weights.safetensors", {.eval_batch = 4});
  const std::vector<float> x = random_images(spec, 10, 4);  // batches of 4, 4 and 2 (padded)
  const std::vector<int32_t> y = testing::random_labels(spec, 10, 5);
  const Predictions p = predictor.predict(x);
  double loss = 0;
  int top1 = 0;
  std::vector<int64_t> confusion(25, 0);
  for (int n = 0; n < 10; ++n) {
    loss -= p.log_probs[n * 5 + y[n]];
    top1 += p.top1(n) == y[n];
    ++confusion[y[n] * 5 + p.top1(n)];
  }
  const Evaluation e = predictor.evaluate(x, y);
  CHECK(e.samples == 10);
  CHECK(e.loss == doctest::Approx(loss / 10).epsilon(1e-5));
  CHECK(e.top1 == doctest::Approx(top1 / 10.0));
  CHECK(e.confusion == confusion);
}

TEST_CASE("sizes are checked: not a whole number of images, labels per image, a file of another model") {
  const ModelSpec spec = testing::resnet20_8px();
  Predictor predictor(spec, DNNTRAIN_FIXTURES_DIR "/predictor_weights.safetensors");
  const std::vector<float> x = random_images(spec, 2, 1);
  CHECK_THROWS_WITH_AS(predictor.predict(std::span(x).first(65)),
                       doctest::Contains("not a whole number of images"), Error);
  CHECK_THROWS_WITH_AS(predictor.predict({}), doctest::Contains("not a whole number of images"), Error);
  const std::vector<int32_t> three(3, 0);
  CHECK_THROWS_WITH_AS(predictor.evaluate(x, three), doctest::Contains("3 labels for 2 images"), Error);
  ModelSpec other = spec;
  other.classes = 10;
  CHECK_THROWS_WITH_AS(Predictor(other, DNNTRAIN_FIXTURES_DIR "/predictor_weights.safetensors"),
                       doctest::Contains("fc.weight"), Error);
  other = spec;
  other.stem = "cifra";
  CHECK_THROWS_WITH_AS(Predictor(other, "unused"), doctest::Contains("ModelSpec::stem"), Error);
}

TEST_CASE("a NaN or infinite input value is refused, named by image, channel and position") {
  const ModelSpec spec = testing::resnet20_8px();
  Predictor predictor(spec, DNNTRAIN_FIXTURES_DIR "/predictor_weights.safetensors");
  std::vector<float> x = random_images(spec, 3, 1);
  x[2 * 64 + 5 * 8 + 6] = std::nanf("");
  CHECK_THROWS_WITH_AS(predictor.predict(x), doctest::Contains("image 2 holds nan at channel 0, y 5, x 6"),
                       Error);
  x[2 * 64 + 5 * 8 + 6] = 0;
  x[64] = -INFINITY;
  CHECK_THROWS_WITH_AS(predictor.predict(x), doctest::Contains("image 1 holds -inf"), Error);
  Predictor unchecked(spec, DNNTRAIN_FIXTURES_DIR "/predictor_weights.safetensors",
                      {.check_finite_input = false});
  CHECK_NOTHROW(unchecked.predict(x));
}

TEST_CASE("a Predictor moves and the moved-from one says so") {
  const ModelSpec spec = testing::resnet20_8px();
  Predictor a(spec, DNNTRAIN_FIXTURES_DIR "/predictor_weights.safetensors");
  const std::vector<float> x = random_images(spec, 2, 1);
  const Predictions before = a.predict(x);
  Predictor b = std::move(a);
  CHECK(b.predict(x).logits == before.logits);
  CHECK_THROWS_WITH_AS(a.predict(x), doctest::Contains("moved-from Predictor"),
                       Error);  // NOLINT(bugprone-use-after-move)
  a = std::move(b);
  CHECK(a.predict(x).logits == before.logits);
}

TEST_CASE("a bf16 Predictor's logits agree with PyTorch's f32 ones to bf16 precision, at every batch size") {
  if (!testing::bf16_available()) return;  // oneDNN 3 has no bf16 convolution below AVX-512
  const auto io = engine::Safetensors::read(DNNTRAIN_FIXTURES_DIR "/predictor_io.safetensors");
  const std::vector<float> x = testing::values<float>(io, "input"),
                           want = testing::values<float>(io, "logits");
  ModelSpec spec = testing::resnet20_8px();
  spec.precision = "bf16";
  Predictor predictor(spec, DNNTRAIN_FIXTURES_DIR "/predictor_weights.safetensors");
  const auto r =
      reference::expect_close(predictor.predict(x).logits.data(), want.data(), want.size(), 0.1, 0.05);
  CHECK_MESSAGE(r.ok, "batch 7 (a plan made after loading): " << r.message);
  const size_t image = spec.image_elements();
  const auto r1 = reference::expect_close(predictor.predict(std::span(x).first(image)).logits.data(),
                                          want.data(), 5, 0.1, 0.05);
  CHECK_MESSAGE(r1.ok, "batch 1 (the plan loaded from the file): " << r1.message);
}
