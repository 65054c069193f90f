// File access shared by the readers: the checked multiply for header sizes, bounded reads of raw
// and gzip files, and the regular-file rule.
#include "data/file_io.hpp"

#include <doctest/doctest.h>

#include "engine/error.hpp"
#include "tests/data/expect_error.hpp"
#include "tests/data/test_files.hpp"

using namespace dnntrain::data;
using namespace dnntrain::data::test;

TEST_CASE("checked_mul: exact products, and an Error naming the operands on overflow") {
  CHECK(checked_mul(0, ~uint64_t{0}, "x") == 0);
  CHECK(checked_mul(uint64_t{1} << 31, uint64_t{1} << 32, "x") == uint64_t{1} << 63);
  CHECK(checked_mul(0xFFFFFFFF, 0xFFFFFFFF, "x") == 0xFFFFFFFE00000001);
  const std::string msg =
      error_of([] { checked_mul(uint64_t{1} << 32, uint64_t{1} << 32, "file.idx: dims"); });
  CHECK(msg == "file.idx: dims: 4294967296 x 4294967296 overflows 64 bits");
}

TEST_CASE("read_file: raw and gzip alike, refused past the bound naming the file") {
  TempDir tmp;
  const std::vector<uint8_t> bytes = {1, 2, 3, 4, 5};
  write_bytes(tmp.path() / "raw", bytes);
  write_gzip(tmp.path() / "gz", bytes);
  for (const char* name : {"raw", "gz"}) {
    CAPTURE(name);
    CHECK(read_file(tmp.path() / name, 5) == bytes);
    const std::string msg = error_of([&] { read_file(tmp.path() / name, 4); });
    CHECK(msg.find(name) != std::string::npos);
    CHECK(msg.find("more than 4 bytes") != std::string::npos);
  }
  CHECK_FALSE(DataFile(tmp.path() / "raw").compressed());
  CHECK(DataFile(tmp.path() / "gz").compressed());
  CHECK(error_of([&] { read_file(tmp.path() / "absent", 5); }).find("absent") != std::string::npos);
}

TEST_CASE("read_raw_file: regular files only, at most the bound") {
  TempDir tmp;
  std::vector<uint8_t> out;
  write_bytes(tmp.path() / "a.png", {9, 8, 7});
  read_raw_file(tmp.path() / "a.png", 3, out);
  CHECK(out == std::vector<uint8_t>{9, 8, 7});
  CHECK(error_of([&] { read_raw_file(tmp.path() / "a.png", 2, out); }).find("a.png") != std::string::npos);
  make_fifo(tmp.path() / "pipe.png");
  CHECK(error_of([&] {
          read_raw_file(tmp.path() / "pipe.png", 3, out);
        }).find("pipe.png: not a regular file") != std::string::npos);
}
