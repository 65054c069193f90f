// What train and eval share once the options are parsed: the compute thread count beside the data
// pipeline.
#pragma once

#include "data/dataset.hpp"
#include "engine/batch_source.hpp"
#include "layers/resnet.hpp"

namespace dnntrain::apps {

// --threads 0: all cores for in-memory data (the pipeline works between steps), cores - 1 when an
// image folder is decoded in the background (data/pipeline.hpp, CoreSharing).
int compute_threads(int requested, const data::Dataset& train);

}  // namespace dnntrain::apps
