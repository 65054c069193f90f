// LR schedules against their closed forms at chosen epochs and steps (warmup included), and against
// the values torch.optim.lr_scheduler printed per epoch into lr_schedule_torch.txt and per batch
// into lr_schedule_torch_updates.txt (make_fixture.py).
#include "engine/optim/lr_schedule.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <fstream>
#include <map>
#include <numbers>
#include <sstream>

#include "engine/error.hpp"

namespace dnntrain {
namespace {

using engine::LrSchedule;
using engine::ScheduleOptions;
using K = ScheduleOptions::Kind;

void check_rate(const LrSchedule& s, int64_t epoch, double want) {
  const double got = s.at_epoch(epoch);
  const double abs = std::abs(got - want), rel = abs / std::max(std::abs(want), 1e-300);
  CHECK_MESSAGE(rel <= 1e-12, s.describe() << " epoch " << epoch << ": got " << got << " want " << want
                                           << " (abs err " << abs << ", rel err " << rel << ")");
}

TEST_CASE("closed forms without warmup") {
  ScheduleOptions o;
  o.base_lr = 0.1;
  o.kind = K::constant;
  check_rate(LrSchedule(o), 57, 0.1);
  o.kind = K::steplr;
  o.step_size = 30;
  o.gamma = 0.1;
  check_rate(LrSchedule(o), 29, 0.1);
  check_rate(LrSchedule(o), 30, 0.1 * 0.1);
  check_rate(LrSchedule(o), 89, 0.1 * 0.1 * 0.1);
  o.kind = K::multisteplr;
  o.milestones = {80, 30, 60};  // order does not matter
  check_rate(LrSchedule(o), 29, 0.1);
  check_rate(LrSchedule(o), 30, 0.01);
  check_rate(LrSchedule(o), 79, 0.1 * 0.1 * 0.1);
  check_rate(LrSchedule(o), 80, 0.1 * 0.1 * 0.1 * 0.1);
  o.kind = K::exponentiallr;
  o.gamma = 0.97;
  check_rate(LrSchedule(o), 0, 0.1);
  check_rate(LrSchedule(o), 10, 0.1 * std::pow(0.97, 10));
  o.kind = K::cosineannealinglr;
  o.t_max = 100;
  o.eta_min = 1e-4;
  check_rate(LrSchedule(o), 0, 0.1);
  check_rate(LrSchedule(o), 50, 1e-4 + (0.1 - 1e-4) / 2);
  check_rate(LrSchedule(o), 25, 1e-4 + (0.1 - 1e-4) * (1 + std::cos(std::numbers::pi / 4)) / 2);
  check_rate(LrSchedule(o), 100, 1e-4);
}

TEST_CASE("linear and constant warmup compose as torchvision's SequentialLR") {
  ScheduleOptions o;
  o.base_lr = 0.5;
  o.kind = K::cosineannealinglr;
  o.warmup_epochs = 5;
  o.warmup_start_factor = 0.01;
  o.t_max = 95;  // epochs - warmup epochs
  const LrSchedule s(o);
  check_rate(s, 0, 0.5 * 0.01);
  check_rate(s, 2, 0.5 * (0.01 + 0.99 * 2 / 5));
  check_rate(s, 4, 0.5 * (0.01 + 0.99 * 4 / 5));
  check_rate(s, 5, 0.5);  // the main schedule starts at its own epoch 0
  check_rate(s, 5 + 40, 0.5 * (1 + std::cos(std::numbers::pi * 40 / 95)) / 2);
  // Per-step lookup: constant within an epoch.
  CHECK(s.at_step(0, 100) == s.at_epoch(0));
  CHECK(s.at_step(299, 100) == s.at_epoch(2));
  CHECK(s.at_step(300, 100) == s.at_epoch(3));
  o.warmup = ScheduleOptions::Warmup::constant;
  o.kind = K::steplr;
  o.step_size = 2;
  o.gamma = 0.5;
  const LrSchedule c(o);
  check_rate(c, 0, 0.5 * 0.01);
  check_rate(c, 4, 0.5 * 0.01);
  check_rate(c, 5, 0.5);
  check_rate(c, 7, 0.25);
}

// Mirrors CASES in make_fixture.py.
std::map<std::string, ScheduleOptions> fixture_cases(bool on_updates) {
  auto make = [&](K kind, int64_t warm, ScheduleOptions::Warmup method, double decay, int64_t epochs) {
    ScheduleOptions o;
    o.base_lr = 0.4;
    o.kind = kind;
    o.warmup_epochs = warm;
    o.warmup = method;
    o.warmup_start_factor = decay;
    o.t_max = epochs - warm;
    o.on_updates = on_updates;
    return o;
  };
  using W = ScheduleOptions::Warmup;
  std::map<std::string, ScheduleOptions> cases;
  cases["constant"] = make(K::constant, 0, W::linear, 0.01, 10);
  cases["steplr"] = make(K::steplr, 0, W::linear, 0.01, 12);
  cases["steplr"].step_size = 3;
  cases["steplr_warm"] = make(K::steplr, 2, W::linear, 0.01, 12);
  cases["steplr_warm"].step_size = 3;
  cases["steplr_warm"].gamma = 0.5;
  cases["multisteplr"] = make(K::multisteplr, 0, W::linear, 0.01, 10);
  cases["multisteplr"].milestones = {2, 5, 7};
  cases["multisteplr"].gamma = 0.2;
  cases["multisteplr_warm"] = make(K::multisteplr, 3, W::constant, 0.1, 10);
  cases["multisteplr_warm"].milestones = {2, 5};
  cases["cosine"] = make(K::cosineannealinglr, 0, W::linear, 0.01, 20);
  cases["cosine"].eta_min = 0.001;
  cases["cosine_warm"] = make(K::cosineannealinglr, 5, W::linear, 0.01, 30);
  cases["exponentiallr"] = make(K::exponentiallr, 0, W::linear, 0.01, 10);
  cases["exponentiallr"].gamma = 0.9;
  cases["exponentiallr_warm"] = make(K::exponentiallr, 4, W::linear, 0.25, 12);
  cases["exponentiallr_warm"].gamma = 0.8;
  return cases;
}

// Compares every "name index lr" line of `file` with rate(schedule, index).
template <class Rate>
void compare_with_fixture(const std::string& file, bool on_updates, Rate rate) {
  std::ifstream in(file);
  REQUIRE_MESSAGE(in, "missing " << file << "; run /usr/bin/python3 tests/engine/optim/make_fixture.py");
  auto cases = fixture_cases(on_updates);
  std::string line;
  size_t compared = 0;
  double worst = 0;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream ls(line);
    std::string name;
    int64_t index;
    double want;
    ls >> name >> index >> want;
    REQUIRE_MESSAGE(cases.count(name), "fixture case " << name << " not mirrored in the test");
    const double got = rate(LrSchedule(cases[name]), index);
    const double rel = std::abs(got - want) / std::max(std::abs(want), 1e-300);
    worst = std::max(worst, rel);
    // torch's chainable (recursive) forms drift from the closed form by a few ulps per step.
    CHECK_MESSAGE(rel <= 1e-9, name << " at " << index << ": got " << got << " torch " << want
                                    << " (abs err " << std::abs(got - want) << ", rel err " << rel << ")");
    ++compared;
  }
  CHECK(compared > 100);
  MESSAGE(file << ": max relative difference to torch: " << worst);
}

TEST_CASE("values equal torch.optim.lr_scheduler's (fixture from make_fixture.py)") {
  compare_with_fixture(DNNTRAIN_OPTIM_FIXTURE_DIR "/lr_schedule_torch.txt", false,
                       [](const LrSchedule& s, int64_t epoch) { return s.at_epoch(epoch); });
}

TEST_CASE("per-update values equal torch's schedulers stepped per batch (make_fixture.py)") {
  constexpr int64_t kStepsPerEpoch = 7;  // STEPS_PER_EPOCH in make_fixture.py
  compare_with_fixture(DNNTRAIN_OPTIM_FIXTURE_DIR "/lr_schedule_torch_updates.txt", true,
                       [](const LrSchedule& s, int64_t step) { return s.at_step(step, kStepsPerEpoch); });
}

TEST_CASE("per-update rates meet the per-epoch rates at epoch boundaries and move within epochs") {
  for (auto& [name, o] : fixture_cases(false)) {
    ScheduleOptions u = o;
    u.on_updates = true;
    const LrSchedule per_epoch(o), per_update(u);
    for (int64_t e = 0; e < 10; ++e) {
      INFO(name << " epoch " << e);
      CHECK(per_update.at_step(e * 5, 5) == per_epoch.at_epoch(e));
      CHECK(per_epoch.at_step(e * 5 + 4, 5) == per_epoch.at_epoch(e));
    }
  }
  ScheduleOptions c = fixture_cases(true)["cosine"];
  const LrSchedule s(c);
  CHECK(s.at_step(1, 100) < s.at_step(0, 100));  // within the first epoch already
  CHECK(s.describe().find("on_updates") != std::string::npos);
}

TEST_CASE("invalid schedules are rejected") {
  ScheduleOptions o;
  o.kind = K::steplr;
  o.step_size = 0;
  CHECK_THROWS_AS(LrSchedule{o}, Error);
  o = {};
  o.warmup_epochs = 3;
  o.warmup_start_factor = 0;
  CHECK_THROWS_AS(LrSchedule{o}, Error);
  CHECK_THROWS_AS(engine::schedule_kind_from_name("onecycle"), Error);
  CHECK(engine::schedule_kind_from_name("cosineannealinglr") == K::cosineannealinglr);
}

}  // namespace
}  // namespace dnntrain
