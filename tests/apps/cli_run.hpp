// Runs the real dnntrain executable from tests: exit code (128 + signal if it died by one), stdout
// and stderr, in a scratch folder per test.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

namespace dnntrain::test {

struct CliResult {
  int code = -1;
  std::string out, err;
};

// Runs `dnntrain <args>` through the shell (args are shell words, quote paths yourself).
CliResult run_cli(const std::string& args);
// Runs any shell command line the same way (e.g. a Python checker).
CliResult run_shell(const std::string& command_line);

// A fresh, empty folder under the temporary directory, named for the test.
std::filesystem::path scratch_dir(const std::string& name);

std::string read_text(const std::filesystem::path& file);
bool contains(const std::string& text, const std::string& needle);
int64_t lines(const std::filesystem::path& file);  // newline characters in the file

// Two checkpoints hold the same bytes in every tensor and the same training position.
void expect_identical(const std::string& a_path, const std::string& b_path);

// Runs `dnntrain <args>` and checks the exit code and one line on stderr that contains `needle`.
CliResult expect_error(const std::string& args, int code, const std::string& needle);

// Tiny synthetic runs: 8x8 RGB images, 10 classes, batch 16, 128 training samples (8 steps/epoch).
inline constexpr const char* kTinyRun =
    "--dataset synthetic --synthetic-samples 128 --image-size 8 -b 16 --print-freq 1";

}  // namespace dnntrain::test
