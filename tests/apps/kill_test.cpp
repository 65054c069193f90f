// A real training run killed with SIGKILL at random moments (many of them while it writes its
// checkpoints, which it does every two steps), resumed each time from what the folder holds: after
// every kill the folder has at most one temporary file and a checkpoint that loads, and the run,
// once let finish, ends with the same bits as a run never killed.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <random>
#include <sstream>
#include <thread>

#include "engine/checkpoint/atomic_file.hpp"
#include "engine/checkpoint/safetensors.hpp"
#include "tests/apps/cli_run.hpp"

using namespace dnntrain::test;
namespace fs = std::filesystem;
using dnntrain::engine::Safetensors;

namespace {

// 32 samples in batches of 16: two steps an epoch, a checkpoint (and maybe best.safetensors) after
// each. Enough epochs that the killed runs, resumed one after another, do not finish before the
// last kill on a fast machine.
const std::string kRun =
    "train --dataset synthetic --synthetic-samples 32 --image-size 8 -b 16 --threads 1 --epochs 500 "
    "--print-freq 1";

std::vector<std::string> words(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

pid_t spawn_quiet(const std::string& args) {
  std::vector<std::string> argv_text = words(args);
  argv_text.insert(argv_text.begin(), DNNTRAIN_CLI);
  std::vector<char*> argv;
  for (auto& a : argv_text) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
  pid_t pid = 0;
  const int rc = posix_spawn(&pid, DNNTRAIN_CLI, &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  REQUIRE(rc == 0);
  return pid;
}

int temporaries(const fs::path& dir) {
  int n = 0;
  for (const auto& e : fs::directory_iterator(dir))
    n += dnntrain::engine::is_atomic_temporary(e.path().filename().string());
  return n;
}

// The next run in `dir`: from its checkpoint if there is one, afresh otherwise.
std::string next_run(const fs::path& dir) {
  const fs::path checkpoint = dir / "checkpoint.safetensors";
  return kRun + " --output-dir " + dir.string() +
         (fs::exists(checkpoint) ? " --resume " + checkpoint.string() : " --overwrite");
}

}  // namespace

TEST_CASE("SIGKILL at random moments: at most one temporary, a loadable checkpoint, the same final bits") {
  const fs::path reference = scratch_dir("kill_reference"), killed = scratch_dir("kill_killed");
  const auto straight = run_cli(kRun + " --output-dir " + reference.string());
  INFO(straight.err);
  REQUIRE(straight.code == 0);

  std::mt19937 rng(20261202);
  std::uniform_int_distribution<int> delay_ms(0, 300);
  int kills = 0, kills_with_temporary = 0, last_step = -1;
  bool finished = false;  // a run that completes before its kill ends the loop
  while (kills < 24 && !finished) {
    const pid_t pid = spawn_quiet(next_run(killed));
    std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms(rng)));
    if (kills % 2 == 1) {  // aim at a save: wait for a temporary to appear, then a little longer
      const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
      while (temporaries(killed) == 0 && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::microseconds(200));
      std::this_thread::sleep_for(std::chrono::microseconds(delay_ms(rng) * 5));
    }
    kill(pid, SIGKILL);
    int status = 0;
    REQUIRE(waitpid(pid, &status, 0) == pid);
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
      finished = true;
      continue;
    }
    REQUIRE_MESSAGE(WIFSIGNALED(status),
                    "the run ended before its kill (wait status " << status << "): it could not resume from the folder");
    ++kills;
    const int tmp = temporaries(killed);
    CHECK(tmp <= 1);
    kills_with_temporary += tmp;
    if (fs::exists(killed / "checkpoint.safetensors")) {
      const auto ck =
          Safetensors::read((killed / "checkpoint.safetensors").string());  // whole, checksummed below
      const int step = std::stoi(ck.metadata().at("dnntrain.step"));
      CHECK(step >= last_step);  // never goes back
      last_step = step;
    }
  }
  REQUIRE_MESSAGE(kills >= 20, "only " << kills << " kills before the run finished; lengthen kRun");
  MESSAGE(kills << " kills, " << kills_with_temporary
                << " of them while a temporary existed; last checkpoint at step " << last_step);
  const auto finish = run_cli(next_run(killed));
  INFO(finish.out << finish.err);
  REQUIRE(finish.code == 0);
  CHECK(temporaries(killed) == 0);

  const std::string a = (reference / "checkpoint.safetensors").string();
  const std::string b = (killed / "checkpoint.safetensors").string();
  expect_identical(a, b);
  CHECK(Safetensors::read(a).metadata().at("dnntrain.extra.best_top1") ==
        Safetensors::read(b).metadata().at("dnntrain.extra.best_top1"));
  // The logs of the killed run hold each epoch and step once, like the reference's.
  CHECK(lines(killed / "summary.csv") == lines(reference / "summary.csv"));
  CHECK(lines(killed / "log.jsonl") == lines(reference / "log.jsonl"));
}
