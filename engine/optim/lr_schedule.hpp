// Learning-rate schedules as pure functions of the epoch (or, with on_updates, of the optimizer step),
// equal to torch.optim.lr_scheduler's values when stepped once per epoch as torchvision's reference
// script does (or once per batch, as timm's --sched-on-updates does). Being pure, a schedule needs no
// state in a checkpoint beyond the step and the options themselves.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "engine/names.hpp"

namespace dnntrain::engine {

struct ScheduleOptions {
  enum class Kind { constant, steplr, multisteplr, cosineannealinglr, exponentiallr };
  enum class Warmup { linear, constant };  // torchvision --lr-warmup-method
  Kind kind = Kind::constant;
  double base_lr = 0.1;
  int64_t step_size = 30;           // steplr
  double gamma = 0.1;               // steplr, multisteplr, exponentiallr
  std::vector<int64_t> milestones;  // multisteplr, any order
  int64_t t_max = 90;               // cosineannealinglr: torchvision uses epochs - warmup_epochs
  double eta_min = 0;               // cosineannealinglr (torchvision --lr-min)
  int64_t warmup_epochs = 0;        // torchvision --lr-warmup-epochs; 0 = no warmup
  Warmup warmup = Warmup::linear;
  double warmup_start_factor = 0.01;  // torchvision --lr-warmup-decay
  // Step per optimizer update rather than per epoch; lengths above stay in epochs and count
  // steps_per_epoch times as many updates (timm's --sched-on-updates).
  bool on_updates = false;
};

// torchvision's --lr-scheduler names: the one table behind parsing, help text and errors.
inline constexpr Named<ScheduleOptions::Kind> kScheduleNames[] = {
    {ScheduleOptions::Kind::constant, "constant"},
    {ScheduleOptions::Kind::steplr, "steplr"},
    {ScheduleOptions::Kind::multisteplr, "multisteplr"},
    {ScheduleOptions::Kind::cosineannealinglr, "cosineannealinglr"},
    {ScheduleOptions::Kind::exponentiallr, "exponentiallr"}};

// A kScheduleNames name -> Kind; throws dnntrain::Error naming the choices for anything else.
ScheduleOptions::Kind schedule_kind_from_name(const std::string& name);
const char* schedule_kind_name(ScheduleOptions::Kind kind);

// Warmup composes as torchvision's SequentialLR([LinearLR(start_factor=f, total_iters=W), main],
// milestones=[W]): for epoch e < W the rate is base * (f + (1 - f) * e / W) (ConstantLR: base * f),
// and from epoch W on it is the main schedule evaluated at e - W, which therefore starts at base.
// So t_max, step_size and milestones count epochs after the warmup, exactly as in torchvision.
class LrSchedule {
 public:
  // throws dnntrain::Error on inconsistent options (step_size <= 0, t_max <= 0, factor out of (0,1]).
  explicit LrSchedule(ScheduleOptions options);

  // The rate for epoch `epoch` (0-based), i.e. after `epoch` calls of scheduler.step().
  double at_epoch(int64_t epoch) const;
  // The rate for the optimizer step `step` (0-based) when an epoch has steps_per_epoch steps: per
  // epoch the rate is constant within an epoch; with on_updates it is torch's schedule stepped after
  // every batch with T_max, step_size, milestones and warmup scaled by steps_per_epoch and
  // ExponentialLR's gamma by 1 / steps_per_epoch (so gamma still applies once per epoch).
  double at_step(int64_t step, int64_t steps_per_epoch) const;

  const ScheduleOptions& options() const { return options_; }
  // One line with every option, e.g. for a checkpoint's metadata.
  std::string describe() const;

 private:
  // The rate after `step` scheduler steps of `per_epoch` steps each (per_epoch 1: per epoch).
  double rate(int64_t step, int64_t per_epoch) const;
  double main_at(int64_t step, int64_t per_epoch) const;
  ScheduleOptions options_;
};

}  // namespace dnntrain::engine
