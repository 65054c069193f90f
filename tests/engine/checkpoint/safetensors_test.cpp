// safetensors: round trips, a file whose bytes this test writes from the specification, every
// malformed case Safetensors::parse checks (each must throw dnntrain::Error naming the file and
// the problem), and atomic writes that leave the previous file whole when a write fails.
#include "engine/checkpoint/safetensors.hpp"

#include <doctest/doctest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>

#include "engine/checkpoint/atomic_file.hpp"
#include "engine/checkpoint/crc32c.hpp"
#include "engine/error.hpp"
#include "tests/engine/checkpoint/temp_dir.hpp"

namespace dnntrain {
namespace {

using engine::DType;
using engine::Safetensors;
using engine::TensorRef;
using testing::TempDir;
using Bytes = std::vector<uint8_t>;

// 8-byte little-endian length, the header text as given, then the data bytes.
Bytes raw(const std::string& header, const Bytes& data = {}, uint64_t length_override = UINT64_MAX) {
  const uint64_t n = length_override == UINT64_MAX ? header.size() : length_override;
  Bytes b(8);
  for (int i = 0; i < 8; ++i) b[static_cast<size_t>(i)] = static_cast<uint8_t>(n >> (8 * i));
  b.insert(b.end(), header.begin(), header.end());
  b.insert(b.end(), data.begin(), data.end());
  return b;
}

template <class T>
std::span<const uint8_t> as_bytes(const std::vector<T>& v) {
  return {reinterpret_cast<const uint8_t*>(v.data()), v.size() * sizeof(T)};
}

// Parsing must throw a dnntrain::Error whose message names the source and contains `phrase`.
void expect_rejected(const Bytes& file, const std::string& phrase) {
  try {
    Safetensors::parse(file, "case.safetensors");
    FAIL("accepted a malformed file; expected an error containing '" << phrase << "'");
  } catch (const Error& e) {
    const std::string msg = e.what();
    CHECK_MESSAGE(msg.find("case.safetensors") != std::string::npos, "error does not name the file: " << msg);
    CHECK_MESSAGE(msg.find(phrase) != std::string::npos, "expected '" << phrase << "' in: " << msg);
  }
}

const std::string kF32x2 = R"("dtype":"F32","shape":[2],"data_offsets":)";

TEST_CASE("round trip: sorted by dtype then name, header padded to 8, byte-identical re-save") {
  const std::vector<float> w = {1.5f, -2.f, 3.25f, 0.f, 7.f, -0.5f};
  const std::vector<int64_t> count = {42};
  const std::vector<float> bias = {0.25f, 0.5f};
  std::vector<TensorRef> tensors = {
      {"layer.weight", DType::F32, {2, 3}, as_bytes(w)},
      {"bn.num_batches_tracked", DType::I64, {}, as_bytes(count)},
      {"layer.bias", DType::F32, {2}, as_bytes(bias)},
  };
  const std::map<std::string, std::string> meta = {{"format", "pt"}, {"note", "quote \" and \\ and \n"}};
  const Bytes file = engine::serialize_safetensors(tensors, meta);
  const Safetensors st = Safetensors::parse(file, "rt.safetensors");
  CHECK(st.header_bytes() % 8 == 0);
  REQUIRE(st.tensors().size() == 3);
  CHECK(st.tensors()[0].name == "bn.num_batches_tracked");  // I64 sorts before F32
  CHECK(st.tensors()[1].name == "layer.bias");
  CHECK(st.tensors()[2].name == "layer.weight");
  CHECK(st.metadata() == meta);
  const auto& t = st.at("layer.weight", DType::F32);
  CHECK(t.shape == std::vector<int64_t>{2, 3});
  std::vector<float> back(6);
  std::memcpy(back.data(), st.bytes(t).data(), 24);
  CHECK(back == w);
  CHECK(st.at("bn.num_batches_tracked").shape.empty());
  // Re-saving what was read gives the same bytes.
  std::vector<TensorRef> again;
  for (const auto& info : st.tensors()) again.push_back({info.name, info.dtype, info.shape, st.bytes(info)});
  CHECK(engine::serialize_safetensors(again, st.metadata()) == file);
  // An empty file is valid: "{}" padded.
  const Bytes empty = engine::serialize_safetensors({}, {});
  CHECK(empty.size() == 16);
  CHECK(Safetensors::parse(empty, "empty").tensors().empty());
}

TEST_CASE("a file written byte by byte from the specification loads") {
  // Header as a hand-written JSON with whitespace, unsorted keys, escapes, trailing spaces.
  const std::string header =
      "{ \"a\\u0062\" : {\"shape\": [2, 2], \"dtype\": \"F32\", \"data_offsets\": [8, 24]},\n"
      "  \"__metadata__\": {\"format\": \"pt\", \"caf\\u00e9\": \"\\ud83d\\ude00\"},\n"
      "  \"n\": {\"dtype\": \"I64\", \"shape\": [], \"data_offsets\": [0, 8]} }   ";
  Bytes data;
  const int64_t n = -3;
  data.insert(data.end(), reinterpret_cast<const uint8_t*>(&n), reinterpret_cast<const uint8_t*>(&n) + 8);
  for (float f : {1.f, 2.f, 3.f, 4.f})
    data.insert(data.end(), reinterpret_cast<const uint8_t*>(&f), reinterpret_cast<const uint8_t*>(&f) + 4);
  const Bytes file = raw(header, data);  // parse() keeps views into it
  const Safetensors st = Safetensors::parse(file, "spec.safetensors");
  const auto& ab = st.at("ab", DType::F32);
  CHECK(ab.shape == std::vector<int64_t>{2, 2});
  float v[4];
  std::memcpy(v, st.bytes(ab).data(), 16);
  CHECK(v[3] == 4.f);
  int64_t back;
  std::memcpy(&back, st.bytes(st.at("n", DType::I64)).data(), 8);
  CHECK(back == -3);
  CHECK(st.metadata().at("caf\xc3\xa9") == "\xf0\x9f\x98\x80");
  const std::vector<int64_t> wrong = {4};
  CHECK_THROWS_WITH_AS(st.at("ab", DType::F32, &wrong), doctest::Contains("expected [4]"), Error);
  CHECK_THROWS_WITH_AS(st.at("ab", DType::BF16), doctest::Contains("expected BF16"), Error);
  CHECK_THROWS_WITH_AS(st.at("missing"), doctest::Contains("missing tensor 'missing'"), Error);
}

TEST_CASE("check 1: sizes of the length prefix and the header") {
  expect_rejected(Bytes{1, 2, 3}, "shorter than the 8-byte header length");
  expect_rejected(raw("{}", {}, 100'000'001), "exceeds the 100000000-byte limit");
  expect_rejected(raw("{}", {}, 64), "runs past the end");
  expect_rejected(raw("{}", {}, 99'999'999), "runs past the end");
  expect_rejected(raw("{}", {}, UINT64_MAX - 3), "exceeds");  // 8 + N would overflow
}

TEST_CASE("check 2: UTF-8, JSON object, duplicates") {
  expect_rejected(raw("{\"\xff\":1}"), "not valid UTF-8");
  expect_rejected(raw("{\"\xc0\xaf\":1}"), "not valid UTF-8");      // overlong '/'
  expect_rejected(raw("{\"\xed\xa0\x80\":1}"), "not valid UTF-8");  // surrogate
  expect_rejected(raw(" {}"), "does not start with '{'");
  expect_rejected(raw("[]"), "does not start with '{'");
  expect_rejected(raw(""), "does not start with '{'");
  expect_rejected(raw("{\"a\":{\"dtype\":\"F32\""), "not valid JSON");
  expect_rejected(raw("{\"a\":1,}"), "not valid JSON");
  expect_rejected(raw("{} x"), "not valid JSON");
  expect_rejected(raw("{\"a\":\"\\ud800\"}"), "not valid JSON");  // lone surrogate escape
  expect_rejected(raw(std::string(40, '{')), "not valid JSON");   // nesting too deep
  expect_rejected(raw("{\"a\":{" + kF32x2 + "[0,8]},\"a\":{" + kF32x2 + "[8,16]}}", Bytes(16)),
                  "duplicate key 'a'");
  expect_rejected(raw("{\"__metadata__\":{\"k\":\"1\",\"k\":\"2\"}}"), "duplicate __metadata__ key 'k'");
}

TEST_CASE("check 3: complete entries, known dtypes, string metadata") {
  expect_rejected(raw(R"({"a":{"shape":[2],"data_offsets":[0,8]}})", Bytes(8)),
                  "lacks dtype, shape or data_offsets");
  expect_rejected(raw(R"({"a":{"dtype":"F32","data_offsets":[0,8]}})", Bytes(8)), "lacks dtype");
  expect_rejected(raw(R"({"a":{"dtype":"F32","shape":[2]}})", Bytes(8)), "lacks dtype");
  expect_rejected(raw(R"({"a":{"dtype":"F31","shape":[2],"data_offsets":[0,8]}})", Bytes(8)),
                  "unknown dtype 'F31'");
  expect_rejected(raw(R"({"a":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}})", Bytes(8)), "not a size");
  expect_rejected(raw(R"({"a":{"dtype":"F32","shape":[2.0],"data_offsets":[0,8]}})", Bytes(8)), "not a size");
  expect_rejected(raw(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0]}})", Bytes(8)),
                  "[begin, end] pair");
  expect_rejected(raw(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8],"x":1}})", Bytes(8)),
                  "unknown field");
  expect_rejected(raw(R"({"a":[1]})"), "is not a JSON object");
  expect_rejected(raw(R"({"__metadata__":{"epoch":3}})"), "value of 'epoch' is not a string");
  expect_rejected(raw(R"({"__metadata__":[]})"), "__metadata__ is not an object");
  CHECK_NOTHROW(Safetensors::parse(raw(R"({"__metadata__":null})"), "null-metadata"));
}

TEST_CASE("check 4: offsets tile the buffer (no gaps, no overlaps, end >= begin)") {
  expect_rejected(raw("{\"a\":{" + kF32x2 + "[8,0]}}", Bytes(8)), "end before they begin");
  expect_rejected(raw("{\"a\":{" + kF32x2 + "[4,12]}}", Bytes(12)), "leaving a gap");
  expect_rejected(raw("{\"a\":{" + kF32x2 + "[0,8]},\"b\":{" + kF32x2 + "[12,20]}}", Bytes(20)),
                  "leaving a gap");
  expect_rejected(raw("{\"a\":{" + kF32x2 + "[0,8]},\"b\":{" + kF32x2 + "[4,12]}}", Bytes(12)),
                  "overlapping");
  expect_rejected(raw("{\"a\":{" + kF32x2 + "[0,8]},\"b\":{" + kF32x2 + "[0,8]}}", Bytes(8)), "overlapping");
}

TEST_CASE("check 5: shape x dtype size equals the byte range, with overflow checks") {
  expect_rejected(raw("{\"a\":{" + kF32x2 + "[0,12]}}", Bytes(12)), "needs 8 bytes but data_offsets span 12");
  expect_rejected(raw(R"({"a":{"dtype":"I64","shape":[],"data_offsets":[0,4]}})", Bytes(4)), "needs 8 bytes");
  expect_rejected(raw(R"({"a":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,0]}})"),
                  "overflows");
  expect_rejected(raw(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,18446744073709551616]}})"),
                  "not byte offsets");
}

TEST_CASE("check 6: the tensors end exactly at the end of the file") {
  expect_rejected(raw("{\"a\":{" + kF32x2 + "[0,8]}}", Bytes(9)),
                  "1 bytes follow the last tensor, which ends at byte 8");
  expect_rejected(raw("{\"a\":{" + kF32x2 + "[0,8]}}", Bytes(7)), "the data buffer is 7 bytes");
  expect_rejected(raw("{}", Bytes(1)), "1 bytes follow the last tensor");
}

TEST_CASE("the writer rejects inconsistent input") {
  const std::vector<float> v(3);
  CHECK_THROWS_AS(engine::serialize_safetensors({{"a", DType::F32, {2}, as_bytes(v)}}, {}), Error);
  CHECK_THROWS_AS(engine::serialize_safetensors(
                      {{"a", DType::F32, {3}, as_bytes(v)}, {"a", DType::F32, {3}, as_bytes(v)}}, {}),
                  Error);
  CHECK_THROWS_AS(engine::serialize_safetensors({{"__metadata__", DType::F32, {3}, as_bytes(v)}}, {}), Error);
}

TEST_CASE("crc32c matches the standard check value") {
  CHECK(engine::crc32c("123456789", 9) == 0xE3069283u);
  // Incremental over an odd split equals one pass (hardware and table paths share the result).
  const std::string s(1000, 'x');
  CHECK(engine::crc32c(s.data() + 13, s.size() - 13, engine::crc32c(s.data(), 13)) ==
        engine::crc32c(s.data(), s.size()));
}

// The AtomicFile temporaries in `dir`.
int temporaries(const std::filesystem::path& dir) {
  int n = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir))
    n += engine::is_atomic_temporary(e.path().filename().string());
  return n;
}

void write_previous(const std::string& path) {
  const std::vector<float> v = {1, 2, 3};
  engine::write_safetensors(path, {{"w", DType::F32, {3}, as_bytes(v)}}, {{"v", "old"}});
}

void expect_previous_whole(const std::string& path) {
  const Safetensors st = Safetensors::read(path);
  CHECK(st.metadata().at("v") == "old");
  CHECK(st.at("w").shape == std::vector<int64_t>{3});
}

TEST_CASE("atomic write: a failed or interrupted write leaves the previous file whole") {
  TempDir dir;
  const std::string path = (dir.path / "ckpt.safetensors").string();
  write_previous(path);
  expect_previous_whole(path);
  CHECK(temporaries(dir.path) == 0);

  SUBCASE("writer refuses its input") {
    const std::vector<float> v(3);
    CHECK_THROWS_AS(engine::write_safetensors(path, {{"w", DType::F32, {4}, as_bytes(v)}}, {}), Error);
  }
  SUBCASE("temporary file cannot be created") {
    const std::string elsewhere = (dir.path / "no_such_folder" / "ckpt.safetensors").string();
    const std::vector<float> v(3);
    CHECK_THROWS_WITH_AS(engine::write_safetensors(elsewhere, {{"w", DType::F32, {3}, as_bytes(v)}}, {}),
                         doctest::Contains(".dnntrain-tmp."), Error);
  }
  SUBCASE("folder not writable (skipped as root, who may write anyway)") {
    if (geteuid() != 0) {
      chmod(dir.path.c_str(), 0555);
      const std::vector<float> v(3);
      CHECK_THROWS_AS(engine::write_safetensors(path, {{"w", DType::F32, {3}, as_bytes(v)}}, {}), Error);
      chmod(dir.path.c_str(), 0755);
    }
  }
  SUBCASE("abandoned before commit (an exception mid-write)") {
    {
      engine::AtomicFile f(path);
      f.write(Bytes(100, 0xAB));
      CHECK(temporaries(dir.path) == 1);
    }
    CHECK(temporaries(dir.path) == 0);
  }
  SUBCASE("process killed with SIGKILL in the middle of a write") {
    const pid_t child = fork();
    REQUIRE(child >= 0);
    if (child == 0) {
      engine::AtomicFile f(path);
      f.write(Bytes(1 << 20, 0xCD));
      raise(SIGKILL);
      _exit(0);
    }
    int status = 0;
    waitpid(child, &status, 0);
    CHECK(WIFSIGNALED(status));
    CHECK(temporaries(dir.path) == 1);  // the torn write is only the temporary file
    std::ofstream(dir.path / "notes.tmp.txt") << "a user's file with a similar name";
    CHECK(engine::remove_stale_temporaries(dir.path.string()) == 1);
    CHECK(temporaries(dir.path) == 0);
    CHECK(std::filesystem::exists(dir.path / "notes.tmp.txt"));
  }
  expect_previous_whole(path);
  // And the next successful write replaces it.
  const std::vector<float> v = {9, 9};
  engine::write_safetensors(path, {{"w", DType::F32, {2}, as_bytes(v)}}, {{"v", "new"}});
  CHECK(Safetensors::read(path).metadata().at("v") == "new");
}

TEST_CASE("reading a missing file names it") {
  CHECK_THROWS_WITH_AS(Safetensors::read("/nonexistent/x.safetensors"),
                       doctest::Contains("/nonexistent/x.safetensors"), Error);
}

}  // namespace
}  // namespace dnntrain
