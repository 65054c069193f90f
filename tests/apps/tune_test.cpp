// --precision auto through the real executable, with the wisdom cache in a scratch $XDG_CACHE_HOME:
// the first run measures and stores, the next reads the cache (and follows it when it says the
// other precision), the config and the checkpoint record the choice, and --resume takes the
// checkpoint's choice rather than the cache's, bit for bit as never stopping. A corrupt cache costs
// one notice line on stderr; a bad --tune is a usage error.
#include <doctest/doctest.h>

#include <fstream>
#include <sstream>

#include "engine/checkpoint/safetensors.hpp"
#include "tests/apps/cli_run.hpp"

using namespace dnntrain::test;
namespace fs = std::filesystem;
using dnntrain::engine::Safetensors;

namespace {

std::string with_cache(const fs::path& cache) { return "XDG_CACHE_HOME=" + cache.string() + " " + DNNTRAIN_CLI; }

CliResult train(const fs::path& cache, const fs::path& dir, int64_t steps, const std::string& extra = "") {
  const auto r = run_shell(with_cache(cache) + " train " + kTinyRun + " --threads 2 --epochs 3 --steps " +
                           std::to_string(steps) + " --precision auto --output-dir " + dir.string() + " " + extra);
  INFO(r.out << r.err);
  REQUIRE(r.code == 0);
  return r;
}

// The precision named in the "precision auto: <p> (" line.
std::string chosen(const std::string& out) {
  const std::string tag = "precision auto: ";
  const auto at = out.find(tag);
  if (at == std::string::npos) return "";
  const auto begin = at + tag.size();
  return out.substr(begin, out.find(' ', begin) - begin);
}

// Rewrites every entry of the wisdom file to say `precision`, with timings that agree.
void make_cache_say(const fs::path& wisdom, const std::string& precision) {
  std::istringstream in(read_text(wisdom));
  std::string out, line;
  std::getline(in, line);
  out = line + "\n";
  while (std::getline(in, line)) {
    const std::string key = line.substr(0, line.find('\t'));
    out += key + "\t" + precision + (precision == "bf16" ? "\t2.000\t1.000\n" : "\t1.000\t2.000\n");
  }
  std::ofstream(wisdom) << out;
}

int64_t entries(const fs::path& wisdom) { return lines(wisdom) - 1; }

// Lines of `text` that contain `needle`.
int64_t lines_with(const std::string& text, const std::string& needle) {
  std::istringstream in(text);
  int64_t n = 0;
  for (std::string line; std::getline(in, line);) n += contains(line, needle);
  return n;
}

}  // namespace

TEST_CASE("train --precision auto measures once, then reads the cache, and config and checkpoint record it") {
  const fs::path root = scratch_dir("tune_train"), cache = root / "cache", wisdom = cache / "dnntrain/wisdom.txt";
  const auto first = train(cache, root / "a", 2);
  CHECK(contains(first.out, "(measured: f32 "));
  const std::string p = chosen(first.out);
  REQUIRE((p == "f32" || p == "bf16"));
  CHECK(entries(wisdom) == 1);
  CHECK(contains(read_text(root / "a/config"), "precision=" + p + "\n"));
  CHECK(Safetensors::open((root / "a/checkpoint.safetensors").string()).metadata().at("dnntrain.extra.precision") ==
        p);
  CHECK(read_text(root / "a/log.jsonl")
            .starts_with("{\"type\":\"run\",\"step\":0,\"precision\":\"" + p + "\",\"precision_auto\":{\"chosen\":\"" +
                         p + "\",\"source\":\"measured\",\"f32_step_ms\":"));

  const auto second = train(cache, root / "b", 2);
  CHECK(contains(second.out, "precision auto: " + p + " (from the wisdom cache"));
  CHECK(contains(read_text(root / "b/log.jsonl"), "\"precision_auto\":{\"chosen\":\"" + p + "\",\"source\":\"cached\""));
  CHECK(entries(wisdom) == 1);

  const std::string other = p == "f32" ? "bf16" : "f32";
  make_cache_say(wisdom, other);
  const auto third = train(cache, root / "c", 2);
  CHECK(chosen(third.out) == other);  // the cache decides, not a new measurement

  const auto forced = train(cache, root / "d", 2, "--tune force");
  CHECK(contains(forced.out, "(measured: f32 "));
  CHECK(entries(wisdom) == 1);

  const auto off = train(cache, root / "e", 2, "--tune off");
  CHECK(contains(off.out, "precision auto: f32 (--tune off"));
}

TEST_CASE("--resume takes the precision the checkpoint records, not the cache's: same bits as never stopping") {
  const fs::path root = scratch_dir("tune_resume"), cache = root / "cache", wisdom = cache / "dnntrain/wisdom.txt";
  train(cache, root / "probe", 1, "--tune force");  // writes this machine's entry
  if (contains(read_text(wisdom), "\t0.000\n")) return;  // no native bf16 here: nothing to switch between
  make_cache_say(wisdom, "bf16");
  const auto straight = train(cache, root / "straight", 12);
  REQUIRE(chosen(straight.out) == "bf16");
  const auto half = train(cache, root / "split", 6);
  REQUIRE(chosen(half.out) == "bf16");
  make_cache_say(wisdom, "f32");
  const std::string checkpoint = (root / "split/checkpoint.safetensors").string();
  const auto resumed = train(cache, root / "split", 12, "--resume " + checkpoint);
  CHECK(contains(resumed.out, "precision auto: bf16 (recorded in " + checkpoint));
  expect_identical((root / "straight/checkpoint.safetensors").string(), checkpoint);
}

TEST_CASE("a corrupt wisdom file costs one notice line, bench states the decision, a bad --tune is refused") {
  const fs::path root = scratch_dir("tune_corrupt"), cache = root / "cache";
  fs::create_directories(cache / "dnntrain");
  std::ofstream(cache / "dnntrain/wisdom.txt") << "garbage\x01\x02\n";
  const std::string bench =
      " bench --model resnet20 --image-size 8 -b 4 --threads 1 --steps 1 --warmup 0 --profile-steps 0 "
      "--precision auto";
  const auto r = run_shell(with_cache(cache) + bench);
  INFO(r.out << r.err);
  REQUIRE(r.code == 0);
  // One line about the file (a busy machine may add one about the measurement).
  CHECK(lines_with(r.err, "wisdom.txt") == 1);
  CHECK(contains(r.err, "does not start with '# dnntrain wisdom 2'"));
  CHECK(contains(r.out, "precision auto: "));
  const auto again = run_shell(with_cache(cache) + bench + " --json");
  CHECK(lines_with(again.err, "wisdom.txt") == 0);
  CHECK(contains(again.out, "\"precision_auto\":{\"chosen\":\""));
  CHECK(contains(again.out, "\"source\":\"cached\""));
  expect_error("bench --tune sometimes", 2, "--tune must be off, cached or force, got 'sometimes'");
}
