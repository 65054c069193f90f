// A batch as the data pipeline hands it to the trainer: images NCHW f32 (normalised) and labels;
// after MixUp/CutMix a second label per row and the weight of the first.
// The trainer reads it through this plain view; data/ knows nothing of oneDNN.
#pragma once

#include <cstdint>

namespace dnntrain::data {

struct BatchView {
  const float* images = nullptr;    // [n, channels, height, width], plain NCHW
  const int32_t* labels = nullptr;  // [n], in [0, classes)
  int n = 0;                        // samples in this batch (< batch size only for a last eval batch)
  int channels = 0, height = 0, width = 0;
  const int32_t* mix_labels = nullptr;  // [n] the rolled rows' labels when mixed; nullptr: not mixed
  double mix_lambda = 1;                // the target is lambda·labels + (1 - lambda)·mix_labels
};

}  // namespace dnntrain::data
