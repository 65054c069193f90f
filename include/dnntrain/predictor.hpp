// Inference: logits and log-probabilities for any number of images, from a weights file or a
// trainer. A plan (every primitive and buffer) is made on first use of each batch size, in eval
// mode, and kept, so repeated sizes cost nothing to set up.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "dnntrain/evaluation.hpp"
#include "dnntrain/model_spec.hpp"

namespace dnntrain {

struct PredictorOptions {
  int threads = 0;  // compute threads; 0: OpenMP's default (all cores)
  // Refuse NaN or infinite input values with a dnntrain::Error naming the first one (one pass over
  // the input; see docs/architecture.md, "The public library").
  bool check_finite_input = true;
  int max_plans = 4;    // batch sizes kept planned; the least recently used one is dropped beyond
  int eval_batch = 64;  // images per forward in evaluate(images, labels)
};

// Outputs for n images, row-major [n, classes].
struct Predictions {
  int samples = 0, classes = 0;
  std::vector<float> logits = {};
  std::vector<float> log_probs = {};  // log-softmax of each row of logits
  int top1(int sample) const;         // the first maximum of the row
};

class Predictor {
 public:
  // Loads model weights and batch-norm statistics from a safetensors file (save_weights or
  // save_checkpoint of a Trainer, dnntrain train, or torch's state_dict): every key is checked.
  // The file is loaded into a plan for batch 1, which stays among the planned sizes.
  // throws: dnntrain::Error naming the file and every missing, unexpected or mis-shaped key.
  Predictor(const ModelSpec& spec, const std::string& weights_path, const PredictorOptions& options = {});
  ~Predictor();
  Predictor(Predictor&&) noexcept;
  Predictor& operator=(Predictor&&) noexcept;

  // images: n × spec.image_elements() floats, n >= 1, NCHW.
  // throws: dnntrain::Error when the size is not a positive multiple of one image, or (when
  //         checked) a value is not finite.
  Predictions predict(std::span<const float> images);

  // Loss, top-1, top-5 and confusion matrix over labelled images, in batches of options.eval_batch.
  Evaluation evaluate(std::span<const float> images, std::span<const int32_t> labels);
  // The same over batches read one at a time (a data set that does not fit in memory).
  Evaluation evaluate(const BatchReader& read);

  const ModelSpec& spec() const;
  // The batch sizes planned now, most recently used first.
  std::vector<int> planned_batch_sizes() const;

 private:
  friend class Trainer;
  struct State;
  explicit Predictor(std::unique_ptr<State> state);
  State& checked(const char* call) const;  // throws on a moved-from predictor
  std::unique_ptr<State> state_;
};

}  // namespace dnntrain
