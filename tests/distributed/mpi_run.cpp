// mpirun and checkpoint helpers of the data-parallel tests.
#include "tests/distributed/mpi_run.hpp"

#include <cstdlib>
#include <cstring>

#include "engine/checkpoint/safetensors.hpp"

namespace dnntrain::test {

std::string dnntrain_exe() { return DNNTRAIN_EXE; }

std::string mpirun_prefix(int ranks) {
  setenv("OMPI_ALLOW_RUN_AS_ROOT", "1", 0);  // test containers often run as root
  setenv("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1", 0);
  return std::string(MPIEXEC) + " -np " + std::to_string(ranks) + " --oversubscribe --bind-to none";
}

CliResult run_ranks(int ranks, const std::string& args) {
  return run_cli(mpirun_prefix(ranks) + " " + dnntrain_exe() + " " + args);
}

CliResult run_plain(const std::string& args) { return run_cli(dnntrain_exe() + " " + args); }

Tensors read_tensors(const std::filesystem::path& checkpoint) {
  const auto file = engine::Safetensors::read(checkpoint.string());
  Tensors out;
  for (const auto& t : file.tensors()) {
    const auto bytes = file.bytes(t);
    std::vector<double> v(t.elements());
    for (size_t i = 0; i < v.size(); ++i) {
      if (t.dtype == engine::DType::F32) {
        float f;
        std::memcpy(&f, bytes.data() + 4 * i, 4);
        v[i] = f;
      } else if (t.dtype == engine::DType::I64) {
        int64_t k;
        std::memcpy(&k, bytes.data() + 8 * i, 8);
        v[i] = static_cast<double>(k);
      }
    }
    out.names.push_back(t.name);
    out.values.push_back(std::move(v));
  }
  return out;
}

}  // namespace dnntrain::test
