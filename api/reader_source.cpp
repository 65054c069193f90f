// Batches from a program: read, checked, handed to the engine without a copy.
#include "api/reader_source.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "api/input_check.hpp"
#include "engine/error.hpp"
#include "engine/evaluate.hpp"

namespace dnntrain::api {

ReaderSource::ReaderSource(const BatchReader& read, LabelledBatch first, int capacity, InputShape shape,
                           bool check_finite)
    : read_(read),
      pending_(first),
      has_pending_(true),
      capacity_(capacity),
      shape_(shape),
      check_finite_(check_finite) {}

void ReaderSource::start_epoch(int64_t epoch, int64_t first_batch) {
  DNNTRAIN_CHECK(epoch == 0 && first_batch == 0 && has_pending_, "internal: a batch reader is read once");
}

bool ReaderSource::next(engine::BatchRef& batch) {
  LabelledBatch b;
  if (has_pending_) {
    b = pending_;
    has_pending_ = false;
  } else if (!read_(b)) {
    return false;
  }
  const char* call = "evaluate";
  const int n = count_images(b.images, shape_.image_elements(), call);
  check_label_count(b.labels, n, call);
  DNNTRAIN_CHECK(n <= capacity_, fmt::format("{}: a batch of {} images after a first batch of {}; no "
                                             "batch may hold more images than the first",
                                             call, n, capacity_));
  if (check_finite_) check_finite_input(b.images, shape_.channels, shape_.image_size, call);
  batch = {b.images.data(), b.labels.data(), n};
  return true;
}

namespace {

Evaluation evaluation(engine::EvalResult r) {
  return {r.loss, r.top1, r.top5, r.samples, r.classes, std::move(r.confusion)};
}

}  // namespace

Evaluation evaluate(layers::Model& model, const BatchReader& read, LabelledBatch first, InputShape shape,
                    bool check_finite) {
  ReaderSource source(read, first, model.config().batch, shape, check_finite);
  return evaluation(engine::evaluate(model.graph(), model.readout(), source));
}

Evaluation evaluate(engine::InferencePlan& plan, const BatchReader& read, LabelledBatch first, InputShape shape,
                    bool check_finite) {
  ReaderSource source(read, first, plan.batch(), shape, check_finite);
  const engine::EvalForward forward{plan.batch(), shape.image_elements(), plan.classes(),
                                    [&](const float* images, const int32_t*) {
                                      plan.forward(images);
                                      return plan.log_probs();
                                    }};
  return evaluation(engine::evaluate(forward, source));
}

BatchReader span_reader(std::span<const float> images, std::span<const int32_t> labels, size_t image_elements,
                        int batch) {
  const int n = count_images(images, image_elements, "evaluate");
  check_label_count(labels, n, "evaluate");
  return [=, next = 0](LabelledBatch& b) mutable {
    if (next >= n) return false;
    const int count = std::min(batch, n - next);
    b.images = images.subspan(static_cast<size_t>(next) * image_elements, count * image_elements);
    b.labels = labels.subspan(static_cast<size_t>(next), static_cast<size_t>(count));
    next += count;
    return true;
  };
}

}  // namespace dnntrain::api
