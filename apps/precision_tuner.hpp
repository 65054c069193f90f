// --precision auto in train and bench: the real timing source behind engine::decide_precision (the
// model planned in each precision, its training steps timed on synthetic data) and the wisdom key.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "engine/context.hpp"
#include "engine/tuning.hpp"
#include "layers/resnet.hpp"

namespace dnntrain::apps {

// Times forward + backward of `config`'s model in the precision asked for, at its batch, on normal
// random images, without planning the whole model: a model with at most two blocks per stage (the
// first block of a stage, and one of the identical blocks after it) is planned (on the first call
// for its precision, followed by one untimed forward) and profiled per layer, and each layer of a
// stage's second block counts as many times as the full model repeats that block.
class ModelStepTimer : public engine::StepTimer {
 public:
  ModelStepTimer(engine::Context& context, layers::ResNetConfig config);
  ~ModelStepTimer() override;
  double step_seconds(engine::Precision p) override;
  // The fastest step of precision p, per layer of the reduced model, with `repeats` set.
  struct Layer {
    engine::LayerTime time;
    int repeats = 1;  // how many layers of the full model it stands for
  };
  const std::vector<Layer>& layers(engine::Precision p) const { return fastest_[index(p)].layers; }

 private:
  static int index(engine::Precision p) { return p == engine::Precision::bf16 ? 1 : 0; }
  struct Fastest {
    double seconds = 0;
    std::vector<Layer> layers;
  };
  engine::Context& context_;
  layers::ResNetConfig config_;
  std::vector<int> blocks_;  // the full model's, per stage
  std::vector<float> images_;
  std::vector<int32_t> labels_;
  std::unique_ptr<layers::Model> models_[2];
  Fastest fastest_[2];
};

// How many layers of a model with `blocks` per stage the layer `name` of the model with at most two
// blocks per stage stands for: a stage's block 1 ("layer2.1.conv1") stands for blocks 1.. of that
// stage, every other layer for itself.
int layer_repeats(const std::string& name, const std::vector<int>& blocks);

// The wisdom key of `config` on `threads` threads: engine::machine_key(), " | ", then every option
// that changes a tensor's shape or a kernel.
std::string tuning_key(const layers::ResNetConfig& config, int threads);

// One layer of the reduced model as measured: its fastest step's forward + backward ms per
// precision (bf16 0: not measured) and the layers of the full model it stands for.
struct TunedLayer {
  std::string name;
  double f32_ms = 0, bf16_ms = 0;
  int repeats = 1;
};

// decide_precision for `config` with the real timer and the default wisdom file. When it measured
// and `layers` is given, fills it with the per-layer timings behind the decision.
engine::PrecisionDecision tune_precision(engine::Context& context, const layers::ResNetConfig& config,
                                         engine::TuneMode mode, std::vector<TunedLayer>* layers = nullptr);

}  // namespace dnntrain::apps
