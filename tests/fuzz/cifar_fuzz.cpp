// libFuzzer target for the CIFAR readers. Input: a flags byte (bit 0: gzip the file, bit 1: read it
// as CIFAR-100's test.bin, else CIFAR-10's test_batch.bin; bit 2: torchvision's pickled archive
// instead, cifar-100-python/test or cifar-10-batches-py/test_batch, through data/pickle.cpp), then
// the file. Any input loads or throws
// dnntrain::Error; a loaded set keeps the reader's promises.
#include <cstdint>

#include "data/cifar.hpp"
#include "engine/error.hpp"
#include "tests/fuzz/fuzz_files.hpp"

using dnntrain::fuzz::require;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const bool gzip = data[0] & 1, hundred = data[0] & 2, pickled = data[0] & 4;
  const auto dir = dnntrain::fuzz::scratch_dir() / "cifar";
  std::filesystem::remove_all(dir);
  const std::filesystem::path file = pickled ? (hundred ? dir / "cifar-100-python" / "test"
                                                        : dir / "cifar-10-batches-py" / "test_batch")
                                             : dir / (hundred ? "test.bin" : "test_batch.bin");
  std::filesystem::create_directories(file.parent_path());
  dnntrain::fuzz::write_file(file, data + 1, size - 1, gzip);
  try {
    using dnntrain::data::Split;
    const auto set = hundred ? dnntrain::data::read_cifar100(dir, Split::test)
                             : dnntrain::data::read_cifar10(dir, Split::test);
    const int classes = hundred ? 100 : 10;
    require(set->size() > 0 && set->classes() == classes);
    require(set->pixels().size() == static_cast<size_t>(set->size()) * 3072);
    for (int32_t label : set->labels()) require(label >= 0 && label < classes);
    dnntrain::data::Image scratch;
    const auto last = set->sample(set->size() - 1, scratch);
    require(last.image.channels == 3 && last.image.height == 32 && last.image.width == 32);
  } catch (const dnntrain::Error&) {
  }
  return 0;
}
