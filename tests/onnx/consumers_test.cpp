// dnntrain export read by real consumers: ONNX Runtime and OpenVINO (PyPI, in the test venv) and
// OpenCV's DNN importer (Debian's python3-opencv, under /usr/bin/python3, whose numpy it is built
// against). Each one's logits must be within 1e-4 of dnntrain's own (dnntrain::Predictor on the same
// images; relative L2 over the batch) with top-1 identical, for the unfolded and the folded export
// of a ResNet-20 trained briefly on Fashion-MNIST (its test set) and of ResNet-18 and ResNet-50 with
// randomised batch-norm statistics (random images).
#include <doctest/doctest.h>

#include <cstring>
#include <dnntrain/predictor.hpp>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "data/dataset.hpp"
#include "data/datasets.hpp"
#include "data/idx.hpp"
#include "engine/checkpoint/safetensors.hpp"
#include "tests/apps/cli_run.hpp"
#include "tests/engine/checkpoint/rewrite_checkpoint.hpp"

namespace fs = std::filesystem;
using namespace dnntrain;
using namespace dnntrain::test;

namespace {

void write_f32(const fs::path& file, const std::vector<float>& values) {
  std::ofstream out(file, std::ios::binary);
  out.write(reinterpret_cast<const char*>(values.data()),
            static_cast<std::streamsize>(values.size() * sizeof(float)));
  REQUIRE(out.good());
}

// dnntrain's logits for images in [0, 1], normalised as the data pipeline does, in chunks.
std::vector<float> our_logits(const ModelSpec& spec, const std::string& checkpoint,
                              const std::vector<float>& images, const data::Normalization& norm) {
  Predictor predictor(spec, checkpoint, {.threads = 2});
  const size_t per_image = spec.image_elements(), plane = per_image / static_cast<size_t>(spec.in_channels);
  std::vector<float> normalised(images.size());
  for (size_t i = 0; i < images.size(); ++i) {
    const size_t c = (i % per_image) / plane;
    normalised[i] = (images[i] - norm.mean[c]) / norm.std[c];
  }
  std::vector<float> logits;
  const size_t chunk = 250 * per_image;
  for (size_t at = 0; at < normalised.size(); at += chunk) {
    const size_t n = std::min(chunk, normalised.size() - at);
    const Predictions p = predictor.predict(std::span<const float>(normalised).subspan(at, n));
    logits.insert(logits.end(), p.logits.begin(), p.logits.end());
  }
  return logits;
}

// Exports `checkpoint` unfolded and folded and runs every consumer on both.
void check_consumers(const fs::path& dir, const std::string& checkpoint, const ModelSpec& spec,
                     const std::vector<float>& images, const std::vector<float>& logits) {
  write_f32(dir / "input.f32", images);
  write_f32(dir / "logits.f32", logits);
  const size_t n = images.size() / spec.image_elements();
  const std::string shape = std::to_string(n) + "," + std::to_string(spec.in_channels) + "," +
                            std::to_string(spec.image_size) + "," + std::to_string(spec.image_size);
  for (const bool fold : {false, true}) {
    const fs::path model = dir / (spec.model + (fold ? "_folded.onnx" : ".onnx"));
    const CliResult exported =
        run_cli("export --checkpoint " + checkpoint + " -o " + model.string() + (fold ? " --fold-bn" : ""));
    INFO(exported.err);
    REQUIRE(exported.code == 0);
    for (const std::string consumer : {"onnxruntime", "openvino", "opencv"}) {
      const std::string python = consumer == "opencv" ? "/usr/bin/python3" : DNNTRAIN_VENV_PYTHON;
      const CliResult r =
          run_shell(python + " " + DNNTRAIN_TEST_DIR + "/check_consumers.py " + consumer + " " +
                    model.string() + " " + (dir / "input.f32").string() + " " +
                    (dir / "logits.f32").string() + " " + shape + " " + std::to_string(spec.classes));
      MESSAGE(r.out);
      INFO(r.err);
      CHECK(r.code == 0);
    }
  }
}

// Multiplies every batch norm's running variance and scale by a factor in [0.5, 2] and shifts its
// running mean and bias by up to ±0.2, per channel, so that the statistics are far from their
// initial 0 and 1 and a wrong epsilon, mean or scale shows.
void randomise_batch_norms(const std::string& from, const std::string& to, uint32_t seed) {
  const engine::Safetensors st = engine::Safetensors::read(from);
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> factor(0.5f, 2.f), shift(-0.2f, 0.2f);
  rewrite_checkpoint(
      from, to, [](Metadata&) {},
      [&](std::vector<uint8_t>& data, const std::map<std::string, uint64_t>&) {
        for (const engine::TensorInfo& t : st.tensors()) {
          const bool bn = t.name.find(".bn") != std::string::npos ||
                          t.name.find("downsample.1") != std::string::npos || t.name.rfind("bn1.", 0) == 0;
          if (!bn || t.dtype != engine::DType::F32) continue;
          const bool scale = t.name.ends_with(".running_var") || t.name.ends_with(".weight");
          for (uint64_t at = t.begin; at < t.end; at += sizeof(float)) {
            float v;
            std::memcpy(&v, data.data() + at, sizeof v);
            v = scale ? v * factor(rng) : v + shift(rng);
            std::memcpy(data.data() + at, &v, sizeof v);
          }
        }
      });
}

}  // namespace

TEST_CASE("ONNX Runtime, OpenVINO and OpenCV match a ResNet-20 trained on Fashion-MNIST over its test set") {
  if (!fs::exists(fs::path(data::kFashionMnistDefaultPath) / "t10k-labels-idx1-ubyte.gz")) {
    MESSAGE("dataset-fashion-mnist is not installed (no " << data::kFashionMnistDefaultPath << "); skipped");
    return;
  }
  const fs::path dir = scratch_dir("onnx_consumers_resnet20");
  const CliResult trained = run_cli(
      "train --dataset fashion-mnist --model resnet20 --steps 200 -b 64 --threads 2 "
      "--print-freq 100 --output-dir " +
      (dir / "run").string());
  INFO(trained.err);
  REQUIRE(trained.code == 0);
  const std::string checkpoint = (dir / "run" / "checkpoint.safetensors").string();

  const auto test = data::read_mnist(data::kFashionMnistDefaultPath, data::Split::test);
  std::vector<float> images(test->pixels().size());
  for (size_t i = 0; i < images.size(); ++i) images[i] = static_cast<float>(test->pixels()[i]) / 255.f;
  const ModelSpec spec{
      .model = "resnet20", .classes = 10, .in_channels = 1, .image_size = 28, .stem = "cifar"};
  const auto norm = data::normalization_for(data::DatasetKind::fashion_mnist, 1);
  check_consumers(dir, checkpoint, spec, images, our_logits(spec, checkpoint, images, norm));
}

TEST_CASE(
    "ONNX Runtime, OpenVINO and OpenCV match ResNet-18 and ResNet-50 with random batch-norm statistics") {
  for (const std::string model : {"resnet18", "resnet50"}) {
    CAPTURE(model);
    const fs::path dir = scratch_dir("onnx_consumers_" + model);
    const CliResult trained = run_cli(
        "train --dataset synthetic --synthetic-samples 64 --image-size 64 -b 16 --steps 3 --threads 2 "
        "--model " +
        model + " --output-dir " + (dir / "run").string());
    INFO(trained.err);
    REQUIRE(trained.code == 0);
    const std::string checkpoint = (dir / "random_bn.safetensors").string();
    randomise_batch_norms((dir / "run" / "checkpoint.safetensors").string(), checkpoint, 7);
    std::mt19937 rng(11);
    std::uniform_real_distribution<float> pixel(0.f, 1.f);
    std::vector<float> images(64 * 3 * 64 * 64);
    for (float& v : images) v = pixel(rng);
    const ModelSpec spec{.model = model, .classes = 10, .in_channels = 3, .image_size = 64};
    const auto norm = data::normalization_for(data::DatasetKind::synthetic, 3);
    check_consumers(dir, checkpoint, spec, images, our_logits(spec, checkpoint, images, norm));
  }
}
