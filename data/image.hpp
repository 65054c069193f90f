// Planar 8-bit images: the one pixel format between readers and transforms.
// Planar CHW (not interleaved HWC) because CIFAR is stored that way and the batch is NCHW.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace dnntrain::data {

// A non-owning view of a CHW u8 image with rows `stride` bytes apart and planes `plane` bytes apart,
// so that a crop of a larger image is a view too.
struct ImageView {
  const uint8_t* pixels = nullptr;
  int channels = 0, height = 0, width = 0;
  int64_t stride = 0;  // bytes between rows
  int64_t plane = 0;   // bytes between channel planes

  const uint8_t* row(int c, int y) const { return pixels + c * plane + y * stride; }
  // The rectangle [top, top+h) x [left, left+w), still a view into the same pixels.
  ImageView crop(int top, int left, int h, int w) const {
    return {pixels + top * stride + left, channels, h, w, stride, plane};
  }
};

// An owning, densely packed CHW u8 image. Reused as scratch: resize() keeps its capacity.
struct Image {
  std::vector<uint8_t> pixels;  // [channels, height, width]
  int channels = 0, height = 0, width = 0;

  void resize(int c, int h, int w) {
    channels = c, height = h, width = w;
    pixels.resize(static_cast<size_t>(c) * h * w);
  }
  uint8_t* row(int c, int y) { return pixels.data() + (static_cast<int64_t>(c) * height + y) * width; }
  ImageView view() const {
    return {pixels.data(), channels, height, width, width, static_cast<int64_t>(height) * width};
  }
};

}  // namespace dnntrain::data
