// The names of a model's classes: an image folder's class folders (kept in the checkpoint's
// metadata by train), or the names the datasets publish for Fashion-MNIST, MNIST and CIFAR.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "data/dataset.hpp"
#include "data/datasets.hpp"

namespace dnntrain::apps {

// The metadata key (under the checkpoint's "dnntrain.extra.") holding the names, one per line.
inline constexpr const char* kClassNamesKey = "class_names";

// `dataset`'s class folder names one per line if it is an image folder, else "" (the kind names them).
std::string class_names_text(const data::Dataset& dataset);

// The names train stored in a checkpoint's `metadata` (dnntrain.extra.class_names), in label
// order; empty when it stores none.
std::vector<std::string> stored_class_names(const std::map<std::string, std::string>& metadata);

// Names for `classes` classes: `metadata`'s dnntrain.extra.class_names when present, else the
// dataset's published names, else "class <i>".
std::vector<std::string> class_names(const std::map<std::string, std::string>& metadata,
                                     data::DatasetKind kind, int classes);

}  // namespace dnntrain::apps
