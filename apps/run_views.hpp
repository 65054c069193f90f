// What a training run shows besides its logs: TensorBoard scalars (--tensorboard) every printed
// step and every epoch, and curves.svg redrawn from summary.csv after every epoch.
#pragma once

#include <memory>
#include <string>

#include "apps/run_files.hpp"
#include "apps/tensorboard_writer.hpp"

namespace dnntrain::apps {

// The --tensorboard value that means "<output-dir>/tensorboard".
inline constexpr const char* kTensorboardDefault = "<output-dir>/tensorboard";

class RunViews {
 public:
  // `tensorboard`: empty for none, kTensorboardDefault, or a folder.
  RunViews(const std::string& output_dir, const std::string& tensorboard);

  // Scalars step/loss, step/lr, step/images_per_sec at the global step.
  void on_step(const engine::StepStats& s, double images_per_sec);
  // Scalars epoch/{train,test}_{loss,top1} at the epoch number (1-based); then curves.svg. A run
  // whose summary cannot be drawn (a NaN test loss) gets a warning on stderr, not an error.
  void on_epoch(const EpochSummary& e);

 private:
  std::string output_dir_;
  std::unique_ptr<TensorboardWriter> tensorboard_;
};

}  // namespace dnntrain::apps
