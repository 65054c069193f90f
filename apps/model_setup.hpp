// What train and eval share once the options are parsed: the compute thread count beside the data
// pipeline, and the trainer's view of a ResNet's loss layer.
#pragma once

#include "data/dataset.hpp"
#include "engine/batch_source.hpp"
#include "layers/resnet.hpp"

namespace dnntrain::apps {

// --threads 0: all cores for in-memory data (the pipeline works between steps), cores - 1 when an
// image folder is decoded in the background (data/pipeline.hpp, CoreSharing).
int compute_threads(int requested, const data::Dataset& train);

engine::LossReadout loss_readout(layers::Model& model);

}  // namespace dnntrain::apps
