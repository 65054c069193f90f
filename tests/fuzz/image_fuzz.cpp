// libFuzzer target for the image decoders (JPEG and PNG, chosen by the bytes) under a pixel limit.
// Any input decodes or throws dnntrain::Error naming the file; a decoded image is planar RGB within
// the limit. The limit is lower than the default so that inputs stay cheap under ASan.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "data/image_decode.hpp"
#include "engine/error.hpp"

namespace {

constexpr uint64_t kMaxPixels = uint64_t{1} << 22;

void require(bool ok) {
  if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  dnntrain::data::Image image;
  try {
    dnntrain::data::decode_image(data, size, "fuzz-input", image, kMaxPixels);
    require(image.channels == 3 && image.height > 0 && image.width > 0);
    require(static_cast<uint64_t>(image.height) * image.width <= kMaxPixels);
    require(image.pixels.size() == static_cast<size_t>(3) * image.height * image.width);
  } catch (const dnntrain::Error& e) {
    require(std::string(e.what()).rfind("fuzz-input: ", 0) == 0);
  }
  return 0;
}
