// dnntrain as a library: train a ResNet-18 for 10 classes on in-memory batches, evaluate it, save
// its weights, load them into a predictor and predict at batch 1 and batch 7.
#include <cstdio>
#include <dnntrain/dnntrain.hpp>
#include <random>
#include <vector>

int main(int argc, char** argv) try {
  const dnntrain::ModelSpec spec{.model = "resnet18", .classes = 10, .in_channels = 3, .image_size = 32};
  dnntrain::Trainer trainer(spec, {.batch = 8, .lr = 0.05, .momentum = 0.9});
  trainer.initialize(/*seed=*/1);
  std::mt19937 rng(0);  // our own data: 16 images (NCHW floats) and labels in [0, 10)
  std::normal_distribution<float> pixel;
  std::vector<float> images(16 * spec.image_elements());
  std::vector<int32_t> labels(16);
  for (float& v : images) v = pixel(rng);
  for (int32_t& y : labels) y = static_cast<int32_t>(rng() % 10);
  const size_t batch = 8 * spec.image_elements();
  for (int step = 0; step < 4; ++step) {  // two batches, twice
    const int b = step % 2;
    const double loss =
        trainer.train_step(std::span(images).subspan(b * batch, batch), std::span(labels).subspan(b * 8, 8));
    std::printf("step %d loss %.4f\n", step + 1, loss);
  }
  const dnntrain::Evaluation e = trainer.evaluate(images, labels);
  std::printf("evaluated %lld images: loss %.4f top-1 %.2f\n", static_cast<long long>(e.samples), e.loss,
              e.top1);
  const std::string path = argc > 1 ? argv[1] : "resnet18.safetensors";
  trainer.save_weights(path);
  dnntrain::Predictor predictor(spec, path);
  const dnntrain::Predictions one = predictor.predict(std::span(images).first(spec.image_elements()));
  const dnntrain::Predictions seven = predictor.predict(std::span(images).first(7 * spec.image_elements()));
  std::printf("image 0: class %d; images 0-6: classes", one.top1(0));
  for (int i = 0; i < seven.samples; ++i) std::printf(" %d", seven.top1(i));
  std::printf("\n");
  return 0;
} catch (const dnntrain::Error& e) {
  std::fprintf(stderr, "embed: %s\n", e.what());
  return 1;
}
