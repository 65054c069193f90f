// Checks on the images and labels a program hands the library: sizes against the model, and
// (optionally) that every image value is finite, so one NaN pixel cannot reach the weights.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace dnntrain::api {

// The number of images in `images`: a positive whole multiple of image_elements floats.
// throws: dnntrain::Error naming `call` and the sizes otherwise.
int count_images(std::span<const float> images, size_t image_elements, const char* call);

// throws: dnntrain::Error naming `call`, the first NaN or infinite value, its image, channel and
// position (one pass over the values).
void check_finite_input(std::span<const float> images, int channels, int image_size, const char* call);

// throws: dnntrain::Error naming `call` unless there is one label per image.
void check_label_count(std::span<const int32_t> labels, int images, const char* call);

}  // namespace dnntrain::api
