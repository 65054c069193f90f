// TensorBoard's event file, written without TensorFlow or libprotobuf: TFRecord framing (length,
// masked CRC-32C of the length, data, masked CRC-32C of the data) around Event messages whose few
// fields (wall_time, step, file_version, Summary.Value{tag, simple_value}) are encoded by hand.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

namespace dnntrain::apps {

// TFRecord's checksum: CRC-32C rotated right by 15 bits plus 0xa282ead8.
uint32_t masked_crc32c(const void* data, size_t n);

// One serialized tensorflow.Event: wall_time (1, double), step (2, int64), file_version (3,
// string) when not empty, else summary (5) holding one Value{tag (1), simple_value (2, float)}.
std::vector<uint8_t> encode_event(double wall_time, int64_t step, const std::string& file_version,
                                  const std::string& tag = "", float value = 0);
// `data` framed as one TFRecord.
std::vector<uint8_t> frame_record(const std::vector<uint8_t>& data);

class TensorboardWriter {
 public:
  // Creates `dir` and a new events.out.tfevents.<seconds>.<host>.<pid> file in it, starting with the
  // "brain.Event:2" version event. A resumed run writes a new file; TensorBoard reads them all.
  explicit TensorboardWriter(const std::string& dir);
  ~TensorboardWriter();
  TensorboardWriter(const TensorboardWriter&) = delete;
  TensorboardWriter& operator=(const TensorboardWriter&) = delete;

  // Appends one scalar and flushes, so a killed run keeps what it logged.
  void scalar(const std::string& tag, int64_t step, double value);
  const std::string& path() const { return path_; }

 private:
  void write(const std::vector<uint8_t>& event);
  std::string path_;
  std::FILE* file_ = nullptr;
};

}  // namespace dnntrain::apps
