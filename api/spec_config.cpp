// ModelSpec → ResNetConfig, with the names read from the engine's own tables (layers::Model checks
// the counts: classes, channels, batch, blocks).
#include "api/spec_config.hpp"

#include <fmt/format.h>

#include "engine/error.hpp"
#include "engine/names.hpp"
#include "engine/precision.hpp"

namespace dnntrain::api {

layers::ResNetConfig resnet_config(const ModelSpec& spec, int batch, float label_smoothing) {
  DNNTRAIN_CHECK(engine::find_row(layers::resnet_models(), spec.model),
                 fmt::format("ModelSpec::model: unknown model '{}'; choose one of {}", spec.model,
                             engine::name_list(layers::resnet_models())));
  const auto stem = engine::find_named(layers::kStemNames, spec.stem);
  DNNTRAIN_CHECK(stem, fmt::format("ModelSpec::stem must be {}, got '{}'",
                                   engine::name_list(layers::kStemNames), spec.stem));
  const auto precision = engine::find_named(engine::kPrecisionNames, spec.precision);
  DNNTRAIN_CHECK(precision, fmt::format("ModelSpec::precision must be {}, got '{}'",
                                        engine::name_list(engine::kPrecisionNames), spec.precision));
  const auto algorithm = engine::find_named(layers::kConvAlgorithmNames, spec.conv_algorithm);
  DNNTRAIN_CHECK(algorithm, fmt::format("ModelSpec::conv_algorithm must be {}, got '{}'",
                                        engine::name_list(layers::kConvAlgorithmNames), spec.conv_algorithm));
  layers::ResNetConfig c;
  c.model = spec.model;
  c.classes = spec.classes;
  c.in_channels = spec.in_channels;
  c.image_size = spec.image_size;
  c.batch = batch;
  c.stem = *stem;
  c.zero_init_residual = spec.zero_init_residual;
  c.label_smoothing = label_smoothing;
  c.stage_blocks = spec.stage_blocks;
  c.precision = engine::resolve(*precision);
  c.conv_algorithm = *algorithm;
  const int min_size = layers::min_image_size(c);
  DNNTRAIN_CHECK(spec.image_size >= min_size,
                 fmt::format("ModelSpec::image_size must be at least {} for {} with the {} stem, got {}",
                             min_size, spec.model, spec.stem, spec.image_size));
  return c;
}

}  // namespace dnntrain::api
