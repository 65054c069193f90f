// torchvision's dataset layouts, found from the root a torchvision user passes: MNIST and
// Fashion-MNIST under root/<Name>/raw, CIFAR-10/100 as the pickled Python archives, written here by
// Python's own pickle (tests/data/write_cifar_pickles.py, with Debian's python3 and NumPy) and read
// back byte for byte; truncated and lying pickles give one error naming the file.
#include <doctest/doctest.h>

#include <cstdlib>

#include "data/cifar.hpp"
#include "data/datasets.hpp"
#include "data/idx.hpp"
#include "data/pickle.hpp"
#include "engine/error.hpp"
#include "tests/data/expect_error.hpp"
#include "tests/data/test_files.hpp"

using namespace dnntrain::data;
using namespace dnntrain::data::test;
namespace fs = std::filesystem;

namespace {

constexpr int kRecords = 3;

// Runs the writer; false when Debian's python3 or NumPy is missing (the test is then skipped).
bool write_pickles(const fs::path& root) {
  const std::string command = "/usr/bin/python3 " + std::string(DNNTRAIN_TEST_DATA_DIR) +
                              "/write_cifar_pickles.py " + root.string() + " " + std::to_string(kRecords);
  return std::system(command.c_str()) == 0;
}

// Image i of file `file`: byte j is (i * 7 + j + file) % 256; its label (i + file) % classes.
void check_records(const InMemoryDataset& ds, int64_t first, int file, int classes) {
  Image scratch;
  for (int i = 0; i < kRecords; ++i) {
    CHECK(ds.label(first + i) == (i + file) % classes);
    const ImageView v = ds.sample(first + i, scratch).image;
    REQUIRE(v.channels == 3);
    for (int c = 0; c < 3; ++c)
      for (int y = 0; y < 32; y += 7)
        for (int x = 0; x < 32; x += 5) {
          const int j = c * 1024 + y * 32 + x;
          CHECK(int(v.row(c, y)[x]) == (i * 7 + j + file) % 256);
        }
  }
}

}  // namespace

TEST_CASE("CIFAR-10 and CIFAR-100 from torchvision's pickled archives, from the root or the folder") {
  TempDir tmp;
  if (!write_pickles(tmp.path())) {
    MESSAGE("Debian's python3 with NumPy is missing: skipped");
    return;
  }
  for (const fs::path& path : {tmp.path(), tmp.path() / "cifar-10-batches-py"}) {
    const auto train = read_cifar10(path, Split::train);
    REQUIRE(train->size() == 5 * kRecords);
    for (int k = 1; k <= 5; ++k) check_records(*train, (k - 1) * kRecords, k, 10);
    const auto test = read_cifar10(path, Split::test);  // written as Python 2 wrote the official files
    REQUIRE(test->size() == kRecords);
    check_records(*test, 0, 0, 10);
  }
  const auto train100 = read_cifar100(tmp.path(), Split::train);
  REQUIRE(train100->size() == kRecords);
  CHECK(train100->classes() == 100);
  check_records(*train100, 0, 1, 100);
  check_records(*read_cifar100(tmp.path() / "cifar-100-python", Split::test), 0, 0, 100);
}

TEST_CASE("a truncated or lying CIFAR pickle is one error naming the file") {
  TempDir tmp;
  if (!write_pickles(tmp.path())) {
    MESSAGE("Debian's python3 with NumPy is missing: skipped");
    return;
  }
  const fs::path file = tmp.path() / "cifar-10-batches-py" / "test_batch";
  const std::vector<uint8_t> good = read_bytes(file);
  // Every cut of the file fails cleanly (every 97th length, and the last bytes).
  for (size_t n = 0; n < good.size(); n += (n + 8 >= good.size() ? 1 : 97)) {
    write_bytes(file, std::vector<uint8_t>(good.begin(), good.begin() + long(n)));
    INFO(n);
    CHECK(error_of([&] { read_cifar10(tmp.path(), Split::test); }).find(file.string()) != std::string::npos);
  }
  // The shape claims one record more than the bytes hold.
  std::vector<uint8_t> lying = good;
  bool patched = false;
  for (size_t i = 0; i + 6 < lying.size() && !patched; ++i)
    if (lying[i] == 'M' && lying[i + 1] == kRecords && lying[i + 2] == 0 && lying[i + 3] == 'M') {
      lying[i + 1] = kRecords + 1;
      patched = true;
    }
  REQUIRE(patched);
  write_bytes(file, lying);
  const std::string msg = error_of([&] { read_cifar10(tmp.path(), Split::test); });
  CHECK(msg.find(file.string()) != std::string::npos);
  CHECK(msg.find("its shape needs") != std::string::npos);
  // An opcode that would run code elsewhere (INST) is refused by name.
  write_bytes(file, {0x80, 0x02, 'i', 'o', 's', '\n', 's', 'y', 's', 't', 'e', 'm', '\n', '.'});
  CHECK(error_of([&] { read_cifar10(tmp.path(), Split::test); }).find("unsupported pickle opcode") !=
        std::string::npos);
}

TEST_CASE("the pickle reader bounds nesting and refuses a container inside itself") {
  std::vector<uint8_t> deep = {0x80, 0x02};
  for (int i = 0; i < 100; ++i) deep.push_back(']');
  for (int i = 0; i < 99; ++i) deep.push_back('a');
  deep.push_back('.');
  CHECK(error_of([&] { read_pickle(deep, "deep.pkl"); }).find("nested more than") != std::string::npos);
  const std::vector<uint8_t> self = {0x80, 0x02, ']', 0x94, 'h', 0, 'a', '.'};
  CHECK(error_of([&] { read_pickle(self, "self.pkl"); }).find("inside itself") != std::string::npos);
}

TEST_CASE("MNIST and Fashion-MNIST under torchvision's root/<Name>/raw, raw or gzipped") {
  TempDir tmp;
  std::vector<uint8_t> images(2 * 28 * 28), labels = {3, 8};
  for (size_t i = 0; i < images.size(); ++i) images[i] = static_cast<uint8_t>(i * 5);
  for (const char* name : {"MNIST", "FashionMNIST"}) {
    const fs::path raw = tmp.path() / name / "raw";
    fs::create_directories(raw);
    write_gzip(raw / "train-images-idx3-ubyte.gz", idx_bytes({2, 28, 28}, images));
    write_gzip(raw / "train-labels-idx1-ubyte.gz", idx_bytes({2}, labels));
    write_bytes(raw / "t10k-images-idx3-ubyte", idx_bytes({2, 28, 28}, images));
    write_bytes(raw / "t10k-labels-idx1-ubyte", idx_bytes({2}, labels));
  }
  for (const auto& [kind, name] : {std::pair{DatasetKind::mnist, "MNIST"}, std::pair{DatasetKind::fashion_mnist,
                                                                                      "FashionMNIST"}}) {
    for (const fs::path& path : {tmp.path(), tmp.path() / name}) {  // torchvision's root, or root/<Name>
      DatasetOptions o;
      o.path = path.string();
      for (Split split : {Split::train, Split::test}) {
        o.split = split;
        const auto ds = open_dataset(kind, o);
        REQUIRE(ds->size() == 2);
        CHECK(ds->label(1) == 8);
        Image scratch;
        CHECK(ds->sample(1, scratch).image.row(0, 3)[4] == static_cast<uint8_t>((784 + 3 * 28 + 4) * 5));
      }
    }
  }
  // MNIST's folder name does not find Fashion-MNIST's files.
  fs::remove_all(tmp.path() / "MNIST");
  DatasetOptions o;
  o.path = tmp.path().string();
  CHECK(error_of([&] { open_dataset(DatasetKind::mnist, o); }).find("MNIST/raw") != std::string::npos);
}
