// libFuzzer target for the IDX reader through read_mnist, raw and gzip. Input: a flags byte (bit 0:
// gzip the image file, bit 1: gzip the label file), a big-endian 32-bit length L, then L bytes of
// image file and the rest as label file. Any input loads or throws dnntrain::Error; a loaded set
// keeps the reader's promises.
#include <cstdint>
#include <cstring>

#include "data/idx.hpp"
#include "engine/error.hpp"
#include "tests/fuzz/fuzz_files.hpp"

using dnntrain::fuzz::require;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 5) return 0;
  const uint8_t flags = data[0];
  const size_t split = (size_t{data[1]} << 24) | (size_t{data[2]} << 16) | (size_t{data[3]} << 8) | data[4];
  data += 5, size -= 5;
  const size_t image_bytes = split < size ? split : size;
  const auto dir = dnntrain::fuzz::scratch_dir() / "idx";
  std::filesystem::remove_all(dir);
  const bool gz_images = flags & 1, gz_labels = flags & 2;
  dnntrain::fuzz::write_file(dir / (gz_images ? "train-images-idx3-ubyte.gz" : "train-images-idx3-ubyte"),
                             data, image_bytes, gz_images);
  dnntrain::fuzz::write_file(dir / (gz_labels ? "train-labels-idx1-ubyte.gz" : "train-labels-idx1-ubyte"),
                             data + image_bytes, size - image_bytes, gz_labels);
  try {
    const auto set = dnntrain::data::read_mnist(dir, dnntrain::data::Split::train);
    const auto shape = set->shape();
    require(set->size() > 0 && shape.channels == 1 && shape.height >= 1 && shape.width >= 1);
    require(set->pixels().size() == static_cast<size_t>(set->size()) * shape.height * shape.width);
    for (int32_t label : set->labels()) require(label >= 0 && label < 10);
  } catch (const dnntrain::Error&) {
  }
  return 0;
}
