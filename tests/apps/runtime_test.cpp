// oneDNN's runtime as the real executable sees it: `bench` and `train` name the ISA oneDNN dispatches
// to, and with oneDNN held to AVX2 (ONEDNN_MAX_CPU_ISA, as on a CPU without AVX-512) both still run
// and `--precision auto` takes f32 without timing bf16, since AVX2 has no native bf16. The process
// loads one oneTBB and one OpenMP runtime, whichever oneDNN build it links (a wheel's and Debian's
// copies must not mix).
#include <doctest/doctest.h>

#include <set>
#include <sstream>

#include "tests/apps/cli_run.hpp"

using namespace dnntrain::test;

namespace {

const std::string kAvx2 = std::string("ONEDNN_MAX_CPU_ISA=AVX2 ") + DNNTRAIN_CLI + " ";

}  // namespace

TEST_CASE("bench names oneDNN's version, runtime and ISA, and the ISA follows ONEDNN_MAX_CPU_ISA") {
  // --precision auto measures f32 alone where bf16 is not native; its cache goes to a scratch folder.
  const std::string args =
      "bench --model resnet20 --image-size 8 -b 4 --threads 1 --steps 1 --warmup 0 --profile-steps 0 "
      "--precision auto --json";
  const auto native = run_cli(args + " --tune off");
  INFO(native.out << native.err);
  REQUIRE(native.code == 0);
  CHECK(contains(native.out, "\"onednn\":{\"version\":\"3."));
  const auto avx2 = run_shell("XDG_CACHE_HOME=" + scratch_dir("isa_cache").string() + " " + kAvx2 + args);
  INFO(avx2.out << avx2.err);
  REQUIRE(avx2.code == 0);
  CHECK(contains(avx2.out, "\"isa\":\"avx2\""));
  CHECK(contains(avx2.out, "\"precision\":\"f32\""));
  CHECK(contains(avx2.out, "\"precision_auto\":{\"chosen\":\"f32\",\"source\":\"measured\""));
  CHECK(contains(avx2.out, "\"bf16_step_ms\":0.000"));  // emulated bf16 is not worth measuring
}

TEST_CASE("train prints the ISA and trains with oneDNN held to AVX2") {
  const auto dir = scratch_dir("isa_train");
  const auto r = run_shell(kAvx2 + "train " + kTinyRun + " --epochs 1 --threads 1 --output-dir " + dir.string());
  INFO(r.out << r.err);
  REQUIRE(r.code == 0);
  CHECK(contains(r.out, "runtime), ISA avx2"));
  CHECK(std::filesystem::exists(dir / "checkpoint.safetensors"));
}

TEST_CASE("the executable loads exactly one oneTBB, one OpenMP runtime and one oneDNN") {
  // What the dynamic loader maps for the executable and every library it needs (ldd's method).
  const auto r = run_shell(std::string("LD_TRACE_LOADED_OBJECTS=1 ") + DNNTRAIN_CLI);
  INFO(r.out << r.err);
  REQUIRE(r.code == 0);
  std::set<std::string> tbb, openmp, onednn;
  std::istringstream lines(r.out);
  for (std::string line; std::getline(lines, line);) {
    std::istringstream words(line);
    std::string soname, arrow, path;
    words >> soname >> arrow >> path;
    const std::string file = arrow == "=>" ? path : soname;
    if (contains(soname, "libtbb.") || contains(soname, "libtbb_")) tbb.insert(file);
    if (contains(soname, "libgomp") || contains(soname, "libiomp") || contains(soname, "libomp")) openmp.insert(file);
    if (contains(soname, "libdnnl")) onednn.insert(file);
    CHECK_MESSAGE(!contains(line, "not found"), line);
  }
  CHECK(tbb.size() == 1);
  CHECK(openmp.size() == 1);
  CHECK(onednn.size() == 1);
}
