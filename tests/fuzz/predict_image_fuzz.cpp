// libFuzzer target for predict's image path (apps/predict_input.cpp): bytes → decode → the model's
// channels → the evaluation transform. The first byte picks the checkpoint's kind (an image folder,
// CIFAR-10 or MNIST, hence 3 or 1 channels) and image size (8 to 64); the rest is the file. Any input
// gives the model's input of channels × size × size finite values, or throws dnntrain::Error
// naming the file; anything else escapes and is a finding.
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "apps/predict_input.hpp"
#include "engine/error.hpp"
#include "tests/fuzz/fuzz_files.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace dnntrain;
  if (size == 0) return 0;
  const uint8_t choice = data[0];
  apps::PredictShape shape;
  // The kinds train writes: image folders (RGB), CIFAR-10 (RGB) and MNIST (grayscale).
  shape.kind = choice & 1   ? data::DatasetKind::imagefolder
               : choice & 2 ? data::DatasetKind::cifar10
                            : data::DatasetKind::mnist;
  shape.channels = shape.kind == data::DatasetKind::mnist ? 1 : 3;
  const int image_size = 8 + 8 * ((choice >> 2) & 7);
  shape.transform = data::transform_settings_for(shape.kind, data::AugmentPreset::standard, image_size);
  shape.max_pixels = uint64_t{1} << 22;  // lower than the default so that inputs stay cheap under ASan
  std::vector<float> input;
  apps::PredictScratch scratch;
  try {
    apps::image_to_input(data + 1, size - 1, "fuzz-input", shape, input, scratch);
    fuzz::require(input.size() == static_cast<size_t>(shape.channels) * image_size * image_size);
    for (float v : input) fuzz::require(std::isfinite(v));
  } catch (const Error& e) {
    fuzz::require(std::string(e.what()).rfind("fuzz-input", 0) == 0);
  }
  return 0;
}
