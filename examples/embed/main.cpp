// dnntrain as a library: build a ResNet-20 for 1x28x28 images, train it a few steps on tensors of
// our own, and save a safetensors checkpoint that PyTorch's load_state_dict also reads.
#include <cstdio>
#include <random>
#include <vector>

#include "engine/checkpoint/checkpoint.hpp"
#include "engine/error.hpp"
#include "engine/optim/optimizer.hpp"
#include "layers/resnet.hpp"

int main(int argc, char** argv) try {
  using namespace dnntrain;
  engine::Context context(/*threads=*/0);
  layers::ResNetConfig config{.model = "resnet20", .classes = 10, .in_channels = 1, .image_size = 28, .batch = 16};
  layers::Model model(context, config);  // plans the graph: every primitive and buffer, once
  engine::Graph& graph = model.graph();
  graph.initialize(/*seed=*/1);
  engine::Optimizer sgd(graph.parameters(), {.momentum = 0.9, .weight_decay = 5e-4});

  std::mt19937 rng(0);  // our own data: [16, 1, 28, 28] images (NCHW) and labels in [0, 10)
  std::normal_distribution<float> pixel;
  std::vector<float> images(16 * 28 * 28);
  std::vector<int32_t> labels(16);
  for (float& v : images) v = pixel(rng);
  for (int32_t& y : labels) y = static_cast<int32_t>(rng() % 10);

  for (int step = 1; step <= 5; ++step) {
    graph.forward(engine::Mode::train, images.data(), labels.data());
    graph.backward();
    sgd.step(/*lr=*/0.05);
    std::printf("step %d loss %.4f\n", step, model.loss().loss());
  }
  engine::save_weights(argc > 1 ? argv[1] : "embedded.safetensors", graph.parameters(), graph.buffers());
  return 0;
} catch (const dnntrain::Error& e) {
  std::fprintf(stderr, "embed: %s\n", e.what());
  return 1;
}
