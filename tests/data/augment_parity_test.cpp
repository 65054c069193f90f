// The recipe's data transforms against torchvision's outputs on the same inputs
// (tests/fixtures/make_augment_fixtures.py): every autoaugment operation and both policies'
// magnitude tables, resizing with each interpolation, RandomErasing's erase, MixUp and CutMix given
// lambda and the CutMix centre. Also the draws' ranges and Beta(alpha, alpha)'s moments.
#include <doctest/doctest.h>

#include <cmath>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "data/autoaugment.hpp"
#include "data/batch_mix.hpp"
#include "data/resize.hpp"
#include "data/sample_transform.hpp"
#include "data/transforms.hpp"
#include "engine/checkpoint/safetensors.hpp"
#include "tests/support/tensor_values.hpp"

using namespace dnntrain;
using namespace dnntrain::data;

namespace {

const engine::Safetensors& fixture(const std::string& name) {
  static std::map<std::string, engine::Safetensors> files;
  auto it = files.find(name);
  if (it == files.end())
    it = files.emplace(name, engine::Safetensors::read(std::string(DNNTRAIN_FIXTURES_DIR "/") + name)).first;
  return it->second;
}

using testing::values;

Image image_of(const engine::Safetensors& st, const std::string& name) {
  const engine::TensorInfo& t = st.at(name, engine::DType::U8);
  Image img;
  img.resize(static_cast<int>(t.shape[0]), static_cast<int>(t.shape[1]), static_cast<int>(t.shape[2]));
  const auto bytes = st.bytes(t);
  std::memcpy(img.pixels.data(), bytes.data(), bytes.size());
  return img;
}

const std::string kOpNames[] = {"Identity",  "ShearX",     "ShearY",       "TranslateX", "TranslateY",
                                "Rotate",    "Brightness", "Color",        "Contrast",   "Sharpness",
                                "Posterize", "Solarize",   "AutoContrast", "Equalize"};

}  // namespace

TEST_CASE("autoaugment magnitude tables equal torchvision's, both policies, float32 bit for bit") {
  const auto& st = fixture("augment_ops.safetensors");
  for (const std::string image : {"rgb", "gray"}) {
    const Image input = image_of(st, image + ".input");
    for (const auto policy : {AutoAugmentPolicy::ta_wide, AutoAugmentPolicy::ra}) {
      const auto want =
          values<float>(st, image + (policy == AutoAugmentPolicy::ta_wide ? ".table_ta_wide" : ".table_ra"));
      int wrong = 0;
      for (int op = 0; op < kAugmentOps; ++op)
        for (int bin = 0; bin < kMagnitudeBins; ++bin) {
          const float got = static_cast<float>(augment_magnitude(policy, static_cast<AugmentOp>(op), bin,
                                                                 kMagnitudeBins, input.height, input.width));
          const float expected = want[static_cast<size_t>(op * kMagnitudeBins + bin)];
          if (got != expected && ++wrong <= 5)
            MESSAGE(image << std::string(policy == AutoAugmentPolicy::ra ? " ra " : " ta_wide ")
                          << kOpNames[op] << " bin " << bin << ": " << got << " vs torchvision " << expected);
        }
      CHECK(wrong == 0);
    }
  }
}

TEST_CASE("every autoaugment operation is within ±1 of torchvision's uint8 output (nearest, bilinear)") {
  const auto& st = fixture("augment_ops.safetensors");
  AugmentScratch scratch;
  for (const std::string image : {"rgb", "gray"}) {
    const Image input = image_of(st, image + ".input");
    const auto cases = values<double>(st, image + ".cases");  // [K, 6]: policy, op, bin, sign, interp, m
    const auto outputs = values<uint8_t>(st, image + ".outputs");
    const size_t per = input.pixels.size(), k_n = cases.size() / 6;
    REQUIRE(outputs.size() == per * k_n);
    int failed = 0;
    int64_t off_by_one = 0;
    for (size_t k = 0; k < k_n; ++k) {
      const double* c = &cases[6 * k];
      const auto op = static_cast<AugmentOp>(static_cast<int>(c[1]));
      const auto policy = c[0] == 0 ? AutoAugmentPolicy::ta_wide : AutoAugmentPolicy::ra;
      // The magnitude as the policy computes it, signed as torchvision did.
      double m =
          augment_magnitude(policy, op, static_cast<int>(c[2]), kMagnitudeBins, input.height, input.width);
      if (c[3] < 0) m = -m;
      CHECK(static_cast<float>(m) == static_cast<float>(c[5]));
      Image img = input;
      apply_augment_op(img, op, m, c[4] == 0 ? Interpolation::nearest : Interpolation::bilinear, scratch);
      int worst = 0;
      int64_t off_by_more = 0;
      for (size_t i = 0; i < per; ++i) {
        const int d = std::abs(int(img.pixels[i]) - int(outputs[k * per + i]));
        worst = std::max(worst, d);
        off_by_more += d > 1;
        off_by_one += d == 1;
      }
      if (worst > 1) {
        ++failed;
        MESSAGE(image << " " << kOpNames[static_cast<int>(op)] << " m=" << c[5]
                      << std::string(c[4] == 0 ? " nearest" : " bilinear") << ": " << off_by_more << " of "
                      << per << " values differ by more than 1 (max " << worst << ")");
      }
    }
    CHECK(failed == 0);
    MESSAGE(image << ": " << k_n << " cases, " << off_by_one << " of " << k_n * per
                  << " values differ from torchvision's by 1, the rest are equal");
  }
}

TEST_CASE("resize with antialias: bilinear, bicubic and nearest within ±1 of torchvision's F.resize") {
  const auto& st = fixture("augment_resize.safetensors");
  const Image input = image_of(st, "input");
  const auto sizes = values<int64_t>(st, "sizes");
  const Interpolation modes[] = {Interpolation::nearest, Interpolation::bilinear, Interpolation::bicubic};
  ResizeScratch scratch;
  for (int m = 0; m < 3; ++m)
    for (size_t s = 0; s < sizes.size() / 2; ++s) {
      const Image want = image_of(st, "out." + std::to_string(m) + "." + std::to_string(s));
      Image got;
      resize_image(input.view(), static_cast<int>(sizes[2 * s]), static_cast<int>(sizes[2 * s + 1]), got,
                   scratch, modes[m]);
      REQUIRE(got.pixels.size() == want.pixels.size());
      int worst = 0;
      for (size_t i = 0; i < got.pixels.size(); ++i)
        worst = std::max(worst, std::abs(int(got.pixels[i]) - int(want.pixels[i])));
      CHECK_MESSAGE(worst <= (m == 0 ? 0 : 1), engine::name_of(kInterpolationNames, modes[m])
                                                   << " to " << sizes[2 * s] << "x" << sizes[2 * s + 1]
                                                   << ": max difference " << worst);
    }
}

TEST_CASE("RandomErasing's erase of a box equals F.erase, its boxes obey get_params' bounds") {
  const auto& st = fixture("augment_mix.safetensors");
  auto img = values<float>(st, "erase.input");
  const auto box = values<int64_t>(st, "erase.box");
  erase(img.data(), 3, 12, 9, {int(box[0]), int(box[1]), int(box[2]), int(box[3])}, 0.f);
  CHECK(img == values<float>(st, "erase.output"));
  int none = 0;
  for (uint64_t sample = 0; sample < 2000; ++sample) {
    const CounterRng rng(7, 0, sample);
    const auto b = random_erasing_box(24, 31, {0.02, 0.33}, {0.3, 3.3}, rng, kDrawEraseBox);
    if (!b) {
      ++none;
      continue;
    }
    REQUIRE(b->height < 24);
    REQUIRE(b->width < 31);
    REQUIRE(b->top + b->height <= 24);
    REQUIRE(b->left + b->width <= 31);
    const double area = double(b->height) * b->width / (24.0 * 31.0);
    CHECK(area >= 0.01);
    CHECK(area <= 0.4);
  }
  CHECK(none < 20);  // ten failed tries in a row are rare at these sizes
}

TEST_CASE("MixUp and CutMix given lambda and centre equal torchvision's v2 MixUp/CutMix") {
  const auto& st = fixture("augment_mix.safetensors");
  const int n = 5, c = 3, h = 8, w = 10, classes = 7;
  const auto images = values<float>(st, "images");
  const auto labels = values<int32_t>(st, "labels");
  std::vector<float> row(static_cast<size_t>(c * h * w));
  std::vector<int32_t> mixed_labels(n);
  // The soft target lambda·onehot(label) + (1 - lambda)·onehot(mixed label), against torchvision's.
  const auto check_target = [&](const std::string& key, double lambda) {
    const auto want = values<float>(st, key);
    for (int i = 0; i < n; ++i)
      for (int k = 0; k < classes; ++k) {
        const double t = lambda * (labels[i] == k) + (1 - lambda) * (mixed_labels[i] == k);
        CHECK(std::abs(t - want[static_cast<size_t>(i * classes + k)]) < 1e-6);
      }
  };
  SUBCASE("mixup") {
    const double lambda = values<double>(st, "mixup.lambda")[0];
    auto x = images;
    mix_batch({MixChoice::Kind::mixup, lambda, {}}, x.data(), labels.data(), mixed_labels.data(), n, c, h, w,
              row.data());
    const auto want = values<float>(st, "mixup.images");
    double worst = 0;
    for (size_t i = 0; i < x.size(); ++i) worst = std::max(worst, double(std::abs(x[i] - want[i])));
    CHECK_MESSAGE(worst <= 1e-6, "max difference " << worst);
    check_target("mixup.target", lambda);
  }
  SUBCASE("cutmix") {
    const auto centre = values<int64_t>(st, "cutmix.center");
    const MixChoice choice =
        cutmix_box(values<double>(st, "cutmix.lambda")[0], int(centre[0]), int(centre[1]), h, w);
    const auto box = values<int64_t>(st, "cutmix.box");
    CHECK(choice.box.top == box[0]);
    CHECK(choice.box.left == box[1]);
    CHECK(choice.box.height == box[2]);
    CHECK(choice.box.width == box[3]);
    CHECK(choice.lambda == values<double>(st, "cutmix.lambda_adjusted")[0]);
    auto x = images;
    mix_batch(choice, x.data(), labels.data(), mixed_labels.data(), n, c, h, w, row.data());
    CHECK(x == values<float>(st, "cutmix.images"));
    check_target("cutmix.target", choice.lambda);
  }
}

TEST_CASE(
    "Beta(alpha, alpha) from counter draws has the right mean and variance; the two mixes are chosen "
    "evenly") {
  for (const double alpha : {0.2, 1.0, 4.0}) {
    double sum = 0, sum_sq = 0;
    const int n = 20000;
    for (int b = 0; b < n; ++b) {
      const double x = sample_beta(alpha, mix_stream(3, 1, b, 0, 1));
      REQUIRE(x >= 0);
      REQUIRE(x <= 1);
      sum += x, sum_sq += x * x;
    }
    const double mean = sum / n, var = sum_sq / n - mean * mean, want_var = 1.0 / (4 * (2 * alpha + 1));
    CHECK_MESSAGE(std::abs(mean - 0.5) < 0.01, "alpha " << alpha << ": mean " << mean);
    CHECK_MESSAGE(std::abs(var - want_var) < 0.05 * want_var,
                  "alpha " << alpha << ": variance " << var << " vs " << want_var);
  }
  int cutmix = 0;
  for (int b = 0; b < 4000; ++b) {
    const MixChoice c = draw_mix({0.2, 1.0}, 16, 16, mix_stream(3, 0, b, 0, 1));
    cutmix += c.kind == MixChoice::Kind::cutmix;
    REQUIRE(c.kind != MixChoice::Kind::none);
  }
  CHECK(std::abs(cutmix - 2000) < 150);
  // A batch's draws depend on its rank: ranks mix differently, as torchvision's per-process RNGs do.
  CHECK(sample_beta(1.0, mix_stream(3, 0, 5, 0, 2)) != sample_beta(1.0, mix_stream(3, 0, 5, 1, 2)));
}

TEST_CASE("a policy draws every operation and, for signed ones, both signs") {
  AutoAugmentSettings s;
  s.policy = AutoAugmentPolicy::ta_wide;
  std::vector<int> seen(kAugmentOps, 0), negative(kAugmentOps, 0);
  for (uint64_t sample = 0; sample < 3000; ++sample) {
    const AugmentChoice c = draw_augment(s, 0, 32, 32, CounterRng(1, 2, sample), kDrawAutoAugment);
    ++seen[static_cast<int>(c.op)];
    negative[static_cast<int>(c.op)] += c.magnitude < 0;
  }
  for (int op = 0; op < kAugmentOps; ++op) {
    CHECK_MESSAGE(seen[op] > 150, kOpNames[op] << " drawn " << seen[op] << " times of 3000");
    if (augment_op_signed(static_cast<AugmentOp>(op)))
      CHECK_MESSAGE(negative[op] > seen[op] / 4,
                    kOpNames[op] << ": " << negative[op] << " negative of " << seen[op]);
  }
}
