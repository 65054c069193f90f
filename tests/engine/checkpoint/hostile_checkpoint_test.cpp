// Hostile checkpoint files and folders: a valid file padded to 50 GB (sparse) is refused after its
// header without reading the padding, a FIFO or a folder is named for what it is without hanging,
// and links planted where the writer puts its temporary are never written through.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "engine/checkpoint/atomic_file.hpp"
#include "engine/checkpoint/safetensors.hpp"
#include "engine/error.hpp"
#include "tests/engine/checkpoint/temp_dir.hpp"

namespace dnntrain {
namespace {

namespace fs = std::filesystem;
using engine::DType;
using engine::Safetensors;
using testing::TempDir;

std::string error_of(const std::string& path) {
  try {
    Safetensors::read(path);
  } catch (const Error& e) {
    return e.what();
  }
  FAIL("read '" << path << "' without an error");
  return {};
}

// Bytes this process has read through read(2) and pread(2) so far (/proc/self/io rchar).
uint64_t bytes_read() {
  std::ifstream io("/proc/self/io");
  std::string key;
  uint64_t value = 0;
  while (io >> key >> value)
    if (key == "rchar:") return value;
  return 0;
}

void write_small(const std::string& path) {
  const std::vector<float> v = {1, 2, 3, 4};
  engine::write_safetensors(path, {{"w", DType::F32, {4}, {reinterpret_cast<const uint8_t*>(v.data()), 16}}},
                            {{"format", "pt"}});
}

TEST_CASE("a valid file padded to 50 GB is refused after its header, reading no padding") {
  TempDir dir;
  const std::string path = dir.file("padded.safetensors");
  write_small(path);
  const auto size = fs::file_size(path);
  REQUIRE(truncate(path.c_str(), off_t{50} << 30) == 0);  // sparse: no disk used
  const uint64_t before = bytes_read();
  const std::string message = error_of(path);
  const uint64_t read = bytes_read() - before;
  CHECK(message.find(path) != std::string::npos);
  CHECK(message.find("bytes follow the last tensor") != std::string::npos);
  INFO("read " << read << " bytes of a " << size << "-byte file padded to 50 GB");
  CHECK(read < 4096);
  // The same file cut back to its size loads.
  REQUIRE(truncate(path.c_str(), static_cast<off_t>(size)) == 0);
  CHECK(Safetensors::read(path).at("w").shape == std::vector<int64_t>{4});
  // Cut short, it is refused without reading past the header either.
  REQUIRE(truncate(path.c_str(), static_cast<off_t>(size - 4)) == 0);
  CHECK(error_of(path).find("the data buffer is 12 bytes but the tensors cover 16") != std::string::npos);
}

TEST_CASE("a FIFO or a folder given as a checkpoint is named for what it is, without hanging") {
  TempDir dir;
  const std::string fifo = dir.file("ck.safetensors");
  REQUIRE(mkfifo(fifo.c_str(), 0644) == 0);
  alarm(20);  // a reader that blocks on the FIFO's open would hang: SIGALRM ends the test instead
  CHECK(error_of(fifo).find("is a FIFO") != std::string::npos);
  CHECK(error_of(dir.path.string()).find("is a directory") != std::string::npos);
  CHECK(error_of("/dev/zero").find("is a device") != std::string::npos);
  alarm(0);
  CHECK(engine::not_a_regular_file(fifo) == "is a FIFO (named pipe)");
  CHECK(engine::not_a_regular_file(dir.path.string()) == "is a directory");
  CHECK(engine::not_a_regular_file(dir.file("none")) == "does not exist");
  CHECK(!engine::not_a_regular_file("/etc/passwd"));
}

TEST_CASE("links planted at the temporary's names are skipped, never written through") {
  TempDir dir;
  const std::string path = dir.file("checkpoint.safetensors"), victim = dir.file("victim");
  std::ofstream(victim) << "precious";
  // The next names this process's writer can pick: <path>.dnntrain-tmp.<pid>.<n> for a range of n.
  for (int n = 0; n < 50; ++n)
    fs::create_symlink(victim, path + ".dnntrain-tmp." + std::to_string(getpid()) + "." + std::to_string(n));
  write_small(path);
  CHECK(Safetensors::read(path).at("w").shape == std::vector<int64_t>{4});
  std::ifstream in(victim);
  std::string text((std::istreambuf_iterator<char>(in)), {});
  CHECK(text == "precious");
  CHECK(fs::is_symlink(path + ".dnntrain-tmp." + std::to_string(getpid()) + ".0"));
  // A link planted at the final name is replaced, its target left alone.
  fs::remove(path);
  fs::create_symlink(victim, path);
  write_small(path);
  CHECK(!fs::is_symlink(path));
  std::ifstream again(victim);
  CHECK(std::string((std::istreambuf_iterator<char>(again)), {}) == "precious");
}

}  // namespace
}  // namespace dnntrain
