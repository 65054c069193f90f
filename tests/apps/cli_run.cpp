// run_cli through std::system with redirected output; the status decoded the way a shell does.
#include "tests/apps/cli_run.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

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

}  // namespace dnntrain::test
