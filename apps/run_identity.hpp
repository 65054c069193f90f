// The options that make a training run what it is: those every rank of a data-parallel run must
// share (they change the math or a tensor's shape), and the model and data shape that a resumed
// checkpoint was trained with. Both are checked before any training work.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "apps/train_options.hpp"
#include "data/dataset.hpp"

namespace dnntrain::apps {

// (option, value) pairs, in a fixed order: every option of the effective configuration except
// those that only place files or pace this process (paths, --threads, --print-freq, ...), then
// the model resolved from the data and both splits' sizes.
std::vector<std::pair<std::string, std::string>> shared_options(const TrainOptions& o,
                                                                const data::Dataset& train,
                                                                const data::Dataset& test);

// --resume: the checkpoint's recorded model, image size, channels, classes, stem and dataset must
// be this run's (after resolution from the data). Throws UsageError naming the first that differs.
void check_resume_shape(const TrainOptions& o);

}  // namespace dnntrain::apps
