// The per-sample transform chain a preset resolves to (the --augment and --image-size options):
// decode/view → optional N×N resize → crop (random, resized or centre) → flip → normalise, written
// once into the batch.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

#include "data/autoaugment.hpp"
#include "data/dataset.hpp"
#include "data/datasets.hpp"
#include "data/resize.hpp"
#include "data/transforms.hpp"
#include "engine/names.hpp"

namespace dnntrain::data {

// standard: the dataset's usual recipe (CIFAR, MNIST, Fashion-MNIST, synthetic: pad 4 + random crop
// + flip; image folders: RandomResizedCrop(224) + flip in training, Resize(256) + CenterCrop(224) in
// evaluation). none: no random transform (image folders keep their evaluation transform).
enum class AugmentPreset { standard, none };
// --augment's names: the one table behind parsing, help text and errors.
inline constexpr engine::Named<AugmentPreset> kAugmentNames[] = {{AugmentPreset::standard, "standard"},
                                                                 {AugmentPreset::none, "none"}};
// throws: dnntrain::Error naming the choices for a name not in kAugmentNames.
AugmentPreset parse_augment_preset(std::string_view name);

struct TransformSettings {
  AugmentPreset augment = AugmentPreset::standard;
  int image_size = 0;     // > 0: resize every sample to image_size² first (antialiased bilinear)
  int pad = 4;            // fixed-shape sets: RandomCrop padding
  int crop_size = 224;    // image folders: output side
  int resize_size = 256;  // image folders, evaluation: shorter side before the centre crop
  std::array<double, 2> scale{0.08, 1.0};             // RandomResizedCrop
  std::array<double, 2> ratio{3.0 / 4.0, 4.0 / 3.0};  // RandomResizedCrop
  std::optional<Normalization> normalization;         // default: normalization_for(kind)
  bool gray_to_rgb = false;  // one-channel sets: the normalised channel repeated three times
  // The rest of torchvision's training preset, in its order: after crop and flip the policy on the
  // u8 crop, then Normalize, then RandomErasing(p = random_erase, value 0) on the float sample.
  Interpolation interpolation = Interpolation::bilinear;  // every resize
  AutoAugmentSettings auto_augment;
  double random_erase = 0;
  std::array<double, 2> erase_scale{0.02, 0.33}, erase_ratio{0.3, 3.3};
};

// The settings of `augment` for a model of `image_size`: image folders are cropped to image_size,
// resized first to image_size * 256 / 224 for evaluation; other sets are resized to image_size²
// when they differ.
TransformSettings transform_settings_for(DatasetKind kind, AugmentPreset augment, int image_size);

// Which random numbers a sample uses (CounterRng draw ids, per (seed, epoch, sample index)):
// RandomResizedCrop 16..55 (4 per try), the autoaugment policy 64..69 (3 per operation),
// RandomErasing 128 (whether) and 129..168 (4 per try).
enum Draw : uint64_t {
  kDrawCropTop = 0,
  kDrawCropLeft = 1,
  kDrawFlip = 2,
  kDrawResizedCrop = 16,
  kDrawAutoAugment = 64,
  kDrawErase = 128,
  kDrawEraseBox = 129,
};

class SampleTransform {
 public:
  // `training` selects the random recipe of the preset; evaluation never draws random numbers.
  // Throws dnntrain::Error on settings that cannot work (e.g. a crop larger than the padded image).
  SampleTransform(DatasetKind kind, const Dataset& dataset, const TransformSettings& settings, bool training);

  // The shape every sample has in the batch.
  Dataset::Shape output_shape() const { return out_; }
  int64_t output_elements() const { return static_cast<int64_t>(out_.channels) * out_.height * out_.width; }

  // Per-thread buffers; reused, so steady state allocates nothing.
  struct Scratch {
    Image decoded, sized, cropped, augmented;
    ResizeScratch resize;
    AugmentScratch augment;
  };

  // Writes sample `index` of `dataset` as CHW float into dst [output_elements()] and returns its
  // label. A pure function of (dataset, index, seed, epoch, repeat): the random draws come from
  // CounterRng(seed, epoch, index + repeat * dataset.size()), so a repeated sample (--ra-reps) is
  // augmented afresh. Throws dnntrain::Error naming the file if the image is corrupt or smaller
  // than the crop.
  int32_t apply(const Dataset& dataset, int64_t index, uint64_t seed, uint64_t epoch, float* dst,
                Scratch& scratch, int64_t repeat = 0) const;

 private:
  enum class Mode { identity, pad_crop, resized_crop, resize_center };
  Mode mode_;
  bool flip_ = false;
  int gray_copies_ = 0;  // gray_to_rgb: copies of the gray plane after it
  bool augmenting_ = false, erasing_ = false;
  TransformSettings settings_;
  Dataset::Shape out_;
  NormalizeLut lut_;
};

}  // namespace dnntrain::data
