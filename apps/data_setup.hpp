// The data side of train, eval and bench: --dataset/--data-path/--augment/--workers resolved into
// datasets and pipelines, model shape defaults taken from the data, and the adapter that lets the
// engine's trainer pull batches from data::Pipeline (engine and data never include each other).
#pragma once

#include <boost/program_options/options_description.hpp>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "apps/options.hpp"
#include "data/datasets.hpp"
#include "data/pipeline.hpp"
#include "data/sample_transform.hpp"
#include "data/sampler.hpp"
#include "engine/batch_source.hpp"

namespace dnntrain::apps {

struct DataOptions {
  std::string dataset = "fashion-mnist";
  std::string data_path;  // empty: the dataset's default (fashion-mnist: Debian's package)
  std::string augment = "standard";
  int workers = 0;  // pipeline threads; 0: automatic (1 for in-memory data, cores - 1 for image folders)
  bool no_shuffle = false;
  int64_t synthetic_samples = 1024;  // synthetic: training samples (the test split has a quarter)
  bool skip_bad_images = false;
  int64_t max_image_pixels = static_cast<int64_t>(data::kDefaultMaxImagePixels);  // 0: no limit
  std::vector<std::string> class_names;  // image folders: the classes in label order; empty: train's folders
  // ---- issue 24, torchvision recipe: augmentation flags (branch augment) ----
  std::string auto_augment;  // "" (none), ta_wide or ra: applied to the u8 crop before normalising
  int ra_magnitude = 9;      // ra: magnitude bin of 31
  double random_erase = 0;   // RandomErasing probability on the normalised sample
  std::string interpolation = "bilinear";    // resize/RandomResizedCrop: bilinear, bicubic or nearest
  double mixup_alpha = 0, cutmix_alpha = 0;  // batch-level MixUp/CutMix Beta(alpha, alpha); 0: off
  // ---- end issue 24 augmentation flags ----
};

// Registers --dataset, --data-path, --workers and, when `training`, --augment, --no-shuffle.
void add_data_options(boost::program_options::options_description& desc, DataOptions& o, bool training);
// Throws UsageError naming the option (unknown dataset, missing data path, ...).
data::DatasetKind check_data_options(const DataOptions& o);

// Synthetic data is held in memory: its size (samples × image bytes) has a limit. UsageError above it.
void check_synthetic_size(const DataOptions& o, const ModelOptions& model);
// Opens one split. Synthetic data takes its shape from the model options (defaults 3×32×32, 10 classes).
std::shared_ptr<const data::Dataset> open_split(data::DatasetKind kind, const DataOptions& o,
                                                const ModelOptions& model, data::Split split);

// Fills the model options left at 0/"auto" from the data: channels, image size, classes, and the
// model (resnet20 for in-memory sets of 28/32-pixel images, resnet18 otherwise).
void resolve_model_from_data(ModelOptions& model, data::DatasetKind kind, const data::Dataset& train);

// The transform settings of --augment for a model of `image_size` (image folders: the crop side,
// resized first to image_size * 256 / 224; other sets: resized to image_size² when they differ).
data::TransformSettings transform_settings(data::DatasetKind kind, const DataOptions& o, int image_size);

// data::Pipeline seen as the engine's BatchSource.
class PipelineSource final : public engine::BatchSource {
 public:
  PipelineSource(std::shared_ptr<const data::Dataset> dataset, data::DatasetKind kind, const DataOptions& o,
                 int image_size, int batch, bool training, uint64_t seed, data::ShardSpec shard = {});
  void start_epoch(int64_t epoch, int64_t first_batch) override;
  bool next(engine::BatchRef& batch) override;
  int64_t batches_per_epoch() const override;
  double wait_seconds() const override { return pipeline_->wait_seconds(); }
  data::Pipeline& pipeline() { return *pipeline_; }

 private:
  std::unique_ptr<data::Pipeline> pipeline_;
  int64_t samples_ = 0;
  int batch_ = 0;
  bool training_ = false;
  data::ShardSpec shard_;
};

}  // namespace dnntrain::apps
