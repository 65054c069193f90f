// A rank lost in the middle of a data-parallel run: killed (SIGKILL), the job ends in bounded time
// with a non-zero status and a message naming it; stopped (SIGSTOP), the others abort the job after
// --dist-timeout. Either way the last checkpoint is whole. Also SIGTERM to mpirun (a scheduler's
// preemption), and ranks started with different options.
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
#include "tests/distributed/mpi_run.hpp"

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

// A 2-rank training job started in the background, many short epochs so that checkpoints are
// written while a rank fails.
struct Job {
  fs::path dir, checkpoint;
  pid_t mpirun = -1;
  int status = 0;

  Job(const std::string& name, const std::string& extra, const std::string& mpirun_options = "")
      : dir(scratch_dir(name)) {
    checkpoint = dir / "out" / "checkpoint.safetensors";
    const std::string command =
        "exec " + mpirun_prefix(2) + " " + mpirun_options + " " + dnntrain_exe() +
        " train --dataset synthetic --synthetic-samples 64 --image-size 8 -b 8 --threads 1 --epochs 100000 "
        "--output-dir " +
        (dir / "out").string() + " " + extra + " >" + (dir / "stdout").string() + " 2>" +
        (dir / "stderr").string();
    const char* argv[] = {"/bin/sh", "-c", command.c_str(), nullptr};
    REQUIRE(posix_spawn(&mpirun, "/bin/sh", nullptr, nullptr, const_cast<char**>(argv), environ) == 0);
  }

  // Waits for the first checkpoint and a few more epochs; returns the process of rank 1.
  pid_t running_rank1() {
    const auto start = std::chrono::steady_clock::now();
    while (!fs::exists(checkpoint) && std::chrono::steady_clock::now() - start < std::chrono::seconds(60))
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    REQUIRE(fs::exists(checkpoint));
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    const pid_t rank1 = rank_process(mpirun, 1);
    REQUIRE(rank1 > 0);
    return rank1;
  }

  // True when mpirun ended within `seconds`; otherwise kills it so the suite goes on.
  bool ends_within(int seconds) {
    const auto start = std::chrono::steady_clock::now();
    pid_t done = 0;
    while ((done = waitpid(mpirun, &status, WNOHANG)) == 0 &&
           std::chrono::steady_clock::now() - start < std::chrono::seconds(seconds))
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    if (done == mpirun) return true;
    kill(mpirun, SIGKILL);
    waitpid(mpirun, &status, 0);
    return false;
  }

  int exit_code() const { return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status); }
  std::string err() const { return read_text(dir / "stderr"); }
};

}  // namespace

TEST_CASE("a rank killed with SIGKILL ends the job in bounded time and the checkpoint stays whole") {
  Job job("dist_kill", "");
  REQUIRE(kill(job.running_rank1(), SIGKILL) == 0);
  INFO("stderr:\n" << job.err());
  REQUIRE(job.ends_within(60));
  CHECK(job.exit_code() != 0);
  CHECK(job.err().find("rank 1") != std::string::npos);
  // Whole: it parses (every tensor inside the file, sizes consistent) at an epoch boundary.
  const auto file = dnntrain::engine::Safetensors::read(job.checkpoint.string());
  CHECK(file.metadata().at("dnntrain.batch_in_epoch") == "0");
  CHECK(std::stoi(file.metadata().at("dnntrain.epoch")) >= 1);
  // And training goes on from it.
  const auto r =
      run_ranks(2,
                "train --dataset synthetic --synthetic-samples 64 --image-size 8 -b 8 --threads 1 "
                "--epochs 100000 --steps " +
                    std::to_string(std::stoi(file.metadata().at("dnntrain.step")) + 1) + " --resume " +
                    job.checkpoint.string() + " --output-dir " + (job.dir / "out").string());
  INFO(r.out << r.err);
  CHECK(r.code == 0);
}

TEST_CASE("a rank that stops answering (SIGSTOP) makes the others abort the job after --dist-timeout") {
  Job job("dist_stop", "--dist-timeout 3");
  const pid_t rank1 = job.running_rank1();
  REQUIRE(kill(rank1, SIGSTOP) == 0);
  INFO("stderr:\n" << job.err());
  const bool ended = job.ends_within(60);
  kill(rank1, SIGKILL);  // in case the abort left it stopped
  REQUIRE(ended);
  CHECK(job.exit_code() != 0);
  CHECK(job.err().find("rank 0 waited 3 s for the other ranks") != std::string::npos);
  CHECK_NOTHROW(dnntrain::engine::Safetensors::read(job.checkpoint.string()));
}

TEST_CASE("SIGTERM to mpirun saves a checkpoint mid-epoch, also while rank 0 prints every step") {
  // mpirun waits the timeout (15 s), sends SIGTERM, waits again, sends SIGKILL. Meanwhile it stops
  // reading the ranks' output, and rank 0's prints fill the terminal it writes to and block.
  Job job("dist_term", "--print-freq 1", "--mca odls_base_sigkill_timeout 15");
  job.running_rank1();
  const auto signalled = fs::file_time_type::clock::now();
  REQUIRE(kill(job.mpirun, SIGTERM) == 0);
  INFO("stderr:\n" << job.err());
  REQUIRE(job.ends_within(60));
  CHECK(job.exit_code() != 0);
  // mpirun no longer forwards the ranks' output by then: the file itself shows the save, made after
  // the ranks received SIGTERM (15 s after mpirun did; epochs ended and saved before that too).
  CHECK(fs::last_write_time(job.checkpoint) > signalled + std::chrono::milliseconds(14500));
  CHECK_NOTHROW(dnntrain::engine::Safetensors::read(job.checkpoint.string()));
}

TEST_CASE("ranks started with different options are refused at the start, naming the first that differs") {
  // rank 0's options, and rank 1's with one change (an MPMD launch: "mpirun -np 1 A : -np 1 B")
  const auto options = [](const std::string& batch, const std::string& samples, const std::string& extra) {
    return " train --dataset synthetic --image-size 8 --threads 1 --epochs 1 -b " + batch +
           " --synthetic-samples " + samples + " " + extra;
  };
  const std::vector<std::pair<std::string, std::string>> cases = {
      {options("8", "64", "--opt adam"), "--opt"},
      {options("8", "64", "--lr 0.2"), "--lr"},
      {options("8", "64", "--wd 0.001"), "--wd"},
      {options("8", "64", "--precision bf16"), "--precision"},
      {options("4", "64", ""), "--batch-size"},
      {options("8", "128", ""), "--synthetic-samples"},
      {options("8", "64", "--model resnet32"), "--model"}};
  for (const auto& [rank1, name] : cases) {
    const fs::path dir = scratch_dir("dist_options");
    const std::string out = " --output-dir " + (dir / "out").string();
    const CliResult r = run_cli(mpirun_prefix(1) + " " + dnntrain_exe() + options("8", "64", "") + out +
                                " : -np 1 " + dnntrain_exe() + rank1 + out);
    INFO(rank1 << "\n" << r.err);
    CHECK(r.code != 0);
    CHECK(contains(r.err, "'" + name + "' differs on 1 of 2 ranks"));
    CHECK(!fs::exists(dir / "out" / "checkpoint.safetensors"));
  }
}
