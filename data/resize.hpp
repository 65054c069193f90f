// Resizing as torchvision's Resize/RandomResizedCrop (antialias=True): bilinear and bicubic with
// PIL's antialiasing (when shrinking, the filter widens by the scale factor), matched to within ±1,
// and nearest as torch.nn.functional.interpolate(mode="nearest").
#pragma once

#include <vector>

#include "data/image.hpp"
#include "engine/names.hpp"

namespace dnntrain::data {

// torchvision's InterpolationMode values that --interpolation accepts.
enum class Interpolation { nearest, bilinear, bicubic };
inline constexpr engine::Named<Interpolation> kInterpolationNames[] = {{Interpolation::nearest, "nearest"},
                                                                       {Interpolation::bilinear, "bilinear"},
                                                                       {Interpolation::bicubic, "bicubic"}};

// Reusable buffers for resize(); after the first few calls nothing is allocated.
struct ResizeScratch {
  Image horizontal;  // the image after the horizontal pass (u8, as PIL keeps it)
  std::vector<int> x_start, x_count, y_start, y_count;
  std::vector<float> x_weights, y_weights, row_acc;
};

// The part of a resize's output that is computed: rows [top, top + height), columns [left, left +
// width); height 0 means the whole output.
struct ResizeWindow {
  int top = 0, left = 0, height = 0, width = 0;
};

// dst = src resized to out_height x out_width (all channels), or only `window` of that output (the
// same values, computed from the source pixels the window reads: a centre crop after a resize
// costs the crop, not the resize). Bilinear and bicubic (a = -0.5, as
// PIL) are separable: horizontal pass first, then vertical, each rounded to u8 as PIL's
// ImagingResample does; a pass whose size is unchanged is an exact copy. Nearest reads
// floor(o · in/out) in float32. requires: out sizes > 0, src non-empty. `dst` must not alias src.
void resize_image(const ImageView& src, int out_height, int out_width, Image& dst, ResizeScratch& scratch,
                  Interpolation interpolation = Interpolation::bilinear, ResizeWindow window = {});

// torchvision Resize(size) with an int: the shorter side becomes `size`, the longer one
// int(size * long / short) (truncated). Returns {height, width}.
struct Size2 {
  int height, width;
};
Size2 shorter_side_size(int height, int width, int size);

}  // namespace dnntrain::data
