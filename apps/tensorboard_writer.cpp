// Hand-encoded protobuf: varint keys (field << 3 | wire type), little-endian fixed64/fixed32 for
// double/float, length-delimited strings and sub-messages; then TFRecord framing, flushed per event.
#include "apps/tensorboard_writer.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <bit>
#include <chrono>
#include <cstring>
#include <filesystem>

#include "engine/checkpoint/atomic_file.hpp"
#include "engine/checkpoint/crc32c.hpp"
#include "engine/error.hpp"

namespace dnntrain::apps {

namespace {

enum Wire : uint8_t { varint = 0, fixed64 = 1, length_delimited = 2, fixed32 = 5 };

void put_varint(std::vector<uint8_t>& out, uint64_t v) {
  for (; v >= 0x80; v >>= 7) out.push_back(static_cast<uint8_t>(v | 0x80));
  out.push_back(static_cast<uint8_t>(v));
}

void put_key(std::vector<uint8_t>& out, uint32_t field, Wire wire) { put_varint(out, field << 3 | wire); }

template <class T>
void put_le(std::vector<uint8_t>& out, T v) {
  static_assert(std::endian::native == std::endian::little, "event files are little-endian");
  uint8_t bytes[sizeof(T)];
  std::memcpy(bytes, &v, sizeof(T));
  out.insert(out.end(), bytes, bytes + sizeof(T));
}

void put_bytes(std::vector<uint8_t>& out, uint32_t field, const void* data, size_t n) {
  put_key(out, field, length_delimited);
  put_varint(out, n);
  const auto* p = static_cast<const uint8_t*>(data);
  out.insert(out.end(), p, p + n);
}

double unix_seconds() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace

uint32_t masked_crc32c(const void* data, size_t n) {
  const uint32_t crc = engine::crc32c(data, n);
  return ((crc >> 15) | (crc << 17)) + 0xa282ead8u;
}

std::vector<uint8_t> encode_event(double wall_time, int64_t step, const std::string& file_version,
                                  const std::string& tag, float value) {
  std::vector<uint8_t> event;
  put_key(event, 1, fixed64);
  put_le(event, wall_time);
  put_key(event, 2, varint);
  put_varint(event, static_cast<uint64_t>(step));
  if (!file_version.empty()) {
    put_bytes(event, 3, file_version.data(), file_version.size());
    return event;
  }
  std::vector<uint8_t> summary_value;  // Summary.Value
  put_bytes(summary_value, 1, tag.data(), tag.size());
  put_key(summary_value, 2, fixed32);
  put_le(summary_value, value);
  std::vector<uint8_t> summary;  // Summary { repeated Value value = 1; }
  put_bytes(summary, 1, summary_value.data(), summary_value.size());
  put_bytes(event, 5, summary.data(), summary.size());
  return event;
}

std::vector<uint8_t> frame_record(const std::vector<uint8_t>& data) {
  std::vector<uint8_t> record;
  put_le(record, static_cast<uint64_t>(data.size()));
  put_le(record, masked_crc32c(record.data(), sizeof(uint64_t)));
  record.insert(record.end(), data.begin(), data.end());
  put_le(record, masked_crc32c(data.data(), data.size()));
  return record;
}

TensorboardWriter::TensorboardWriter(const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  DNNTRAIN_CHECK(!ec, fmt::format("--tensorboard: cannot create '{}': {}", dir, ec.message()));
  char host[256] = "localhost";
  gethostname(host, sizeof host - 1);
  const double now = unix_seconds();
  path_ = fmt::format("{}/events.out.tfevents.{:010d}.{}.{}", dir, static_cast<int64_t>(now), host, getpid());
  const int fd = engine::open_for_writing(path_, O_WRONLY | O_CREAT | O_TRUNC);
  file_ = ::fdopen(fd, "wb");
  if (file_ == nullptr) ::close(fd);
  DNNTRAIN_CHECK(file_ != nullptr, fmt::format("--tensorboard: cannot write '{}'", path_));
  write(encode_event(now, 0, "brain.Event:2"));
}

TensorboardWriter::~TensorboardWriter() {
  if (file_) std::fclose(file_);
}

void TensorboardWriter::scalar(const std::string& tag, int64_t step, double value) {
  write(encode_event(unix_seconds(), step, "", tag, static_cast<float>(value)));
}

void TensorboardWriter::write(const std::vector<uint8_t>& event) {
  const std::vector<uint8_t> record = frame_record(event);
  const bool ok =
      std::fwrite(record.data(), 1, record.size(), file_) == record.size() && std::fflush(file_) == 0;
  DNNTRAIN_CHECK(ok, fmt::format("cannot write '{}' (disk full?)", path_));
}

}  // namespace dnntrain::apps
