// TensorBoard tags: "step/..." against the optimizer step, "epoch/..." against the epoch number;
// top-1 as a fraction in [0, 1], as in summary.csv.
#include "apps/run_views.hpp"

#include <fmt/format.h>

#include <cstdio>

#include "apps/curves_svg.hpp"
#include "engine/error.hpp"

namespace dnntrain::apps {

RunViews::RunViews(const std::string& output_dir, const std::string& tensorboard) : output_dir_(output_dir) {
  if (tensorboard.empty()) return;
  tensorboard_ = std::make_unique<TensorboardWriter>(
      tensorboard == kTensorboardDefault ? output_dir + "/tensorboard" : tensorboard);
  fmt::print("TensorBoard events: {}\n", tensorboard_->path());
}

void RunViews::on_step(const engine::StepStats& s, double images_per_sec) {
  if (!tensorboard_) return;
  tensorboard_->scalar("step/loss", s.step, s.loss);
  tensorboard_->scalar("step/lr", s.step, s.lr);
  tensorboard_->scalar("step/images_per_sec", s.step, images_per_sec);
}

void RunViews::on_epoch(const EpochSummary& e) {
  if (tensorboard_) {
    tensorboard_->scalar("epoch/train_loss", e.epoch, e.train_loss);
    tensorboard_->scalar("epoch/test_loss", e.epoch, e.test.loss);
    tensorboard_->scalar("epoch/train_top1", e.epoch, e.train_top1);
    tensorboard_->scalar("epoch/test_top1", e.epoch, e.test.top1);
    tensorboard_->scalar("epoch/lr", e.epoch, e.lr);
  }
  try {
    write_run_curves(output_dir_);
  } catch (const Error& error) {
    fmt::print(stderr, "warning: curves.svg not updated: {}\n", error.what());
  }
}

}  // namespace dnntrain::apps
