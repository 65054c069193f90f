// The real dnntrain under the real mpirun, for the data-parallel tests: N ranks on this machine
// (oversubscribed: test machines have few cores; allowed as root), or one plain process.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "tests/apps/cli_run.hpp"

namespace dnntrain::test {

// `dnntrain <args>` as `ranks` MPI processes.
CliResult run_ranks(int ranks, const std::string& args);
// `dnntrain <args>` without mpirun.
CliResult run_plain(const std::string& args);
// The mpirun command line that starts `ranks` processes (without the program).
std::string mpirun_prefix(int ranks);
std::string dnntrain_exe();

// Every f32/i64 tensor of a checkpoint by name (weights, BN buffers, optimizer state).
struct Tensors {
  std::vector<std::string> names;
  std::vector<std::vector<double>> values;
};
Tensors read_tensors(const std::filesystem::path& checkpoint);

}  // namespace dnntrain::test
