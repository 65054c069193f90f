// predict's image path, one image at a time: a file's bytes → decoded RGB → the model's channels →
// the dataset's evaluation transform, as the model's CHW float input. Only data/ is used, so a
// fuzz target builds it without the engine.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "data/datasets.hpp"
#include "data/sample_transform.hpp"

namespace dnntrain::apps {

struct PredictShape {
  data::DatasetKind kind = data::DatasetKind::imagefolder;
  int channels = 3;                   // 3 (RGB) or 1 (ITU-R 601 luma, PIL's convert("L"))
  data::TransformSettings transform;  // the evaluation transform of the checkpoint's dataset
  uint64_t max_pixels = data::kDefaultMaxImagePixels;
};

// Reusable buffers: predicting many images allocates only for the largest.
struct PredictScratch {
  data::Image rgb, model;
  data::SampleTransform::Scratch transform;
};

// Decodes `size` bytes (`name` in errors) and writes the model's input into `input`, resized to
// the transform's output. Throws dnntrain::Error naming `name` for an image that cannot be decoded
// or fed (more pixels than `max_pixels`, a channel count the model cannot take).
void image_to_input(const uint8_t* bytes, size_t size, const std::string& name, const PredictShape& shape,
                    std::vector<float>& input, PredictScratch& scratch);

}  // namespace dnntrain::apps
