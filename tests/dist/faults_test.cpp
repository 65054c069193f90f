// A rank killed with SIGKILL in the middle of a data-parallel run: the job ends in bounded time
// with a non-zero status and a message naming the lost rank, and the last checkpoint is whole.
#include <doctest/doctest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

#include "engine/checkpoint/safetensors.hpp"
#include "tests/dist/mpi_run.hpp"

extern char** environ;

using namespace dnntrain::test;
namespace fs = std::filesystem;

namespace {

// The child of `parent` whose MPI rank is `rank` (from its environment), or -1.
pid_t rank_process(pid_t parent, int rank) {
  const std::string wanted = "OMPI_COMM_WORLD_RANK=" + std::to_string(rank);
  for (const auto& entry : fs::directory_iterator("/proc")) {
    const std::string name = entry.path().filename();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream stat(entry.path() / "stat");
    std::string pid, comm, state;
    long ppid = 0;
    if (!(stat >> pid >> comm >> state >> ppid) || ppid != parent) continue;
    std::stringstream env(read_text(entry.path() / "environ"));
    for (std::string variable; std::getline(env, variable, '\0');)
      if (variable == wanted) return static_cast<pid_t>(std::stol(name));
  }
  return -1;
}

}  // namespace

TEST_CASE("a rank killed with SIGKILL ends the job in bounded time and the checkpoint stays whole") {
  const fs::path dir = scratch_dir("dist_kill");
  const fs::path checkpoint = dir / "out" / "checkpoint.safetensors";
  // Many short epochs, so checkpoints are written while the rank dies.
  const std::string command = "exec " + mpirun_prefix(2) + " " + dnntrain_exe() +
                              " train --dataset synthetic --synthetic-samples 64 --image-size 8 -b 8 --threads 1 "
                              "--epochs 100000 --output-dir " +
                              (dir / "out").string() + " >" + (dir / "stdout").string() + " 2>" +
                              (dir / "stderr").string();
  const char* argv[] = {"/bin/sh", "-c", command.c_str(), nullptr};
  pid_t mpirun = -1;
  REQUIRE(posix_spawn(&mpirun, "/bin/sh", nullptr, nullptr, const_cast<char**>(argv), environ) == 0);

  const auto started = std::chrono::steady_clock::now();
  const auto since = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  };
  while (!fs::exists(checkpoint) && since() < 60) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  REQUIRE(fs::exists(checkpoint));
  std::this_thread::sleep_for(std::chrono::milliseconds(500));  // a few more epochs and checkpoints
  const pid_t victim = rank_process(mpirun, 1);
  REQUIRE(victim > 0);
  REQUIRE(kill(victim, SIGKILL) == 0);

  const auto killed = std::chrono::steady_clock::now();
  int status = 0;
  pid_t done = 0;
  while ((done = waitpid(mpirun, &status, WNOHANG)) == 0 &&
         std::chrono::steady_clock::now() - killed < std::chrono::seconds(60))
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  if (done == 0) {  // a hang: end it so the test suite does not
    kill(mpirun, SIGKILL);
    waitpid(mpirun, &status, 0);
  }
  const std::string err = read_text(dir / "stderr");
  INFO("stderr:\n" << err);
  REQUIRE(done == mpirun);
  CHECK((WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status)) != 0);
  CHECK(err.find("rank 1") != std::string::npos);
  // Whole: it parses (every tensor inside the file, sizes consistent) at an epoch boundary.
  const auto file = dnntrain::engine::Safetensors::read(checkpoint.string());
  CHECK(file.metadata().at("dnntrain.batch_in_epoch") == "0");
  CHECK(std::stoi(file.metadata().at("dnntrain.epoch")) >= 1);
  // And training goes on from it.
  const auto r = run_ranks(2, "train --dataset synthetic --synthetic-samples 64 --image-size 8 -b 8 --threads 1 "
                           "--epochs 100000 --steps " +
                           std::to_string(std::stoi(file.metadata().at("dnntrain.step")) + 1) + " --resume " +
                           checkpoint.string() + " --output-dir " + (dir / "out").string());
  INFO(r.out << r.err);
  CHECK(r.code == 0);
}
