// Resolution of a preset into one of four transform modes, and the per-sample chain. Fixed-shape
// sets are never copied: crops and flips read the stored image through a view.
#include "data/sample_transform.hpp"

#include <algorithm>

#include "data/image_decode.hpp"
#include "engine/error.hpp"

namespace dnntrain::data {

TransformSettings transform_settings_for(DatasetKind kind, AugmentPreset augment, int image_size) {
  TransformSettings t;
  t.augment = augment;
  if (kind == DatasetKind::imagefolder) {
    t.crop_size = image_size;
    t.resize_size = image_size * 256 / 224;
  } else {
    t.image_size = image_size;  // a no-op when it is the stored size
  }
  return t;
}

AugmentPreset parse_augment_preset(std::string_view name) {
  if (const auto preset = engine::find_named(kAugmentNames, name)) return *preset;
  throw Error("unknown augmentation preset '" + std::string(name) + "'; expected " +
              engine::name_list(kAugmentNames));
}

SampleTransform::SampleTransform(DatasetKind kind, const Dataset& dataset, const TransformSettings& s,
                                 bool training)
    : settings_(s) {
  const bool random = training && s.augment == AugmentPreset::standard;
  DNNTRAIN_CHECK(s.image_size >= 0 && s.pad >= 0, "transform: image size and padding must be >= 0");
  if (dataset.in_memory() && dataset.shape().channels > 0) {
    const Dataset::Shape in = dataset.shape();
    out_ = {in.channels, s.image_size > 0 ? s.image_size : in.height,
            s.image_size > 0 ? s.image_size : in.width};
    mode_ = random ? Mode::pad_crop : Mode::identity;
  } else {
    DNNTRAIN_CHECK(s.crop_size > 0 && s.resize_size > 0, "transform: crop and resize sizes must be > 0");
    out_ = {3, s.crop_size, s.crop_size};
    mode_ = random ? Mode::resized_crop : Mode::resize_center;
  }
  flip_ = random;
  augmenting_ = random && s.auto_augment.policy != AutoAugmentPolicy::none;
  erasing_ = random && s.random_erase > 0;
  DNNTRAIN_CHECK(s.random_erase >= 0 && s.random_erase <= 1,
                 "transform: random erase probability must be in [0, 1]");
  lut_ = NormalizeLut(s.normalization ? s.normalization->mean : normalization_for(kind, out_.channels).mean,
                      s.normalization ? s.normalization->std : normalization_for(kind, out_.channels).std);
  DNNTRAIN_CHECK(lut_.channels() == out_.channels,
                 "transform: normalisation channels differ from the data's");
  if (s.gray_to_rgb && out_.channels == 1) {
    out_.channels = 3;
    gray_copies_ = 2;
  }
}

int32_t SampleTransform::apply(const Dataset& dataset, int64_t index, uint64_t seed, uint64_t epoch,
                               float* dst, Scratch& sc, int64_t repeat) const {
  const Dataset::Sample sample = dataset.sample(index, sc.decoded);
  ImageView img = sample.image;
  if (settings_.image_size > 0 && (img.height != settings_.image_size || img.width != settings_.image_size)) {
    resize_image(img, settings_.image_size, settings_.image_size, sc.sized, sc.resize,
                 settings_.interpolation);
    img = sc.sized.view();
  }
  const CounterRng rng(seed, epoch, static_cast<uint64_t>(index + repeat * dataset.size()));
  const bool flip = flip_ && random_flip(rng, kDrawFlip);
  const auto too_small = [&](int need_h, int need_w) {
    return Error(dataset.describe(index) + ": image " + std::to_string(img.height) + "x" +
                 std::to_string(img.width) + " is smaller than the crop " + std::to_string(need_h) + "x" +
                 std::to_string(need_w) +
                 (settings_.pad > 0 && mode_ == Mode::pad_crop ? " (after padding)" : ""));
  };
  switch (mode_) {
    case Mode::identity:
      if (img.height != out_.height || img.width != out_.width) throw too_small(out_.height, out_.width);
      crop_flip_normalize(img, {0, 0, out_.height, out_.width}, 0, false, lut_, dst);
      break;
    case Mode::pad_crop: {
      if (img.height + 2 * settings_.pad < out_.height || img.width + 2 * settings_.pad < out_.width)
        throw too_small(out_.height, out_.width);
      const CropBox box =
          random_crop_box(img.height, img.width, out_.height, out_.width, settings_.pad, rng, kDrawCropTop);
      if (augmenting_) {
        crop_flip(img, box, settings_.pad, flip, sc.augmented);
        auto_augment(settings_.auto_augment, sc.augmented, rng, kDrawAutoAugment, sc.augment);
        crop_flip_normalize(sc.augmented.view(), {0, 0, out_.height, out_.width}, 0, false, lut_, dst);
      } else {
        crop_flip_normalize(img, box, settings_.pad, flip, lut_, dst);
      }
      break;
    }
    case Mode::resized_crop: {
      const CropBox box = random_resized_crop_box(img.height, img.width, settings_.scale, settings_.ratio,
                                                  rng, kDrawResizedCrop);
      resize_image(img.crop(box.top, box.left, box.height, box.width), out_.height, out_.width, sc.cropped,
                   sc.resize, settings_.interpolation);
      if (augmenting_) {
        crop_flip(sc.cropped.view(), {0, 0, out_.height, out_.width}, 0, flip, sc.augmented);
        auto_augment(settings_.auto_augment, sc.augmented, rng, kDrawAutoAugment, sc.augment);
        crop_flip_normalize(sc.augmented.view(), {0, 0, out_.height, out_.width}, 0, false, lut_, dst);
      } else {
        crop_flip_normalize(sc.cropped.view(), {0, 0, out_.height, out_.width}, 0, flip, lut_, dst);
      }
      break;
    }
    case Mode::resize_center: {
      // A thin image (1x65500 is a valid JPEG) would resize to gigabytes before the crop.
      const int64_t shorter = std::min(img.height, img.width), longer = std::max(img.height, img.width);
      const int64_t resized = settings_.resize_size * (longer * settings_.resize_size / shorter);
      if (resized > static_cast<int64_t>(kDefaultMaxImagePixels))
        throw Error(dataset.describe(index) + ": image " + std::to_string(img.height) + "x" +
                    std::to_string(img.width) + " would resize to " + std::to_string(resized) +
                    " pixels before the centre crop (more than " + std::to_string(kDefaultMaxImagePixels) +
                    "); its aspect ratio is too extreme");
      const Size2 size = shorter_side_size(img.height, img.width, settings_.resize_size);
      if (size.height < out_.height || size.width < out_.width) throw too_small(out_.height, out_.width);
      const CropBox box = center_crop_box(size.height, size.width, out_.height, out_.width);
      if (size.height != img.height || size.width != img.width) {
        // Only the crop of the resized image is computed.
        resize_image(img, size.height, size.width, sc.cropped, sc.resize, settings_.interpolation,
                     {box.top, box.left, box.height, box.width});
        crop_flip_normalize(sc.cropped.view(), {0, 0, box.height, box.width}, 0, false, lut_, dst);
      } else {
        crop_flip_normalize(img, box, 0, false, lut_, dst);
      }
      break;
    }
  }
  const int64_t plane = static_cast<int64_t>(out_.height) * out_.width;
  for (int c = 1; c <= gray_copies_; ++c) std::copy(dst, dst + plane, dst + c * plane);
  if (erasing_ && rng.uniform01(kDrawErase) < settings_.random_erase)
    if (const auto box = random_erasing_box(out_.height, out_.width, settings_.erase_scale,
                                            settings_.erase_ratio, rng, kDrawEraseBox))
      erase(dst, out_.channels, out_.height, out_.width, *box, 0.f);
  return sample.label;
}

}  // namespace dnntrain::data
