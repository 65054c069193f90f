// Dataset options (declarations), the data path check, model defaults from the data, and the pipeline adapter.
#include "apps/data_setup.hpp"

#include <fmt/format.h>

#include <filesystem>

#include "apps/command.hpp"
#include "apps/limits.hpp"
#include "apps/option_table.hpp"
#include "data/autoaugment.hpp"
#include "data/idx.hpp"
#include "engine/error.hpp"
#include "engine/names.hpp"

namespace dnntrain::apps {

void declare_data_options(OptionTable& t, DataOptions& o, DataUse use) {
  const bool training = use == DataUse::training;
  Option& dataset = t.add("dataset", o.dataset).from_checkpoint(FromCheckpoint::preprocessing);
  if (use == DataUse::bench)  // empty: no measurement; check_data_options names the choices
    dataset.help("also measure the time a step waits for this dataset: " + engine::name_list(data::kDatasetNames));
  else
    dataset
        .help("the dataset (auto: found from --data-path's layout: train/ and val/ folders, torchvision's "
              "CIFAR and MNIST folders; fashion-mnist without --data-path)")
        .choices([] {
          std::vector<std::string> names{"auto"};
          for (const auto& row : data::kDatasetNames) names.emplace_back(row.name);
          return names;
        }())
        .torchvision("an image folder");
  t.add("data-path", o.data_path)
      .help("dataset folder (fashion-mnist: /usr/share/datasets/fashion-mnist when empty)")
      .on_resume(OnResume::may_change)
      .per_rank();
  t.add("workers", o.workers)
      .alias("j")
      .help("data pipeline threads (0: 1 for in-memory data, cores - 1 for image folders; compute keeps "
            "every core)")
      .torchvision("16")
      .range(0, 4 * hardware_threads())  // decoding may wait on storage: up to 4 per hardware thread
      .on_resume(OnResume::may_change)
      .per_rank();
  t.flag("gray-to-rgb", o.gray_to_rgb)
      .help("repeat a gray image's channel three times (torchvision's Grayscale(num_output_channels=3)), "
            "so MNIST feeds a 3-channel model")
      .from_checkpoint(FromCheckpoint::preprocessing);
  if (training)
    t.add("train-crop-size", o.train_crop_size)
        .help("image folders: the side of the random resized crop (0: --image-size); sets --image-size when "
              "that is 0")
        .torchvision("224")
        .range(0, kMaxImageSize);
  t.add("interpolation", o.interpolation)
      .help("every resize and the random resized crop (antialiased)")
      .choices(names_of(data::kInterpolationNames))
      .from_checkpoint(FromCheckpoint::preprocessing);
  t.add("val-resize-size", o.val_resize_size)
      .help("image folders, evaluation: the shorter side is resized to this first (0: val crop * 256 / 224)")
      .torchvision("256")
      .range(0, kMaxImageSize)
      .from_checkpoint(FromCheckpoint::preprocessing);
  t.add("val-crop-size", o.val_crop_size)
      .help("image folders, evaluation: the centre crop (0: the training crop; another size evaluates a second "
            "plan of the model with the same weights)")
      .torchvision("224")
      .range(0, kMaxImageSize)
      .from_checkpoint(FromCheckpoint::preprocessing);
  if (use != DataUse::bench)
    t.add("synthetic-samples", o.synthetic_samples)
        .help("synthetic: training samples (the test split has a quarter as many)")
        .range(1, INFINITY);
  t.flag("skip-bad-images", o.skip_bad_images)
      .help("imagefolder: count corrupt images instead of failing")
      .on_resume(OnResume::may_change);
  t.add("max-image-pixels", o.max_image_pixels)
      .help("imagefolder: larger images are bad images, as PIL's MAX_IMAGE_PIXELS (0: no limit)")
      .on_resume(OnResume::may_change);
  if (use == DataUse::evaluation) return;
  t.add("augment", o.augment)
      .help("standard (pad 4 + crop + flip; image folders: random resized crop + flip) or none")
      .choices(names_of(data::kAugmentNames));
  if (!training) return;
  t.flag("no-shuffle", o.no_shuffle).help("keep the file order instead of a per-epoch shuffle");
  t.flag("ra-sampler", o.ra_sampler)
      .help("repeated augmentation (torchvision's RASampler): each sample appears --ra-reps times per epoch "
            "with different augmentation draws; the epoch keeps the dataset's length (torchvision rounds it "
            "down to a multiple of 256)");
  t.add("ra-reps", o.ra_reps).help("--ra-sampler: repetitions of each sample").range(1, 64);
  // The rest of torchvision's training preset (data/sample_transform.hpp, data/batch_mix.hpp).
  t.add("auto-augment", o.auto_augment)
      .help("ta_wide (TrivialAugmentWide) or ra (RandAugment, 2 ops), after crop and flip; empty: none")
      .choices({"ta_wide", "ra", ""});
  t.add("ra-magnitude", o.ra_magnitude).help("ra: magnitude bin").range(0, data::kMagnitudeBins - 1);
  t.add("random-erase", o.random_erase).help("RandomErasing probability (value 0 on the normalised image)").range(0, 1);
  t.add("mixup-alpha", o.mixup_alpha).help("MixUp Beta(alpha, alpha) per batch (0: off)").range(0, kMaxMixAlpha);
  t.add("cutmix-alpha", o.cutmix_alpha)
      .help("CutMix Beta(alpha, alpha) per batch (0: off; with --mixup-alpha one of the two per batch)")
      .range(0, kMaxMixAlpha);
}

data::DatasetKind check_data_options(DataOptions& o) {
  if (o.dataset == "auto") {  // torchvision's train.py reads an image folder from --data-path alone
    if (o.data_path.empty()) {
      o.dataset = "fashion-mnist";
    } else {
      if (!std::filesystem::is_directory(o.data_path))
        throw UsageError(fmt::format("--data-path: '{}' is not a folder", o.data_path));
      try {
        o.dataset = std::string(data::dataset_kind_name(data::detect_dataset_kind(o.data_path)));
      } catch (const Error& e) {
        throw UsageError(fmt::format("--data-path {}", e.what()));
      }
    }
  }
  const auto found = engine::find_named(data::kDatasetNames, o.dataset);
  if (!found)
    throw UsageError(fmt::format("--dataset: unknown dataset '{}'; choose {}", o.dataset,
                                 engine::name_list(data::kDatasetNames)));
  const data::DatasetKind kind = *found;
  if (kind == data::DatasetKind::synthetic) return kind;
  std::string path = o.data_path;
  if (path.empty() && kind == data::DatasetKind::fashion_mnist) path = data::kFashionMnistDefaultPath;
  if (path.empty()) throw UsageError(fmt::format("--data-path is required for --dataset {}", o.dataset));
  if (!std::filesystem::is_directory(path))
    throw UsageError(fmt::format("--data-path: '{}' is not a folder{}", path,
                                 kind == data::DatasetKind::fashion_mnist && o.data_path.empty()
                                     ? " (apt-get install dataset-fashion-mnist)"
                                     : ""));
  return kind;
}

void check_synthetic_size(const DataOptions& o, const ModelOptions& model) {
  const int64_t channels = model.in_channels > 0 ? model.in_channels : 3;
  const int64_t size = model.image_size > 0 ? model.image_size : 32;
  const auto bytes = checked_product({o.synthetic_samples, channels, size, size});
  if (!bytes || *bytes > kMaxSyntheticBytes)
    throw UsageError(
        fmt::format("--synthetic-samples {} of {}x{}x{} images exceed the {}-byte limit of "
                    "synthetic data; lower --synthetic-samples or --image-size",
                    o.synthetic_samples, channels, size, size, kMaxSyntheticBytes));
}

std::shared_ptr<const data::Dataset> open_split(data::DatasetKind kind, const DataOptions& o,
                                                const ModelOptions& model, data::Split split) {
  data::DatasetOptions d;
  d.path = o.data_path;
  d.split = split;
  d.image_folder.skip_bad_images = o.skip_bad_images;
  d.image_folder.max_image_pixels = static_cast<uint64_t>(o.max_image_pixels);
  d.image_folder.class_names = o.class_names;
  d.synthetic.samples =
      split == data::Split::train ? o.synthetic_samples : std::max<int64_t>(1, o.synthetic_samples / 4);
  d.synthetic.channels = model.in_channels > 0 ? model.in_channels : 3;
  d.synthetic.height = d.synthetic.width = model.image_size > 0 ? model.image_size : 32;
  d.synthetic.classes = model.classes > 0 ? model.classes : 10;
  if (kind == data::DatasetKind::synthetic) check_synthetic_size(o, model);
  return data::open_dataset(kind, d);
}

void resolve_model_from_data(ModelOptions& m, data::DatasetKind kind, const data::Dataset& train,
                             const DataOptions& o) {
  const data::Dataset::Shape shape = train.shape();
  const bool fixed = train.in_memory() && shape.channels > 0;
  const int channels = !fixed || (o.gray_to_rgb && shape.channels == 1) ? 3 : shape.channels;
  if (m.in_channels == 0) m.in_channels = channels;
  if (m.in_channels != channels)
    throw UsageError(
        fmt::format("--in-channels {} differs from the data's {} channels{}", m.in_channels, channels,
                    channels == 1 ? " (--gray-to-rgb repeats a gray channel three times)" : ""));
  if (m.image_size == 0) m.image_size = fixed ? shape.height : 224;
  if (m.classes == 0) m.classes = train.classes();
  if (m.classes < train.classes())
    throw UsageError(
        fmt::format("--classes {} is fewer than the data's {} classes", m.classes, train.classes()));
  if (m.model == "auto")
    m.model = fixed && m.image_size <= 32 && kind != data::DatasetKind::imagefolder ? "resnet20" : "resnet18";
}

data::TransformSettings transform_settings(data::DatasetKind kind, const DataOptions& o, int image_size,
                                           bool training) {
  data::TransformSettings t = data::transform_settings_for(kind, data::parse_augment_preset(o.augment), image_size);
  t.gray_to_rgb = o.gray_to_rgb;
  t.interpolation = *engine::find_named(data::kInterpolationNames, o.interpolation);
  if (!o.auto_augment.empty())
    t.auto_augment.policy = *engine::find_named(data::kAutoAugmentNames, o.auto_augment);
  t.auto_augment.magnitude = o.ra_magnitude;
  t.auto_augment.interpolation = t.interpolation;  // torchvision's presets pass --interpolation on
  t.random_erase = o.random_erase;
  if (kind == data::DatasetKind::imagefolder && !training) {
    if (o.val_crop_size > 0) t.crop_size = o.val_crop_size;
    t.resize_size = o.val_resize_size > 0 ? o.val_resize_size : t.crop_size * 256 / 224;
  }
  return t;
}

PipelineSource::PipelineSource(std::shared_ptr<const data::Dataset> dataset, data::DatasetKind kind,
                               const DataOptions& o, int image_size, int batch, bool training, uint64_t seed,
                               data::ShardSpec shard)
    : samples_(dataset->size()), batch_(batch), training_(training), shard_(shard) {
  data::SampleTransform transform(kind, *dataset, transform_settings(kind, o, image_size, training), training);
  data::PipelineSettings s;
  s.batch_size = batch;
  s.training = training;
  s.shuffle = training && !o.no_shuffle;
  s.seed = seed;
  s.threads = o.workers;
  s.rank = shard.rank;
  s.world_size = shard.world_size;
  s.repeats = training && o.ra_sampler ? o.ra_reps : 1;
  if (training) s.mix = {o.mixup_alpha, o.cutmix_alpha};
  pipeline_ = std::make_unique<data::Pipeline>(std::move(dataset), std::move(transform), s);
}

// Known before the first epoch starts: training drops the last partial batch of equal shards;
// evaluation reads this shard's every sample (positions rank, rank + W, ...).
int64_t PipelineSource::batches_per_epoch() const {
  const int64_t w = shard_.world_size;
  if (training_) return samples_ / w / batch_;
  const int64_t mine = (samples_ - shard_.rank + w - 1) / w;
  return (mine + batch_ - 1) / batch_;
}

void PipelineSource::start_epoch(int64_t epoch, int64_t first_batch) {
  pipeline_->start_epoch(static_cast<uint64_t>(epoch), first_batch);
}

bool PipelineSource::next(engine::BatchRef& batch) {
  data::BatchView view;
  if (!pipeline_->next(view)) return false;
  batch = {view.images, view.labels, view.n, view.mix_labels, view.mix_lambda};
  return true;
}

}  // namespace dnntrain::apps
