// Dataset options, their checks, model defaults from the data, and the pipeline adapter.
#include "apps/data_setup.hpp"

#include <fmt/format.h>

#include <boost/program_options.hpp>
#include <filesystem>

#include "apps/command.hpp"
#include "apps/limits.hpp"
#include "data/autoaugment.hpp"
#include "data/idx.hpp"
#include "engine/error.hpp"
#include "engine/names.hpp"

namespace dnntrain::apps {

namespace po = boost::program_options;

void add_data_options(po::options_description& desc, DataOptions& o, bool training) {
  const std::string datasets = engine::name_list(data::kDatasetNames);
  desc.add_options()("dataset", po::value(&o.dataset)->default_value(o.dataset), datasets.c_str())(
      "data-path", po::value(&o.data_path)->default_value(o.data_path),
      "dataset folder (fashion-mnist: /usr/share/datasets/fashion-mnist when empty)")(
      "workers,j", po::value(&o.workers)->default_value(o.workers),
      "data pipeline threads (0: 1 for in-memory data, cores - 1 for image folders; compute keeps every core)")(
      "synthetic-samples", po::value(&o.synthetic_samples)->default_value(o.synthetic_samples),
      "synthetic: training samples (the test split has a quarter as many)")(
      "skip-bad-images", po::bool_switch(&o.skip_bad_images),
      "imagefolder: count corrupt images instead of failing")(
      "max-image-pixels", po::value(&o.max_image_pixels)->default_value(o.max_image_pixels),
      "imagefolder: larger images are bad images, as PIL's MAX_IMAGE_PIXELS (0: no limit)");
  if (training)
    desc.add_options()("augment", po::value(&o.augment)->default_value(o.augment),
                       "standard (pad 4 + crop + flip; image folders: random resized crop + flip) or none")(
        "no-shuffle", po::bool_switch(&o.no_shuffle), "keep the file order instead of a per-epoch shuffle");
  // ---- issue 24, torchvision recipe: augmentation flags (branch augment) ----
  const auto real = [](double& v) { return po::value(&v)->default_value(v, fmt::format("{}", v)); };
  if (training)
    desc.add_options()("auto-augment", po::value(&o.auto_augment)->default_value(o.auto_augment),
                       "ta_wide (TrivialAugmentWide) or ra (RandAugment, 2 ops), after crop and flip; "
                       "empty: none")("ra-magnitude",
                                      po::value(&o.ra_magnitude)->default_value(o.ra_magnitude),
                                      "ra: magnitude bin in [0, 30]")(
        "random-erase", real(o.random_erase), "RandomErasing probability (value 0 on the normalised image)")(
        "mixup-alpha", real(o.mixup_alpha), "MixUp Beta(alpha, alpha) per batch (0: off)")(
        "cutmix-alpha", real(o.cutmix_alpha),
        "CutMix Beta(alpha, alpha) per batch (0: off; with --mixup-alpha one of the two per batch)");
  desc.add_options()("interpolation", po::value(&o.interpolation)->default_value(o.interpolation),
                     "resize and random resized crop: bilinear, bicubic or nearest (antialiased)");
  // ---- end issue 24 augmentation flags ----
}

data::DatasetKind check_data_options(const DataOptions& o) {
  const auto found = engine::find_named(data::kDatasetNames, o.dataset);
  if (!found)
    throw UsageError(fmt::format("--dataset: unknown dataset '{}'; choose {}", o.dataset,
                                 engine::name_list(data::kDatasetNames)));
  const data::DatasetKind kind = *found;
  if (!engine::find_named(data::kAugmentNames, o.augment))
    throw UsageError(
        fmt::format("--augment must be {}, got '{}'", engine::name_list(data::kAugmentNames), o.augment));
  // ---- issue 24, torchvision recipe: augmentation checks (branch augment) ----
  if (!o.auto_augment.empty() && !engine::find_named(data::kAutoAugmentNames, o.auto_augment))
    throw UsageError(fmt::format("--auto-augment must be {} or empty, got '{}'",
                                 engine::name_list(data::kAutoAugmentNames), o.auto_augment));
  if (o.ra_magnitude < 0 || o.ra_magnitude >= data::kMagnitudeBins)
    throw UsageError(
        fmt::format("--ra-magnitude must be in [0, {}], got {}", data::kMagnitudeBins - 1, o.ra_magnitude));
  check_real("--random-erase", o.random_erase, 0, 1);
  check_real("--mixup-alpha", o.mixup_alpha, 0, kMaxMixAlpha);
  check_real("--cutmix-alpha", o.cutmix_alpha, 0, kMaxMixAlpha);
  if (!engine::find_named(data::kInterpolationNames, o.interpolation))
    throw UsageError(fmt::format("--interpolation must be {}, got '{}'",
                                 engine::name_list(data::kInterpolationNames), o.interpolation));
  // ---- end issue 24 augmentation checks ----
  if (o.max_image_pixels < 0)
    throw UsageError(
        fmt::format("--max-image-pixels must be >= 0 (0: no limit), got {}", o.max_image_pixels));
  // Decoding may wait on storage, so workers may exceed the hardware threads, within reason.
  const int max_workers = 4 * hardware_threads();
  if (o.workers < 0 || o.workers > max_workers)
    throw UsageError(
        fmt::format("--workers must be in [0, {}] (4 per hardware thread), got {}", max_workers, o.workers));
  if (o.synthetic_samples < 1)
    throw UsageError(fmt::format("--synthetic-samples must be at least 1, got {}", o.synthetic_samples));
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

void resolve_model_from_data(ModelOptions& m, data::DatasetKind kind, const data::Dataset& train) {
  const data::Dataset::Shape shape = train.shape();
  const bool fixed = train.in_memory() && shape.channels > 0;
  const int channels = fixed ? shape.channels : 3;
  if (m.in_channels == 0) m.in_channels = channels;
  if (m.in_channels != channels)
    throw UsageError(
        fmt::format("--in-channels {} differs from the data's {} channels", m.in_channels, channels));
  if (m.image_size == 0) m.image_size = fixed ? shape.height : 224;
  if (m.classes == 0) m.classes = train.classes();
  if (m.classes < train.classes())
    throw UsageError(
        fmt::format("--classes {} is fewer than the data's {} classes", m.classes, train.classes()));
  if (m.model == "auto")
    m.model = fixed && m.image_size <= 32 && kind != data::DatasetKind::imagefolder ? "resnet20" : "resnet18";
}

data::TransformSettings transform_settings(data::DatasetKind kind, const DataOptions& o, int image_size) {
  data::TransformSettings t =
      data::transform_settings_for(kind, data::parse_augment_preset(o.augment), image_size);
  // ---- issue 24, torchvision recipe: augmentation settings (branch augment) ----
  t.interpolation = *engine::find_named(data::kInterpolationNames, o.interpolation);
  if (!o.auto_augment.empty())
    t.auto_augment.policy = *engine::find_named(data::kAutoAugmentNames, o.auto_augment);
  t.auto_augment.magnitude = o.ra_magnitude;
  t.auto_augment.interpolation = t.interpolation;  // torchvision's presets pass --interpolation on
  t.random_erase = o.random_erase;
  // ---- end issue 24 augmentation settings ----
  return t;
}

PipelineSource::PipelineSource(std::shared_ptr<const data::Dataset> dataset, data::DatasetKind kind,
                               const DataOptions& o, int image_size, int batch, bool training, uint64_t seed,
                               data::ShardSpec shard)
    : samples_(dataset->size()), batch_(batch), training_(training), shard_(shard) {
  data::SampleTransform transform(kind, *dataset, transform_settings(kind, o, image_size), training);
  data::PipelineSettings s;
  s.batch_size = batch;
  s.training = training;
  s.shuffle = training && !o.no_shuffle;
  s.seed = seed;
  s.threads = o.workers;
  s.rank = shard.rank;
  s.world_size = shard.world_size;
  if (training) s.mix = {o.mixup_alpha, o.cutmix_alpha};  // issue 24: MixUp/CutMix (branch augment)
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
