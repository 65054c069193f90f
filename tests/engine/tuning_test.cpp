// --precision auto's decision: the rule follows injected timings in both directions, the rounds
// alternate and keep each precision's fastest step, and the wisdom cache is used, bypassed by
// force, ignored with one notice when corrupt, foreign or measured elsewhere, and stays a valid
// file when several processes write it at once (real files, forked processes).
#include <doctest/doctest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "engine/tuning.hpp"
#include "engine/wisdom.hpp"

using namespace dnntrain::engine;

namespace {

// Returns the next of its made-up timings for each precision (the last one repeats) and counts calls.
struct FakeTimer : StepTimer {
  std::map<Precision, std::vector<double>> seconds;
  std::map<Precision, int> calls;
  std::vector<Precision> order;
  double step_seconds(Precision p) override {
    const auto& v = seconds.at(p);
    const int i = calls[p]++;
    order.push_back(p);
    return v[std::min<size_t>(i, v.size() - 1)];
  }
};

std::string scratch(const std::string& name) {
  const auto dir = std::filesystem::temp_directory_path() / ("dnntrain_tuning_" + std::to_string(::getpid())) / name;
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return (dir / "wisdom.txt").string();
}

std::string read(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

const std::string kKey = "cpu=0123456789abcdef isa=avx512_core_bf16 onednn=3.2.0 | model=resnet20 batch=8";

}  // namespace

TEST_CASE("auto follows the timings: f32 when f32 is faster, bf16 when bf16 is faster") {
  for (const auto& [f32, bf16, expected] :
       {std::tuple{0.10, 0.20, Precision::f32}, std::tuple{0.20, 0.10, Precision::bf16},
        std::tuple{0.10, 0.10, Precision::f32} /* a tie keeps the exact one */}) {
    FakeTimer timer;
    timer.seconds = {{Precision::f32, {f32}}, {Precision::bf16, {bf16}}};
    const auto d = decide_precision(TuneMode::force, kKey, scratch("follows"), timer, true);
    INFO("f32 " << f32 << " bf16 " << bf16);
    CHECK(d.precision == expected);
    CHECK(d.source == PrecisionDecision::Source::measured);
    CHECK(d.timing.f32_seconds == f32);
    CHECK(d.timing.bf16_seconds == bf16);
  }
  CHECK(choose_precision({0.3, 0.0}) == Precision::f32);  // bf16 not measured
}

TEST_CASE("the rounds alternate the precisions and keep each one's fastest step, within the budget") {
  FakeTimer timer;
  timer.seconds = {{Precision::f32, {0.5, 0.3, 0.4}}, {Precision::bf16, {0.2, 0.25, 0.1}}};
  const PrecisionTiming t = measure_precisions(timer, true, /*budget_seconds=*/1.5, /*max_rounds=*/8);
  // Rounds add 0.7, 0.55, 0.5: the budget of 1.5 is reached after the third.
  CHECK(timer.order == std::vector<Precision>{Precision::f32, Precision::bf16, Precision::f32, Precision::bf16,
                                              Precision::f32, Precision::bf16});
  CHECK(t.f32_seconds == 0.3);
  CHECK(t.bf16_seconds == 0.1);
  FakeTimer slow;
  slow.seconds = {{Precision::f32, {9.0}}, {Precision::bf16, {9.0}}};
  measure_precisions(slow, true, 1.0, 8);
  CHECK(slow.calls[Precision::f32] == 1);  // one round even when it exceeds the budget
  FakeTimer emulated;
  emulated.seconds = {{Precision::f32, {0.01}}};
  const auto e = measure_precisions(emulated, false, 1.0, 4);
  CHECK(emulated.calls[Precision::f32] == 4);  // max_rounds
  CHECK(emulated.calls.count(Precision::bf16) == 0);
  CHECK(e.bf16_seconds == 0);
}

TEST_CASE("--tune off measures nothing and gives f32") {
  FakeTimer timer;
  timer.seconds = {{Precision::f32, {0.2}}, {Precision::bf16, {0.1}}};
  const std::string path = scratch("off");
  const auto d = decide_precision(TuneMode::off, kKey, path, timer, true);
  CHECK(d.precision == Precision::f32);
  CHECK(d.source == PrecisionDecision::Source::not_measured);
  CHECK(timer.order.empty());
  CHECK(!std::filesystem::exists(path));
  CHECK(resolve(PrecisionChoice::automatic) == Precision::f32);
}

TEST_CASE("cached: the second decision reads the cache and measures nothing, and force measures again") {
  const std::string path = scratch("cached");
  FakeTimer first;
  first.seconds = {{Precision::f32, {0.2}}, {Precision::bf16, {0.1}}};
  const auto a = decide_precision(TuneMode::cached, kKey, path, first, true);
  CHECK(a.source == PrecisionDecision::Source::measured);
  CHECK(a.notices.empty());
  CHECK(read(path) == std::string(kWisdomHeader) + "\n" + kKey + "\tbf16\t200.000\t100.000\n");

  FakeTimer second;  // would say f32 if asked
  second.seconds = {{Precision::f32, {0.1}}, {Precision::bf16, {0.2}}};
  const auto b = decide_precision(TuneMode::cached, kKey, path, second, true);
  CHECK(b.source == PrecisionDecision::Source::cached);
  CHECK(b.precision == Precision::bf16);
  CHECK(b.timing.f32_seconds == doctest::Approx(0.2));
  CHECK(second.order.empty());

  const auto c = decide_precision(TuneMode::force, kKey, path, second, true);
  CHECK(c.source == PrecisionDecision::Source::measured);
  CHECK(c.precision == Precision::f32);
  CHECK(read(path) == std::string(kWisdomHeader) + "\n" + kKey + "\tf32\t100.000\t200.000\n");
}

TEST_CASE("a corrupt, foreign or stale cache is ignored with one notice, and the measurement replaces it") {
  const std::string other_machine =
      "cpu=fedcba9876543210 isa=avx512_core onednn=3.1.0 | model=resnet20 batch=8\tbf16\t200\t100";
  struct Case {
    const char* name;
    std::string text;
    const char* notice;
  };
  const std::vector<Case> cases = {
      // version 1 held bf16 timings of the channel-blocked layout only
      {"older version", "# dnntrain wisdom 1\n" + kKey + "\tbf16\t2\t1\n", "does not start with '# dnntrain wisdom 2'"},
      {"foreign", "# dnntrain wisdom 3\n" + kKey + "\tbf16\t2\t1\n", "does not start with '# dnntrain wisdom 2'"},
      {"binary", std::string("\x00\xff\x13garbage", 10), "does not start with"},
      {"malformed", std::string(kWisdomHeader) + "\n" + kKey + "\tbf16\tfast\t1\n", ":2: ignoring a malformed entry"},
      {"negative", std::string(kWisdomHeader) + "\n" + kKey + "\tf32\t-1\t1\n", ":2: ignoring a malformed entry"},
      {"disagrees", std::string(kWisdomHeader) + "\n" + kKey + "\tbf16\t1\t2\n", "disagrees with its timings"},
      {"stale", std::string(kWisdomHeader) + "\n" + other_machine + "\n", "measured on another machine or oneDNN"},
  };
  for (const Case& c : cases) {
    INFO(c.name);
    const std::string path = scratch(c.name);
    std::ofstream(path, std::ios::binary) << c.text;
    FakeTimer timer;
    timer.seconds = {{Precision::f32, {0.1}}, {Precision::bf16, {0.2}}};
    const auto d = decide_precision(TuneMode::cached, kKey, path, timer, true);
    CHECK(d.source == PrecisionDecision::Source::measured);
    CHECK(d.precision == Precision::f32);
    REQUIRE(d.notices.size() == 1);
    CHECK(d.notices[0].find(c.notice) != std::string::npos);
    CHECK(d.notices[0].find('\n') == std::string::npos);
    // The file is valid again and holds this key's measurement (the stale entry stays beside it).
    const Wisdom w = read_wisdom(path);
    CHECK(w.notices.empty());
    REQUIRE(w.entries.count(kKey) == 1);
    CHECK(w.entries.at(kKey).precision == Precision::f32);
  }
  // A folder where the file should be: one notice, still a decision.
  const std::string path = scratch("folder");
  std::filesystem::create_directories(path);
  FakeTimer timer;
  timer.seconds = {{Precision::f32, {0.2}}, {Precision::bf16, {0.1}}};
  const auto d = decide_precision(TuneMode::cached, kKey, path, timer, true);
  CHECK(d.precision == Precision::bf16);
  CHECK(d.notices.size() == 2);  // cannot read it, cannot write it
}

TEST_CASE("wisdom lines round-trip and reject what is not one") {
  const WisdomEntry e{Precision::bf16, {0.25, 0.125}};
  const auto parsed = parse_wisdom_line(wisdom_line(kKey, e));
  REQUIRE(parsed);
  CHECK(parsed->first == kKey);
  CHECK(parsed->second.precision == Precision::bf16);
  CHECK(parsed->second.timing.f32_seconds == doctest::Approx(0.25));
  CHECK(parsed->second.timing.bf16_seconds == doctest::Approx(0.125));
  for (const std::string bad : {"", "key\tbf16\t1", "key\tfp16\t1\t2", "\tbf16\t1\t2", "key\tf32\t0\t2",
                                "key\tf32\tnan\t2", "key\tf32\t1\tinf", "key\tf32\t1\t2\textra", "key\tf32\t1x\t2"})
    CHECK_MESSAGE(!parse_wisdom_line(bad), bad);
}

TEST_CASE("processes writing the cache at once leave a valid file with every entry") {
  const std::string path = scratch("concurrent");
  constexpr int kProcesses = 8, kEntries = 25;
  std::vector<pid_t> children;
  for (int p = 0; p < kProcesses; ++p) {
    const pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      bool ok = true;
      for (int i = 0; i < kEntries; ++i)
        ok = ok && !store_wisdom(path, kKey + " process=" + std::to_string(p) + " entry=" + std::to_string(i),
                                 {Precision::f32, {0.001 * (i + 1), 0.002 * (i + 1)}});
      ::_exit(ok ? 0 : 1);
    }
    children.push_back(pid);
  }
  for (pid_t pid : children) {
    int status = 0;
    REQUIRE(::waitpid(pid, &status, 0) == pid);
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
  }
  const Wisdom w = read_wisdom(path);
  CHECK(w.notices.empty());
  CHECK(w.entries.size() == kProcesses * kEntries);
  CHECK(w.entries.at(kKey + " process=3 entry=24").timing.bf16_seconds == doctest::Approx(0.05));
}
