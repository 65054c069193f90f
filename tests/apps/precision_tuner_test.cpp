// The timer behind --precision auto estimates a full model's step from a model with at most two
// blocks per stage: every layer of the full model must be stood for exactly once. Checked against
// the layers of the full model itself, for a basic-block and a bottleneck ResNet.
#include <doctest/doctest.h>

#include <map>

#include "apps/precision_tuner.hpp"

using namespace dnntrain;

namespace {

// (stage, the name after "layer<stage>.<block>.") of a layer, or (0, name) outside the stages.
std::pair<std::string, std::string> kind(const std::string& name) {
  if (name.rfind("layer", 0) != 0) return {"", name};
  const auto first = name.find('.'), second = name.find('.', first + 1);
  return {name.substr(0, first), name.substr(second + 1)};
}

}  // namespace

TEST_CASE("layer_repeats: block 1 of a stage stands for blocks 1.., every other layer for itself") {
  const std::vector<int> blocks = {3, 4, 6, 3};
  CHECK(apps::layer_repeats("layer3.1.conv2", blocks) == 5);
  CHECK(apps::layer_repeats("layer4.1.add", blocks) == 2);
  CHECK(apps::layer_repeats("layer3.0.downsample.0", blocks) == 1);
  CHECK(apps::layer_repeats("conv1", blocks) == 1);
  CHECK(apps::layer_repeats("fc", blocks) == 1);
  CHECK(apps::layer_repeats("layer5.1.conv1", blocks) == 1);  // no such stage
  CHECK(apps::layer_repeats("layerx.1.conv1", blocks) == 1);
  CHECK(apps::layer_repeats("layer1.1", blocks) == 1);
}

TEST_CASE("the reduced model with its repeats stands for every layer of the full model once") {
  engine::Context context(1);
  for (const char* model : {"resnet50", "resnet20"}) {
    INFO(model);
    layers::ResNetConfig config;
    config.model = model;
    config.batch = 2;
    config.image_size = 32;
    config.classes = 10;
    apps::ModelStepTimer timer(context, config);
    timer.step_seconds(engine::Precision::f32);
    std::map<std::pair<std::string, std::string>, int> estimated, full;
    for (const auto& l : timer.layers(engine::Precision::f32)) estimated[kind(l.time.name)] += l.repeats;

    layers::Model reference(context, config);
    reference.graph().initialize(1);
    reference.graph().set_profiling(true);
    std::vector<float> images(2 * 3 * 32 * 32, 0.5f);
    std::vector<int32_t> labels = {1, 2};
    reference.graph().forward(engine::Mode::train, images.data(), labels.data());
    for (const auto& t : reference.graph().layer_times()) full[kind(t.name)] += 1;
    CHECK(estimated == full);
    CHECK(full.size() > 10);
  }
}
