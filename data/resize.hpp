// Bilinear resize with PIL's antialiasing: when shrinking, the triangle filter widens by the scale
// factor, so torchvision's Resize/RandomResizedCrop (antialias=True) are matched to within ±1.
#pragma once

#include <vector>

#include "data/image.hpp"

namespace dnntrain::data {

// Reusable buffers for resize(); after the first few calls nothing is allocated.
struct ResizeScratch {
  Image horizontal;  // the image after the horizontal pass (u8, as PIL keeps it)
  std::vector<int> x_start, x_count, y_start, y_count;
  std::vector<float> x_weights, y_weights, row_acc;
};

// dst = src resized to out_height x out_width (all channels). Separable: horizontal pass first, then
// vertical, each rounded to u8 as PIL's ImagingResample does; a pass whose size is unchanged is an
// exact copy. requires: out sizes > 0, src non-empty. `dst` must not alias src.
void resize_bilinear(const ImageView& src, int out_height, int out_width, Image& dst, ResizeScratch& scratch);

// torchvision Resize(size) with an int: the shorter side becomes `size`, the longer one
// int(size * long / short) (truncated). Returns {height, width}.
struct Size2 {
  int height, width;
};
Size2 shorter_side_size(int height, int width, int size);

}  // namespace dnntrain::data
