// A public ModelSpec as the engine's ResNetConfig, every field checked, so that a misspelt name or
// an impossible size is a dnntrain::Error naming the field before anything is planned.
#pragma once

#include <dnntrain/model_spec.hpp>

#include "layers/resnet.hpp"

namespace dnntrain::api {

// throws: dnntrain::Error naming the field and the accepted values.
layers::ResNetConfig resnet_config(const ModelSpec& spec, int batch, float label_smoothing = 0.f);

}  // namespace dnntrain::api
