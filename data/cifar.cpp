// CIFAR readers. Binary records carry no header, so the checks are the file size (a whole number of
// records) and the label range; torchvision's pickled archive is checked entry by entry (pickle.cpp
// reads it without running anything). Every error names the file.
#include "data/cifar.hpp"

#include "data/file_io.hpp"
#include "data/pickle.hpp"
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

// torchvision's archive (cifar-10-batches-py, cifar-100-python): each file a pickled dict whose
// b'data' is a NumPy uint8 array (N, 3072) and whose `label_key` is a list of N ints.
void append_pickled(const std::filesystem::path& file, const char* label_key, int classes,
                    std::vector<uint8_t>& pixels, std::vector<int32_t>& labels) {
  const std::string name = file.string();
  const std::vector<uint8_t> bytes = read_file(file, kMaxRecords * (kPixels + 64) + (1 << 20));
  const auto root = read_pickle(bytes, name);
  const auto fail = [&](const std::string& what) {
    return Error(name + ": " + what + "; expected torchvision's CIFAR pickle (a dict of b'data' and b'" +
                 label_key + "')");
  };
  const PickleValue* data = root->find("data");
  const PickleValue* label_list = root->find(label_key);
  if (!data || !label_list) throw fail("no 'data' or '" + std::string(label_key) + "' entry");
  // numpy's pickle: _reconstruct(ndarray, (0,), b'b') with the state (version, shape, dtype,
  // is_fortran, raw bytes).
  const bool reconstruct = data->kind == PickleValue::Kind::reduced &&
                           data->callable->kind == PickleValue::Kind::global &&
                           (data->callable->bytes == "numpy.core.multiarray _reconstruct" ||
                            data->callable->bytes == "numpy._core.multiarray _reconstruct");
  if (!reconstruct || !data->state || data->state->kind != PickleValue::Kind::tuple ||
      data->state->items.size() != 5)
    throw fail("'data' is not a NumPy array");
  const auto& st = data->state->items;
  const PickleValue& shape = *st[1];
  const PickleValue& dtype = *st[2];
  const PickleValue& raw = *st[4];
  const bool u1 = dtype.kind == PickleValue::Kind::reduced && dtype.args && !dtype.args->items.empty() &&
                  dtype.args->items[0]->is_string("u1");
  if (!u1) throw fail("'data' is not an array of uint8");
  if (shape.kind != PickleValue::Kind::tuple || shape.items.size() != 2 ||
      shape.items[0]->kind != PickleValue::Kind::integer || shape.items[1]->kind != PickleValue::Kind::integer ||
      shape.items[1]->integer != kPixels || shape.items[0]->integer < 1 ||
      static_cast<uint64_t>(shape.items[0]->integer) > kMaxRecords)
    throw fail("'data' is not of shape (N, 3072) with 1 <= N <= " + std::to_string(kMaxRecords));
  if (st[3]->integer != 0) throw fail("'data' is in Fortran order");
  const size_t n = static_cast<size_t>(shape.items[0]->integer);
  if (raw.kind != PickleValue::Kind::bytes || raw.bytes.size() != n * kPixels)
    throw fail("'data' holds " + std::to_string(raw.kind == PickleValue::Kind::bytes ? raw.bytes.size() : 0) +
               " bytes, its shape needs " + std::to_string(n * kPixels));
  if (label_list->kind != PickleValue::Kind::list || label_list->items.size() != n)
    throw fail("'" + std::string(label_key) + "' is not a list of " + std::to_string(n) + " labels");
  for (size_t i = 0; i < n; ++i) {
    const PickleValue& label = *label_list->items[i];
    DNNTRAIN_CHECK(label.kind == PickleValue::Kind::integer && label.integer >= 0 && label.integer < classes,
                   name + " record " + std::to_string(i) + ": label out of range [0, " + std::to_string(classes) +
                       ")");
    labels.push_back(static_cast<int32_t>(label.integer));
  }
  pixels.insert(pixels.end(), raw.bytes.begin(), raw.bytes.end());
}

// The samples of `files`, in order, each file's records appended by `append(file, pixels, labels)`.
template <class Append>
std::unique_ptr<InMemoryDataset> read_all(const std::vector<std::filesystem::path>& files, int classes,
                                          Append append) {
  std::vector<uint8_t> pixels;
  std::vector<int32_t> labels;
  std::vector<std::string> names;
  std::vector<int64_t> starts;
  for (const auto& f : files) {
    names.push_back(f.string());
    starts.push_back(static_cast<int64_t>(labels.size()));
    append(f, pixels, labels);
  }
  return std::make_unique<InMemoryDataset>(std::move(pixels), std::move(labels), Dataset::Shape{3, 32, 32},
                                           classes, std::move(names), std::move(starts));
}

std::unique_ptr<InMemoryDataset> read_pickled(const std::vector<std::filesystem::path>& files,
                                              const char* label_key, int classes) {
  return read_all(files, classes, [&](const std::filesystem::path& f, auto& pixels, auto& labels) {
    append_pickled(f, label_key, classes, pixels, labels);
  });
}

// The folder of torchvision's pickled archive under `path` (`path` itself or `path/sub`), or empty.
std::filesystem::path pickled_folder(const std::filesystem::path& path, const char* sub, const char* probe) {
  if (std::filesystem::exists(path / sub / probe)) return path / sub;
  if (std::filesystem::exists(path / probe)) return path;
  return {};
}

std::unique_ptr<InMemoryDataset> read_files(const std::vector<std::filesystem::path>& files, int label_bytes,
                                            int label_offset, int classes) {
  return read_all(files, classes, [&](const std::filesystem::path& f, auto& pixels, auto& labels) {
    append_records(f, label_bytes, label_offset, classes, pixels, labels);
  });
}

}  // namespace

std::unique_ptr<InMemoryDataset> read_cifar10(const std::filesystem::path& path, Split split) {
  require_exists(path, "CIFAR data folder");
  if (const auto py = pickled_folder(path, "cifar-10-batches-py", split == Split::train ? "data_batch_1" : "test_batch");
      !py.empty()) {
    std::vector<std::filesystem::path> files;
    if (split == Split::train)
      for (int k = 1; k <= 5; ++k) files.push_back(py / ("data_batch_" + std::to_string(k)));
    else
      files.push_back(py / "test_batch");
    return read_pickled(files, "labels", 10);
  }
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
  require_exists(path, "CIFAR data folder");
  if (const auto py = pickled_folder(path, "cifar-100-python", split == Split::train ? "train" : "test");
      !py.empty() && std::filesystem::is_regular_file(py / (split == Split::train ? "train" : "test")))
    return read_pickled({py / (split == Split::train ? "train" : "test")}, "fine_labels", 100);
  const char* probe = split == Split::train ? "train.bin" : "test.bin";
  const auto dir = resolve_folder(path, "cifar-100-binary", probe);
  return read_files({dir / probe}, 2, 1, 100);
}

}  // namespace dnntrain::data
