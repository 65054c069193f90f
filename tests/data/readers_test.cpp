// Readers of in-memory datasets: CIFAR-10/100 and IDX on files written here in the official
// layouts, Debian's Fashion-MNIST when installed, synthetic data, and every bad-input case.
#include <doctest/doctest.h>

#include <cmath>
#include <numeric>

#include "data/cifar.hpp"
#include "data/datasets.hpp"
#include "data/idx.hpp"
#include "data/synthetic.hpp"
#include "engine/error.hpp"
#include "tests/data/expect_error.hpp"
#include "tests/data/test_files.hpp"

using namespace dnntrain::data;
using namespace dnntrain::data::test;
namespace fs = std::filesystem;

namespace {

void write_cifar10(const fs::path& dir, int per_file) {
  for (int k = 1; k <= 5; ++k) {
    std::vector<std::vector<uint8_t>> labels;
    for (int i = 0; i < per_file; ++i) labels.push_back({static_cast<uint8_t>((i + k) % 10)});
    write_bytes(dir / ("data_batch_" + std::to_string(k) + ".bin"), cifar_records(labels));
  }
  write_bytes(dir / "test_batch.bin", cifar_records({{3}, {7}}));
}

}  // namespace

TEST_CASE("cifar10 reads train and test batches from the folder or its parent") {
  TempDir tmp;
  write_cifar10(tmp.path() / "cifar-10-batches-bin", 4);
  for (const fs::path& p : {tmp.path(), tmp.path() / "cifar-10-batches-bin"}) {
    auto train = read_cifar10(p, Split::train);
    REQUIRE(train->size() == 20);
    CHECK(train->classes() == 10);
    CHECK(train->shape().channels == 3);
    CHECK(train->label(0) == 1);   // file 1 record 0: (0 + 1) % 10
    CHECK(train->label(5) == 3);   // file 2 record 1: (1 + 2) % 10
    CHECK(train->label(19) == 8);  // file 5 record 3
    Image scratch;
    const ImageView v = train->sample(5, scratch).image;  // record 1 of its file: pixel k = (1 + k) & 255
    CHECK(v.row(0, 0)[0] == 1);
    CHECK(v.row(1, 0)[0] == static_cast<uint8_t>((1 + 1024) & 255));  // G plane starts at byte 1024
    CHECK(v.row(2, 31)[31] == static_cast<uint8_t>((1 + 3071) & 255));
    CHECK(train->describe(5).find("data_batch_2.bin record 1") != std::string::npos);
  }
  auto test = read_cifar10(tmp.path(), Split::test);
  REQUIRE(test->size() == 2);
  CHECK(test->label(1) == 7);
}

TEST_CASE("cifar100 uses the fine label") {
  TempDir tmp;
  const fs::path dir = tmp.path() / "cifar-100-binary";
  write_bytes(dir / "train.bin", cifar_records({{1, 42}, {19, 99}, {0, 0}}));
  write_bytes(dir / "test.bin", cifar_records({{5, 57}}));
  auto train = read_cifar100(tmp.path(), Split::train);
  REQUIRE(train->size() == 3);
  CHECK(train->classes() == 100);
  CHECK(train->label(0) == 42);
  CHECK(train->label(1) == 99);
  Image scratch;
  CHECK(train->sample(2, scratch).image.row(0, 0)[1] == 3);  // record 2, pixel 1: (2 + 1) & 255
  CHECK(read_cifar100(dir, Split::test)->label(0) == 57);
}

TEST_CASE("cifar bad input names the file and record") {
  TempDir tmp;
  const fs::path dir = tmp.path() / "cifar-10-batches-bin";
  write_cifar10(dir, 3);
  SUBCASE("missing path") {
    const std::string msg = error_of([&] { read_cifar10(tmp.path() / "nope", Split::train); });
    CHECK(msg.find("nope") != std::string::npos);
  }
  SUBCASE("missing file") {
    fs::remove(dir / "data_batch_4.bin");
    CHECK(error_of([&] { read_cifar10(dir, Split::train); }).find("data_batch_4.bin") != std::string::npos);
  }
  SUBCASE("truncated file") {
    auto bytes = read_bytes(dir / "data_batch_3.bin");
    bytes.resize(bytes.size() - 100);
    write_bytes(dir / "data_batch_3.bin", bytes);
    const std::string msg = error_of([&] { read_cifar10(dir, Split::train); });
    CHECK(msg.find("data_batch_3.bin") != std::string::npos);
    CHECK(msg.find("record 2") != std::string::npos);
  }
  SUBCASE("label out of range") {
    write_bytes(dir / "test_batch.bin", cifar_records({{1}, {2}, {10}}));
    const std::string msg = error_of([&] { read_cifar10(dir, Split::test); });
    CHECK(msg.find("test_batch.bin record 2") != std::string::npos);
    CHECK(msg.find("label 10") != std::string::npos);
  }
  SUBCASE("cifar100 fine label out of range") {
    write_bytes(tmp.path() / "cifar-100-binary" / "test.bin", cifar_records({{1, 2}, {3, 100}}));
    const std::string msg = error_of([&] { read_cifar100(tmp.path(), Split::test); });
    CHECK(msg.find("test.bin record 1") != std::string::npos);
  }
}

TEST_CASE("idx reads raw and gzipped MNIST files") {
  TempDir tmp;
  std::vector<uint8_t> images(3 * 28 * 28), labels = {7, 0, 9};
  for (size_t i = 0; i < images.size(); ++i) images[i] = static_cast<uint8_t>(i * 7);
  // train raw, test gzipped
  write_bytes(tmp.path() / "train-images-idx3-ubyte", idx_bytes({3, 28, 28}, images));
  write_bytes(tmp.path() / "train-labels-idx1-ubyte", idx_bytes({3}, labels));
  write_gzip(tmp.path() / "t10k-images-idx3-ubyte.gz", idx_bytes({3, 28, 28}, images));
  write_gzip(tmp.path() / "t10k-labels-idx1-ubyte.gz", idx_bytes({3}, labels));
  for (Split split : {Split::train, Split::test}) {
    auto ds = read_mnist(tmp.path(), split);
    REQUIRE(ds->size() == 3);
    CHECK(ds->shape().channels == 1);
    CHECK(ds->shape().height == 28);
    CHECK(ds->label(0) == 7);
    CHECK(ds->label(2) == 9);
    Image scratch;
    const ImageView v = ds->sample(1, scratch).image;
    CHECK(v.row(0, 2)[3] == static_cast<uint8_t>((784 + 2 * 28 + 3) * 7));
  }
}

TEST_CASE("idx bad input names the file") {
  TempDir tmp;
  const fs::path d = tmp.path();
  std::vector<uint8_t> images(2 * 28 * 28, 1);
  write_bytes(d / "train-images-idx3-ubyte", idx_bytes({2, 28, 28}, images));
  write_bytes(d / "train-labels-idx1-ubyte", idx_bytes({2}, {1, 2}));
  REQUIRE(read_mnist(d, Split::train)->size() == 2);
  SUBCASE("missing folder") {
    CHECK(error_of([&] { read_mnist(d / "absent", Split::train); }).find("absent") != std::string::npos);
  }
  SUBCASE("missing file") {
    CHECK(error_of([&] { read_mnist(d, Split::test); }).find("t10k-images-idx3-ubyte") != std::string::npos);
  }
  SUBCASE("wrong magic") {
    auto b = idx_bytes({2}, {1, 2});
    b[2] = 0x01;  // not a type
    write_bytes(d / "train-labels-idx1-ubyte", b);
    const std::string msg = error_of([&] { read_mnist(d, Split::train); });
    CHECK(msg.find("train-labels-idx1-ubyte") != std::string::npos);
    CHECK(msg.find("magic") != std::string::npos);
  }
  SUBCASE("labels file given where images expected (wrong ndim)") {
    write_bytes(d / "train-images-idx3-ubyte", idx_bytes({2}, {1, 2}));
    CHECK(error_of([&] { read_mnist(d, Split::train); }).find("train-images-idx3-ubyte") !=
          std::string::npos);
  }
  SUBCASE("truncated payload") {
    auto b = idx_bytes({2, 28, 28}, images);
    b.resize(b.size() - 10);
    write_bytes(d / "train-images-idx3-ubyte", b);
    const std::string msg = error_of([&] { read_mnist(d, Split::train); });
    CHECK(msg.find("train-images-idx3-ubyte") != std::string::npos);
    CHECK(msg.find("truncated") != std::string::npos);
  }
  SUBCASE("trailing bytes") {
    auto b = idx_bytes({2}, {1, 2});
    b.push_back(0);
    write_bytes(d / "train-labels-idx1-ubyte", b);
    CHECK(error_of([&] { read_mnist(d, Split::train); }).find("trailing") != std::string::npos);
  }
  SUBCASE("truncated gzip stream") {
    write_gzip(d / "g" / "train-images-idx3-ubyte.gz", idx_bytes({2, 28, 28}, images));
    write_bytes(d / "g" / "train-labels-idx1-ubyte", idx_bytes({2}, {1, 2}));
    auto gz = read_bytes(d / "g" / "train-images-idx3-ubyte.gz");
    gz.resize(gz.size() / 2);
    write_bytes(d / "g" / "train-images-idx3-ubyte.gz", gz);
    CHECK(error_of([&] { read_mnist(d / "g", Split::train); }).find("train-images-idx3-ubyte.gz") !=
          std::string::npos);
  }
  SUBCASE("image and label counts disagree") {
    write_bytes(d / "train-labels-idx1-ubyte", idx_bytes({3}, {1, 2, 3}));
    const std::string msg = error_of([&] { read_mnist(d, Split::train); });
    CHECK(msg.find("train-labels-idx1-ubyte") != std::string::npos);
    CHECK(msg.find("disagree") != std::string::npos);
  }
  SUBCASE("label out of range") {
    write_bytes(d / "train-labels-idx1-ubyte", idx_bytes({2}, {1, 10}));
    const std::string msg = error_of([&] { read_mnist(d, Split::train); });
    CHECK(msg.find("train-labels-idx1-ubyte record 1") != std::string::npos);
  }
}

TEST_CASE("Debian's Fashion-MNIST: sizes, balance, first labels and pixel mean") {
  if (!fs::exists(fs::path(kFashionMnistDefaultPath) / "train-labels-idx1-ubyte.gz")) {
    MESSAGE("dataset-fashion-mnist is not installed (no " << kFashionMnistDefaultPath << "); skipped");
    return;
  }
  DatasetOptions options;  // empty path: the default location
  auto train = open_dataset(DatasetKind::fashion_mnist, options);
  options.split = Split::test;
  auto test = open_dataset(DatasetKind::fashion_mnist, options);
  REQUIRE(train->size() == 60000);
  REQUIRE(test->size() == 10000);
  std::vector<int> per_class(10, 0);
  for (int64_t i = 0; i < train->size(); ++i) ++per_class[static_cast<size_t>(train->label(i))];
  for (int c = 0; c < 10; ++c) CHECK(per_class[static_cast<size_t>(c)] == 6000);
  const std::vector<int> first_train = {9, 0, 0, 3, 0, 2, 7, 2}, first_test = {9, 2, 1, 1, 6, 1, 4, 6};
  for (size_t i = 0; i < 8; ++i) {
    CHECK(train->label(static_cast<int64_t>(i)) == first_train[i]);
    CHECK(test->label(static_cast<int64_t>(i)) == first_test[i]);
  }
  // The measured mean of the training pixels / 255 (notes: 0.2860406).
  const auto& mem = dynamic_cast<const InMemoryDataset&>(*train);
  const double sum = std::accumulate(mem.pixels().begin(), mem.pixels().end(), 0.0);
  CHECK(sum / 255.0 / static_cast<double>(mem.pixels().size()) == doctest::Approx(0.2860406).epsilon(1e-6));
}

TEST_CASE("synthetic data is deterministic and labels cover the classes") {
  SyntheticSpec spec{500, 3, 8, 8, 10, 5};
  auto a = make_synthetic(spec), b = make_synthetic(spec);
  spec.seed = 6;
  auto c = make_synthetic(spec);
  CHECK(a->pixels() == b->pixels());
  CHECK(a->labels() == b->labels());
  CHECK(a->pixels() != c->pixels());
  std::vector<int> seen(10, 0);
  for (int32_t l : a->labels()) {
    REQUIRE((l >= 0 && l < 10));
    ++seen[static_cast<size_t>(l)];
  }
  for (int n : seen) CHECK(n > 20);  // 500 uniform draws over 10 classes: ~50 each
  CHECK(open_dataset(DatasetKind::synthetic, {}).get()->size() == SyntheticSpec{}.samples);
}

TEST_CASE("dataset kinds parse and normalisation constants are the issue's") {
  CHECK(parse_dataset_kind("fashion-mnist") == DatasetKind::fashion_mnist);
  CHECK(parse_dataset_kind("cifar100") == DatasetKind::cifar100);
  CHECK_THROWS_AS(parse_dataset_kind("imagenet1k"), dnntrain::Error);
  CHECK(normalization_for(DatasetKind::cifar10, 3).std[2] == 0.2616f);
  CHECK(normalization_for(DatasetKind::fashion_mnist, 1).mean[0] == 0.2860f);
  CHECK(normalization_for(DatasetKind::mnist, 1).std[0] == 0.3081f);
  CHECK(normalization_for(DatasetKind::imagefolder, 3).mean[1] == 0.456f);
  CHECK_THROWS_AS(normalization_for(DatasetKind::cifar10, 1), dnntrain::Error);
}

TEST_CASE("idx: header dimensions whose product overflows are refused naming the file") {
  TempDir tmp;
  const fs::path d = tmp.path();
  // count 2^22, rows 2^21, cols 2^21: the product is 2^64, which wraps to 0 bytes in 64 bits.
  write_bytes(d / "train-images-idx3-ubyte", idx_bytes({1u << 22, 1u << 21, 1u << 21}, {}));
  write_bytes(d / "train-labels-idx1-ubyte", idx_bytes({1u << 22}, std::vector<uint8_t>(1u << 22, 1)));
  std::string msg = error_of([&] { read_mnist(d, Split::train); });
  CHECK(msg.find("train-images-idx3-ubyte") != std::string::npos);
  CHECK(msg.find("overflows") != std::string::npos);
  CHECK(msg.find('\n') == std::string::npos);
  // (2^32 - 1)^3 wraps to 12884901887: the header must not "promise" that.
  write_bytes(d / "train-images-idx3-ubyte", idx_bytes({0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF}, {1, 2, 3}));
  msg = error_of([&] { read_mnist(d, Split::train); });
  CHECK(msg.find("overflows") != std::string::npos);
  CHECK(msg.find("12884901887") == std::string::npos);
  // No wrap, but a side beyond any IDX image: one 1x65536 image.
  write_bytes(d / "train-images-idx3-ubyte", idx_bytes({1, 1, 65536}, std::vector<uint8_t>(65536)));
  write_bytes(d / "train-labels-idx1-ubyte", idx_bytes({1}, {1}));
  msg = error_of([&] { read_mnist(d, Split::train); });
  CHECK(msg.find("train-images-idx3-ubyte: images of 1x65536 pixels") != std::string::npos);
}

TEST_CASE("idx: a gzip bomb stops at the header's size, in bounded memory") {
  TempDir tmp;
  const fs::path d = tmp.path();
  write_bytes(d / "train-labels-idx1-ubyte", idx_bytes({100}, std::vector<uint8_t>(100, 1)));
  // The header promises 100 images of 28x28 (78,400 bytes); the stream inflates to 1 GiB.
  write_gzip_bomb(d / "train-images-idx3-ubyte.gz", idx_bytes({100, 28, 28}, {}), uint64_t{1} << 30);
  REQUIRE(fs::file_size(d / "train-images-idx3-ubyte.gz") < (2u << 20));
  std::string msg = error_of([&] { read_mnist(d, Split::train); });
  CHECK(msg.find("train-images-idx3-ubyte.gz") != std::string::npos);
  CHECK(msg.find("trailing") != std::string::npos);
  CHECK(peak_rss_mib() < 256);  // inflating the whole stream would take over 1024 MiB
  // A header promising more than deflate can expand the file to is refused before inflating.
  write_gzip(d / "train-images-idx3-ubyte.gz", idx_bytes({1u << 20, 1000, 1000}, {1, 2, 3}));
  msg = error_of([&] { read_mnist(d, Split::train); });
  CHECK(msg.find("train-images-idx3-ubyte.gz") != std::string::npos);
  CHECK(msg.find("can inflate to") != std::string::npos);
}

TEST_CASE("cifar: a gzipped batch inflating past any CIFAR file's size is refused, bounded") {
  TempDir tmp;
  const fs::path dir = tmp.path() / "cifar-10-batches-bin";
  write_gzip_bomb(dir / "test_batch.bin", cifar_records({{1}}), uint64_t{400} << 20);
  const std::string msg = error_of([&] { read_cifar10(dir, Split::test); });
  CHECK(msg.find("test_batch.bin") != std::string::npos);
  CHECK(msg.find("once decompressed") != std::string::npos);
  CHECK(peak_rss_mib() < 1024);  // the bound is 307 MB of records; the stream holds 400 MiB
}

TEST_CASE("readers refuse a FIFO, folder or device as a data file without blocking") {
  TempDir tmp;
  const fs::path d = tmp.path();
  write_bytes(d / "train-images-idx3-ubyte", idx_bytes({1, 2, 2}, {1, 2, 3, 4}));
  make_fifo(d / "train-labels-idx1-ubyte");  // opening it for reading would wait for a writer forever
  std::string msg = error_of([&] { read_mnist(d, Split::train); });
  CHECK(msg.find("train-labels-idx1-ubyte") != std::string::npos);
  CHECK(msg.find("not a regular file") != std::string::npos);
  fs::create_directories(d / "cifar-10-batches-bin" / "test_batch.bin");
  msg = error_of([&] { read_cifar10(d, Split::test); });
  CHECK(msg.find("test_batch.bin") != std::string::npos);
  CHECK(msg.find("a folder") != std::string::npos);
  fs::create_directories(d / "dev" / "cifar-100-binary");
  fs::create_symlink("/dev/zero", d / "dev" / "cifar-100-binary" / "test.bin");  // endless zeros
  CHECK(error_of([&] { read_cifar100(d / "dev", Split::test); }).find("not a regular file") !=
        std::string::npos);
}
