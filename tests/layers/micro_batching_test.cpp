// choose_micro_batching's rule on the torchvision ResNets at 224² and on a small one, for the
// level-2 caches of two cores (2 MiB each) and two threads.
#include "layers/micro_batching.hpp"

#include <doctest/doctest.h>

using namespace dnntrain;

namespace {

layers::MicroBatching chosen(const char* model, int image_size, int batch, engine::Precision precision,
                             size_t cache_bytes = size_t{4} << 20, int in_channels = 3) {
  layers::ResNetConfig c;
  c.model = model;
  c.image_size = image_size;
  c.batch = batch;
  c.in_channels = in_channels;
  c.precision = precision;
  return layers::choose_micro_batching(c, layers::checked_topology(c), cache_bytes, 2);
}

}  // namespace

TEST_CASE("the stem and the stages with small weights and large outputs run per micro-batch") {
  using engine::Precision;
  // ResNet-50 bf16: conv1's and layer1's outputs take 1.6 MB per image, so 2 images fit 4 MiB.
  // layer2's weights (2.4 MB) read 16 times move less than its outputs (6.2 MB per image) at 32
  // images; layer3's (14 MB) do not.
  for (const Precision p : {Precision::bf16, Precision::f32}) {
    const layers::MicroBatching r50 = chosen("resnet50", 224, 32, p);
    CHECK(r50.images == 2);
    CHECK(r50.stages == 2);
    const layers::MicroBatching r18 = chosen("resnet18", 224, 32, p);
    CHECK(r18.images == 2);
    CHECK(r18.stages == 2);
  }
  // A larger cache takes more images per micro-batch, and fewer micro-batches let layer3 join.
  const layers::MicroBatching big = chosen("resnet50", 224, 32, Precision::bf16, size_t{32} << 20);
  CHECK(big.images == 16);
  CHECK(big.stages == 3);
}

TEST_CASE("no micro-batches where the whole batch fits, for one image, or for unknown caches") {
  // ResNet-20 at 28²: conv1's output takes 50 KB per image, 3.2 MB for 64 images.
  CHECK(chosen("resnet20", 28, 64, engine::Precision::f32, size_t{4} << 20, 1).images == 0);
  CHECK(chosen("resnet20", 28, 128, engine::Precision::f32, size_t{4} << 20, 1).images == 64);
  CHECK(chosen("resnet50", 224, 1, engine::Precision::bf16).images == 0);
  CHECK(chosen("resnet50", 224, 32, engine::Precision::bf16, 0).images == 0);
}

TEST_CASE("one image per thread at least, where the batch allows") {
  // f32 ResNet-50's 3.2 MB per image: only one fits 4 MiB, but two threads take two.
  CHECK(chosen("resnet50", 224, 32, engine::Precision::f32).images == 2);
  // A batch of 3 has no divisor of 2 or more below it: one image at a time.
  CHECK(chosen("resnet50", 224, 3, engine::Precision::f32).images == 1);
}

TEST_CASE("each topology node carries the stage its torchvision name says, avgpool and fc one after the last") {
  for (const auto& [model, stages] : {std::pair{"resnet18", 4}, std::pair{"resnet50", 4}, std::pair{"resnet20", 3}}) {
    layers::ResNetConfig c;
    c.model = model;
    int per_stage[8] = {};
    for (const layers::ResNetNode& n : layers::checked_topology(c)) {
      const int named = n.name.starts_with("layer")                  ? n.name[5] - '0'
                        : n.name == "avgpool" || n.name == "fc" ? stages + 1
                                                                     : 0;
      CHECK_MESSAGE(n.stage == named, model << " " << n.name);
      ++per_stage[n.stage];
    }
    for (int s = 0; s <= stages + 1; ++s) CHECK_MESSAGE(per_stage[s] > 0, model << " stage " << s);
  }
}
