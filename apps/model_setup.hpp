// What train and eval share once the options are parsed: the compute thread count beside the data
// pipeline.
#pragma once

namespace dnntrain::apps {

// --threads 0: all cores, also when an image folder is decoded in the background by cores - 1
// pipeline threads (data/pipeline.hpp, CoreSharing): the decodes take a small share of a step, and
// leaving a core to them halved the step rate (docs/architecture.md, "Threads").
int compute_threads(int requested);

}  // namespace dnntrain::apps
