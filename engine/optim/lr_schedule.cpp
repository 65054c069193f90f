// LR schedules: the closed forms of torch.optim.lr_scheduler (StepLR, MultiStepLR,
// CosineAnnealingLR, ExponentialLR) behind LinearLR / ConstantLR warmup, as torchvision composes them.
#include "engine/optim/lr_schedule.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <numbers>

#include "engine/error.hpp"

namespace dnntrain::engine {

ScheduleOptions::Kind schedule_kind_from_name(const std::string& name) {
  if (const auto kind = find_named(kScheduleNames, name)) return *kind;
  throw Error(fmt::format("unknown LR schedule '{}'; use {}", name, name_list(kScheduleNames)));
}

const char* schedule_kind_name(ScheduleOptions::Kind kind) { return name_of(kScheduleNames, kind).data(); }

LrSchedule::LrSchedule(ScheduleOptions options) : options_(std::move(options)) {
  const auto& o = options_;
  DNNTRAIN_CHECK(o.base_lr >= 0, "LR schedule: base learning rate must be >= 0");
  DNNTRAIN_CHECK(o.kind != ScheduleOptions::Kind::steplr || o.step_size > 0,
                 "LR schedule: steplr needs step_size > 0");
  DNNTRAIN_CHECK(o.kind != ScheduleOptions::Kind::cosineannealinglr || o.t_max > 0,
                 "LR schedule: cosineannealinglr needs t_max > 0 (epochs - warmup epochs)");
  DNNTRAIN_CHECK(o.warmup_epochs >= 0, "LR schedule: warmup epochs must be >= 0");
  DNNTRAIN_CHECK(o.warmup_epochs == 0 || (o.warmup_start_factor > 0 && o.warmup_start_factor <= 1),
                 "LR schedule: warmup start factor must be in (0, 1], as torch's LinearLR requires");
  std::sort(options_.milestones.begin(), options_.milestones.end());  // MultiStepLR uses a Counter
}

double LrSchedule::main_at(int64_t u, int64_t per_epoch) const {
  const auto& o = options_;
  const auto real = [](int64_t v) { return static_cast<double>(v); };
  switch (o.kind) {
    case ScheduleOptions::Kind::constant:
      return o.base_lr;
    case ScheduleOptions::Kind::steplr:
      return o.base_lr * std::pow(o.gamma, real(u / (o.step_size * per_epoch)));
    case ScheduleOptions::Kind::multisteplr: {
      // bisect_right: milestones <= u have passed.
      const auto passed = std::count_if(o.milestones.begin(), o.milestones.end(),
                                        [&](int64_t m) { return m * per_epoch <= u; });
      return o.base_lr * std::pow(o.gamma, real(passed));
    }
    case ScheduleOptions::Kind::cosineannealinglr:
      return o.eta_min +
             (o.base_lr - o.eta_min) * (1 + std::cos(std::numbers::pi * real(u) / real(o.t_max * per_epoch))) / 2;
    case ScheduleOptions::Kind::exponentiallr:
      return o.base_lr * std::pow(o.gamma, real(u) / real(per_epoch));
  }
  return o.base_lr;
}

double LrSchedule::rate(int64_t step, int64_t per_epoch) const {
  const auto& o = options_;
  const int64_t warmup_steps = o.warmup_epochs * per_epoch;
  if (step < warmup_steps) {
    if (o.warmup == ScheduleOptions::Warmup::constant) return o.base_lr * o.warmup_start_factor;
    const double f = o.warmup_start_factor;
    return o.base_lr * (f + (1.0 - f) * static_cast<double>(step) / static_cast<double>(warmup_steps));
  }
  return main_at(step - warmup_steps, per_epoch);
}

double LrSchedule::at_epoch(int64_t epoch) const {
  DNNTRAIN_CHECK(epoch >= 0, "LR schedule: epoch must be >= 0");
  return rate(epoch, 1);
}

double LrSchedule::at_step(int64_t step, int64_t steps_per_epoch) const {
  DNNTRAIN_CHECK(steps_per_epoch > 0 && step >= 0, "LR schedule: steps per epoch must be > 0 and step >= 0");
  return options_.on_updates ? rate(step, steps_per_epoch) : rate(step / steps_per_epoch, 1);
}

std::string LrSchedule::describe() const {
  const auto& o = options_;
  return fmt::format(
      "{} base_lr={} step_size={} gamma={} milestones=[{}] t_max={} eta_min={} warmup_epochs={} warmup={} "
      "warmup_start_factor={}{}",
      schedule_kind_name(o.kind), o.base_lr, o.step_size, o.gamma, fmt::join(o.milestones, ","), o.t_max,
      o.eta_min, o.warmup_epochs, o.warmup == ScheduleOptions::Warmup::linear ? "linear" : "constant",
      o.warmup_start_factor, o.on_updates ? " on_updates" : "");
}

}  // namespace dnntrain::engine
