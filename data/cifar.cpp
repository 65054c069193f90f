// CIFAR binary readers. The records carry no header, so the checks are the file size (a whole
// number of records) and the label range; both name the file and the record.
#include "data/cifar.hpp"

#include "data/file_io.hpp"
#include "engine/error.hpp"

namespace dnntrain::data {
namespace {

constexpr int kPixels = 3 * 32 * 32;
// Records one file may hold: the official files hold 10,000 or 50,000. The bound stops a gzipped
// file from inflating without end.
constexpr uint64_t kMaxRecords = 100000;

// The folder that holds `probe`: `path` itself or `path/sub`.
std::filesystem::path resolve_folder(const std::filesystem::path& path, const char* sub, const char* probe) {
  require_exists(path, "CIFAR data folder");
  if (std::filesystem::exists(path / probe)) return path;
  if (std::filesystem::exists(path / sub / probe)) return path / sub;
  throw Error(std::string("CIFAR file not found: ") + (path / probe).string() + " (nor under " +
              (path / sub).string() + "); point the data path at the extracted binary archive");
}

// Appends the records of `file` (label_bytes label bytes, label at `label_offset`, then pixels).
void append_records(const std::filesystem::path& file, int label_bytes, int label_offset, int classes,
                    std::vector<uint8_t>& pixels, std::vector<int32_t>& labels) {
  const size_t record = static_cast<size_t>(label_bytes) + kPixels;
  const std::vector<uint8_t> bytes = read_file(file, kMaxRecords * record);
  DNNTRAIN_CHECK(!bytes.empty(), file.string() + ": empty file");
  DNNTRAIN_CHECK(bytes.size() % record == 0,
                 file.string() + ": " + std::to_string(bytes.size()) + " bytes is not a multiple of the " +
                     std::to_string(record) + "-byte record; record " +
                     std::to_string(bytes.size() / record) + " is truncated (re-extract the archive)");
  const size_t n = bytes.size() / record;
  const size_t first_pixel = pixels.size();
  pixels.resize(first_pixel + checked_mul(n, kPixels, file.string() + ": records x pixels"));
  for (size_t i = 0; i < n; ++i) {
    const uint8_t* rec = bytes.data() + i * record;
    const int label = rec[label_offset];
    DNNTRAIN_CHECK(label < classes, file.string() + " record " + std::to_string(i) + ": label " +
                                        std::to_string(label) + " out of range [0, " +
                                        std::to_string(classes) + ")");
    if (label_bytes == 2) {
      DNNTRAIN_CHECK(rec[0] < 20, file.string() + " record " + std::to_string(i) + ": coarse label " +
                                      std::to_string(rec[0]) + " out of range [0, 20)");
    }
    labels.push_back(label);
    std::copy(rec + label_bytes, rec + record,
              pixels.begin() + static_cast<std::ptrdiff_t>(first_pixel + i * kPixels));
  }
}

std::unique_ptr<InMemoryDataset> read_files(const std::vector<std::filesystem::path>& files, int label_bytes,
                                            int label_offset, int classes) {
  std::vector<uint8_t> pixels;
  std::vector<int32_t> labels;
  std::vector<std::string> names;
  std::vector<int64_t> starts;
  for (const auto& f : files) {
    names.push_back(f.string());
    starts.push_back(static_cast<int64_t>(labels.size()));
    append_records(f, label_bytes, label_offset, classes, pixels, labels);
  }
  return std::make_unique<InMemoryDataset>(std::move(pixels), std::move(labels), Dataset::Shape{3, 32, 32},
                                           classes, std::move(names), std::move(starts));
}

}  // namespace

std::unique_ptr<InMemoryDataset> read_cifar10(const std::filesystem::path& path, Split split) {
  const char* probe = split == Split::train ? "data_batch_1.bin" : "test_batch.bin";
  const auto dir = resolve_folder(path, "cifar-10-batches-bin", probe);
  std::vector<std::filesystem::path> files;
  if (split == Split::train) {
    for (int k = 1; k <= 5; ++k) files.push_back(dir / ("data_batch_" + std::to_string(k) + ".bin"));
  } else {
    files.push_back(dir / "test_batch.bin");
  }
  return read_files(files, 1, 0, 10);
}

std::unique_ptr<InMemoryDataset> read_cifar100(const std::filesystem::path& path, Split split) {
  const char* probe = split == Split::train ? "train.bin" : "test.bin";
  const auto dir = resolve_folder(path, "cifar-100-binary", probe);
  return read_files({dir / probe}, 2, 1, 100);
}

}  // namespace dnntrain::data
