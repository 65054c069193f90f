// LR schedules against their closed forms at chosen epochs and steps (warmup included), and against
// the values torch.optim.lr_scheduler printed into lr_schedule_torch.txt (make_fixture.py).
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

TEST_CASE("values equal torch.optim.lr_scheduler's (fixture from make_fixture.py)") {
  std::ifstream in(DNNTRAIN_OPTIM_FIXTURE_DIR "/lr_schedule_torch.txt");
  REQUIRE_MESSAGE(in,
                  "missing lr_schedule_torch.txt; run /usr/bin/python3 tests/engine/optim/make_fixture.py");
  // Mirrors CASES in make_fixture.py.
  auto make = [](K kind, int64_t warm, ScheduleOptions::Warmup method, double decay, int64_t epochs) {
    ScheduleOptions o;
    o.base_lr = 0.4;
    o.kind = kind;
    o.warmup_epochs = warm;
    o.warmup = method;
    o.warmup_start_factor = decay;
    o.t_max = epochs - warm;
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

  std::string line;
  size_t compared = 0;
  double worst = 0;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream ls(line);
    std::string name;
    int64_t epoch;
    double want;
    ls >> name >> epoch >> want;
    REQUIRE_MESSAGE(cases.count(name), "fixture case " << name << " not mirrored in the test");
    const double got = LrSchedule(cases[name]).at_epoch(epoch);
    const double rel = std::abs(got - want) / std::max(std::abs(want), 1e-300);
    worst = std::max(worst, rel);
    // torch's chainable (recursive) forms drift from the closed form by a few ulps.
    CHECK_MESSAGE(rel <= 1e-9, name << " epoch " << epoch << ": got " << got << " torch " << want
                                    << " (abs err " << std::abs(got - want) << ", rel err " << rel << ")");
    ++compared;
  }
  CHECK(compared > 100);
  MESSAGE("max relative difference to torch: " << worst);
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
