// run_cli through std::system with redirected output; the status decoded the way a shell does.
#include "tests/apps/cli_run.hpp"

#include <doctest/doctest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "engine/checkpoint/safetensors.hpp"

namespace dnntrain::test {

std::string read_text(const std::filesystem::path& file) {
  std::ifstream in(file);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::filesystem::path scratch_dir(const std::string& name) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("dnntrain_apps_" + name + "_" + std::to_string(getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

CliResult run_cli(const std::string& args) { return run_shell(std::string(DNNTRAIN_CLI) + " " + args); }

CliResult run_shell(const std::string& command_line) {
  static int counter = 0;
  const auto base = std::filesystem::temp_directory_path() /
                    ("dnntrain_cli_" + std::to_string(getpid()) + "_" + std::to_string(counter++));
  const std::string out = base.string() + ".out", err = base.string() + ".err";
  const std::string command = command_line + " >" + out + " 2>" + err;
  const int status = std::system(command.c_str());
  CliResult r;
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : WIFSIGNALED(status) ? 128 + WTERMSIG(status) : -1;
  r.out = read_text(out);
  r.err = read_text(err);
  std::filesystem::remove(out);
  std::filesystem::remove(err);
  return r;
}

bool contains(const std::string& text, const std::string& needle) {
  return text.find(needle) != std::string::npos;
}

int64_t lines(const std::filesystem::path& file) {
  const std::string t = read_text(file);
  return std::count(t.begin(), t.end(), '\n');
}

void expect_identical(const std::string& a_path, const std::string& b_path) {
  using engine::Safetensors;
  const Safetensors a = Safetensors::read(a_path), b = Safetensors::read(b_path);
  REQUIRE(a.tensors().size() == b.tensors().size());
  int differing = 0;
  for (const auto& t : a.tensors()) {
    const auto* u = b.find(t.name);
    REQUIRE_MESSAGE(u != nullptr, t.name);
    const auto x = a.bytes(t), y = b.bytes(*u);
    if (x.size() != y.size() || !std::equal(x.begin(), x.end(), y.begin())) {
      ++differing;
      MESSAGE("differs: " << t.name);
    }
  }
  CHECK(differing == 0);
  for (const char* key : {"dnntrain.step", "dnntrain.epoch", "dnntrain.batch_in_epoch"})
    CHECK(a.metadata().at(key) == b.metadata().at(key));
}

CliResult expect_error(const std::string& args, int code, const std::string& needle) {
  const auto r = run_cli(args);
  INFO("dnntrain " << args << "\nstderr: " << r.err);
  CHECK(r.code == code);
  CHECK(r.err.find(needle) != std::string::npos);
  CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
  return r;
}

}  // namespace dnntrain::test
