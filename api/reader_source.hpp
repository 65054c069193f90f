// A public BatchReader as the engine's BatchSource, each batch's sizes (and, optionally, values)
// checked, so that engine::evaluate runs unchanged over a program's own batches.
#pragma once

#include <dnntrain/evaluation.hpp>

#include "engine/batch_source.hpp"
#include "engine/inference_plan.hpp"
#include "layers/resnet.hpp"

namespace dnntrain::api {

struct InputShape {
  int channels = 0, image_size = 0;
  size_t image_elements() const { return static_cast<size_t>(channels) * image_size * image_size; }
};

class ReaderSource final : public engine::BatchSource {
 public:
  // `first` was already read from `read` (its size chose the plan); batches may hold up to
  // `capacity` images.
  ReaderSource(const BatchReader& read, LabelledBatch first, int capacity, InputShape shape,
               bool check_finite);
  void start_epoch(int64_t epoch, int64_t first_batch) override;
  bool next(engine::BatchRef& batch) override;
  int64_t batches_per_epoch() const override { return 0; }  // unknown: the reader ends the epoch

 private:
  const BatchReader& read_;
  LabelledBatch pending_;
  bool has_pending_;
  int capacity_;
  InputShape shape_;
  bool check_finite_;
};

// engine::evaluate of `model` over `first` and the rest of `read`'s batches, each checked; batches
// may hold up to the model's planned batch.
Evaluation evaluate(layers::Model& model, const BatchReader& read, LabelledBatch first, InputShape shape,
                    bool check_finite);
// The same on an inference plan.
Evaluation evaluate(engine::InferencePlan& plan, const BatchReader& read, LabelledBatch first, InputShape shape,
                    bool check_finite);

// A reader over images and labels in memory, `batch` images at a time.
BatchReader span_reader(std::span<const float> images, std::span<const int32_t> labels, size_t image_elements,
                        int batch);

}  // namespace dnntrain::api
