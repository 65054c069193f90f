// Transforms against hand-computed expectations: exact pixels for pad/crop/flip/normalise,
// PIL's antialiased bilinear values (±1) for resize, RandomResizedCrop bounds and its fallback,
// and the counter-based RNG's ranges.
#include "data/transforms.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <set>

#include "data/resize.hpp"
#include "data/rng.hpp"
#include "data/sample_transform.hpp"
#include "data/synthetic.hpp"

using namespace dnntrain::data;

namespace {

// A 1-channel image h x w with pixel (y, x) = 10 y + x.
Image ramp(int h, int w) {
  Image img;
  img.resize(1, h, w);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) img.row(0, y)[x] = uint8_t(10 * y + x);
  return img;
}

Image row_image(const std::vector<uint8_t>& values) {
  Image img;
  img.resize(1, 1, int(values.size()));
  std::copy(values.begin(), values.end(), img.pixels.begin());
  return img;
}

}  // namespace

TEST_CASE("rng: integer and float mappings stay in range and depend on every key part") {
  const CounterRng a(1, 2, 3);
  for (uint64_t d = 0; d < 2000; ++d) {
    REQUIRE(a.uniform_int(d, 9) < 9);
    const double u = a.uniform01(d);
    REQUIRE((u >= 0.0 && u < 1.0));
  }
  CHECK(a.bits(0) == CounterRng(1, 2, 3).bits(0));
  CHECK(a.bits(0) != CounterRng(0, 2, 3).bits(0));
  CHECK(a.bits(0) != CounterRng(1, 3, 3).bits(0));
  CHECK(a.bits(0) != CounterRng(1, 2, 4).bits(0));
  CHECK(a.uniform_int(5, 1) == 0);
  // The written-down mappings: uniform_int = (bits * n) >> 64, uniform01 = (bits >> 11) * 2^-53.
  const uint64_t b = a.bits(7);
  CHECK(a.uniform_int(7, 1000) == uint64_t((static_cast<unsigned __int128>(b) * 1000) >> 64));
  CHECK(a.uniform01(7) == std::ldexp(double(b >> 11), -53));
}

TEST_CASE("pad + random crop + flip + normalise: exact pixels") {
  const Image img = ramp(4, 5);
  const NormalizeLut lut({0.0f}, {1.0f});
  std::vector<float> out(9);
  // Box in padded coordinates (pad 1): top 1, left 2 -> source rows 0..2, columns 1..3.
  crop_flip_normalize(img.view(), {1, 2, 3, 3}, 1, false, lut, out.data());
  const std::vector<int> expect = {1, 2, 3, 11, 12, 13, 21, 22, 23};
  for (size_t i = 0; i < 9; ++i) CHECK(out[i] == float(expect[i]) / 255.0f);
  crop_flip_normalize(img.view(), {1, 2, 3, 3}, 1, true, lut, out.data());
  const std::vector<int> flipped = {3, 2, 1, 13, 12, 11, 23, 22, 21};
  for (size_t i = 0; i < 9; ++i) CHECK(out[i] == float(flipped[i]) / 255.0f);
  // Pad 2 at the top-left corner: the pad is u8 0 before normalising, i.e. -mean/std afterwards.
  const NormalizeLut lut2({0.5f}, {0.25f});
  crop_flip_normalize(img.view(), {0, 0, 3, 3}, 2, false, lut2, out.data());
  for (size_t i : {0, 1, 2, 3, 4, 5, 6, 7}) CHECK(out[i] == -2.0f);
  CHECK(out[8] == (0.0f / 255.0f - 0.5f) / 0.25f);  // source (0, 0) = 0
  crop_flip_normalize(img.view(), {2, 3, 3, 3}, 2, true, lut2, out.data());
  // rows 0..2, columns 1..3 flipped: first row 3 2 1
  CHECK(out[0] == (3.0f / 255.0f - 0.5f) / 0.25f);
  CHECK(out[8] == (21.0f / 255.0f - 0.5f) / 0.25f);
}

TEST_CASE("normalise: CIFAR-10 constants, (v/255 - mean)/std") {
  const NormalizeLut lut({0.4914f, 0.4822f, 0.4465f}, {0.2470f, 0.2435f, 0.2616f});
  CHECK(lut.channel(0)[255] == doctest::Approx((1.0 - 0.4914) / 0.2470).epsilon(1e-6));
  CHECK(lut.channel(2)[0] == doctest::Approx(-0.4465 / 0.2616).epsilon(1e-6));
  CHECK(lut.channel(1)[128] == doctest::Approx((128 / 255.0 - 0.4822) / 0.2435).epsilon(1e-6));
}

TEST_CASE("random crop: offsets uniform over the inclusive range (CIFAR: 81 of them)") {
  std::set<std::pair<int, int>> seen;
  for (uint64_t i = 0; i < 4000; ++i) {
    const CropBox b = random_crop_box(32, 32, 32, 32, 4, CounterRng(7, 0, i), kDrawCropTop);
    REQUIRE((b.top >= 0 && b.top <= 8 && b.left >= 0 && b.left <= 8));
    seen.insert({b.top, b.left});
  }
  CHECK(seen.size() == 81);
  int flips = 0;
  for (uint64_t i = 0; i < 10000; ++i) flips += random_flip(CounterRng(7, 0, i), kDrawFlip);
  CHECK(flips > 4800);
  CHECK(flips < 5200);
}

TEST_CASE("centre crop rounds half to even, Resize(256) truncates the long side") {
  CHECK(center_crop_box(257, 257, 224, 224).top == 16);  // round(16.5) = 16
  CHECK(center_crop_box(259, 300, 224, 224).top == 18);  // round(17.5) = 18
  CHECK(center_crop_box(259, 300, 224, 224).left == 38);
  CHECK(shorter_side_size(375, 500, 256).height == 256);
  CHECK(shorter_side_size(375, 500, 256).width == 341);  // int(256 * 500 / 375) = int(341.33)
  CHECK(shorter_side_size(500, 375, 256).height == 341);
}

TEST_CASE("resize: PIL antialiased bilinear, hand-computed") {
  ResizeScratch s;
  Image out;
  // 4 -> 2: support 2, weights (0.75, 0.75, 0.25)/1.75 and (0.25, 0.75, 0.75)/1.75.
  resize_image(row_image({0, 100, 200, 255}).view(), 1, 2, out, s);
  CHECK(std::abs(int(out.pixels[0]) - 71) <= 1);   // (75 + 50) / 1.75 = 71.4
  CHECK(std::abs(int(out.pixels[1]) - 209) <= 1);  // (25 + 150 + 191.25) / 1.75 = 209.3
  // 2 -> 4 (upscaling, plain bilinear with half-pixel centres): 0, 25, 75, 100.
  resize_image(row_image({0, 100}).view(), 1, 4, out, s);
  CHECK(out.pixels == std::vector<uint8_t>{0, 25, 75, 100});
  // Separable in 2-D: a 4x4 image with rows r = {0,100,200,255}[y] shrinks to 2x2 rows {71, 209}.
  Image sq;
  sq.resize(1, 4, 4);
  const uint8_t rows[4] = {0, 100, 200, 255};
  for (int y = 0; y < 4; ++y) std::fill(sq.row(0, y), sq.row(0, y) + 4, rows[y]);
  resize_image(sq.view(), 2, 2, out, s);
  CHECK(std::abs(int(out.pixels[0]) - 71) <= 1);
  CHECK(std::abs(int(out.pixels[3]) - 209) <= 1);
  CHECK(out.pixels[0] == out.pixels[1]);
  // A flat image stays flat under a large shrink, and a crop view resizes only its rectangle.
  Image big;
  big.resize(3, 300, 200);
  std::fill(big.pixels.begin(), big.pixels.end(), 123);
  big.row(0, 0)[0] = 0;  // outside the crop below
  resize_image(big.view().crop(10, 10, 280, 180), 7, 5, out, s);
  for (uint8_t v : out.pixels) REQUIRE(v == 123);
}

TEST_CASE("resize: a window of the output equals the same rectangle of the whole resize, bit for bit") {
  Image src;
  src.resize(2, 37, 53);
  for (size_t i = 0; i < src.pixels.size(); ++i) src.pixels[i] = uint8_t((i * 7919 + (i >> 3) * 31) % 251);
  ResizeScratch s;
  Image whole, part;
  for (const Interpolation interpolation : {Interpolation::nearest, Interpolation::bilinear, Interpolation::bicubic})
    for (const Size2 size : {Size2{19, 24}, Size2{80, 61}, Size2{37, 90}, Size2{12, 53}}) {
      resize_image(src.view(), size.height, size.width, whole, s, interpolation);
      for (const ResizeWindow w : {ResizeWindow{0, 0, size.height, size.width}, ResizeWindow{3, 5, 7, 11},
                                   ResizeWindow{size.height - 4, size.width - 9, 4, 9}}) {
        resize_image(src.view(), size.height, size.width, part, s, interpolation, w);
        int differ = 0;
        for (int c = 0; c < 2; ++c)
          for (int y = 0; y < w.height; ++y)
            for (int x = 0; x < w.width; ++x) differ += part.row(c, y)[x] != whole.row(c, w.top + y)[w.left + x];
        INFO("interpolation " << int(interpolation) << ", size " << size.height << "x" << size.width
                              << ", window at " << w.top << "," << w.left);
        CHECK(differ == 0);
      }
    }
}

TEST_CASE("random resized crop: parameters within bounds, and the fallback") {
  int accepted = 0;
  for (uint64_t i = 0; i < 3000; ++i) {
    const CropBox b =
        random_resized_crop_box(375, 500, {0.08, 1.0}, {0.75, 4.0 / 3.0}, CounterRng(3, 1, i), 16);
    REQUIRE((b.height > 0 && b.width > 0 && b.top >= 0 && b.left >= 0));
    REQUIRE((b.top + b.height <= 375 && b.left + b.width <= 500));
    const double area = double(b.height) * b.width / (375.0 * 500.0), aspect = double(b.width) / b.height;
    // Rounding w and h moves area and aspect a little past the drawn values.
    if (area < 0.99) {
      ++accepted;
      CHECK(area >= 0.08 * 0.9);
      CHECK(aspect >= 0.75 * 0.93);
      CHECK(aspect <= 4.0 / 3.0 / 0.93);
    }
  }
  CHECK(accepted > 2500);
  // scale > 1 can never fit: all 10 tries fail, then the centred fallback clamps the aspect ratio.
  CropBox b = random_resized_crop_box(100, 400, {2.0, 3.0}, {0.75, 4.0 / 3.0}, CounterRng(1, 1, 1), 16);
  CHECK(b.height == 100);
  CHECK(b.width == 133);  // round(100 * 4/3)
  CHECK(b.top == 0);
  CHECK(b.left == 133);  // (400 - 133) // 2
  b = random_resized_crop_box(400, 100, {2.0, 3.0}, {0.75, 4.0 / 3.0}, CounterRng(1, 1, 1), 16);
  CHECK(b.width == 100);
  CHECK(b.height == 133);  // round(100 / 0.75)
  CHECK(b.top == 133);
  b = random_resized_crop_box(90, 100, {2.0, 3.0}, {0.75, 4.0 / 3.0}, CounterRng(1, 1, 1), 16);
  CHECK((b.top == 0 && b.left == 0 && b.height == 90 && b.width == 100));
}

TEST_CASE("sample transform (CIFAR preset) equals a naive pad-crop-flip-normalise reference") {
  auto ds = make_synthetic({16, 3, 32, 32, 10, 1});
  TransformSettings settings;
  SampleTransform t(DatasetKind::cifar10, *ds, settings, true);
  REQUIRE(t.output_elements() == 3 * 32 * 32);
  const float mean[3] = {0.4914f, 0.4822f, 0.4465f}, stdv[3] = {0.2470f, 0.2435f, 0.2616f};
  SampleTransform::Scratch scratch;
  std::vector<float> out(3 * 32 * 32);
  int flipped = 0;
  for (int64_t i = 0; i < 16; ++i) {
    const int32_t label = t.apply(*ds, i, 11, 4, out.data(), scratch);
    CHECK(label == ds->label(i));
    const CounterRng rng(11, 4, uint64_t(i));
    const CropBox box = random_crop_box(32, 32, 32, 32, 4, rng, kDrawCropTop);
    const bool flip = random_flip(rng, kDrawFlip);
    flipped += flip;
    // Reference: build the zero-padded 40x40 image explicitly, crop, flip, normalise.
    const uint8_t* src = ds->pixels().data() + i * 3072;
    double worst = 0;
    for (int c = 0; c < 3; ++c) {
      std::vector<uint8_t> padded(40 * 40, 0);
      for (int yy = 0; yy < 32; ++yy)
        for (int xx = 0; xx < 32; ++xx) padded[size_t((yy + 4) * 40 + xx + 4)] = src[c * 1024 + yy * 32 + xx];
      for (int y = 0; y < 32; ++y)
        for (int x = 0; x < 32; ++x) {
          const int py = box.top + y, px = box.left + (flip ? 31 - x : x);
          const float v = (float(padded[size_t(py * 40 + px)]) / 255.0f - mean[c]) / stdv[c];
          worst = std::max(worst, double(std::abs(v - out[size_t(c * 1024 + y * 32 + x)])));
        }
    }
    CAPTURE(i);
    CHECK(worst == 0.0);
  }
  CHECK(flipped > 0);
  CHECK(flipped < 16);
  // Evaluation (or preset none) is the identity plus normalisation.
  SampleTransform eval(DatasetKind::cifar10, *ds, settings, false);
  eval.apply(*ds, 3, 11, 4, out.data(), scratch);
  CHECK(out[1024 + 5] == (float(ds->pixels()[3 * 3072 + 1024 + 5]) / 255.0f - mean[1]) / stdv[1]);
}

TEST_CASE("image_size resizes first, image folders give crop_size outputs") {
  auto ds = make_synthetic({2, 1, 28, 28, 10, 1});
  TransformSettings settings;
  settings.image_size = 56;
  settings.augment = AugmentPreset::none;
  SampleTransform t(DatasetKind::fashion_mnist, *ds, settings, true);
  CHECK(t.output_shape().height == 56);
  SampleTransform::Scratch scratch;
  std::vector<float> out(56 * 56);
  t.apply(*ds, 0, 0, 0, out.data(), scratch);
  // 2x upscale with half-pixel centres: output (0, 0) sits at source (0.25, 0.25), clamped to pixel (0, 0).
  CHECK(out[0] == (float(ds->pixels()[0]) / 255.0f - 0.2860f) / 0.3530f);
}
