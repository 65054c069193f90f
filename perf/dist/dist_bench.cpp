// Data-parallel figures under mpirun: `allreduce` sweeps MPI_Iallreduce sizes (the call training
// uses) and prints algorithm and bus bandwidth; `step` trains a ResNet on random data with the
// gradient buckets and prints images/s, the allreduce time of one step without overlap and the
// part of it the step still waits for. Prints one JSON object per line (rank 0); never asserts.
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "dist/gradient_buckets.hpp"
#include "dist/world.hpp"
#include "engine/optim/optimizer.hpp"
#include "layers/resnet.hpp"

namespace {

using namespace dnntrain;

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// "--name value" pairs after the mode.
std::string option(int argc, char** argv, const std::string& name, const std::string& fallback) {
  for (int i = 2; i + 1 < argc; ++i)
    if (argv[i] == "--" + name) return argv[i + 1];
  return fallback;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

void allreduce(dist::World& world, int argc, char** argv) {
  const double max_mb = std::stod(option(argc, argv, "max-mb", "64"));
  const int reps = std::stoi(option(argc, argv, "reps", "20"));
  const double n = world.size();
  for (size_t bytes = 4096; bytes <= static_cast<size_t>(max_mb * (1 << 20)); bytes *= 4) {
    std::vector<float> data(bytes / sizeof(float), 1.f);
    std::vector<double> times;
    for (int r = 0; r <= reps; ++r) {
      MPI_Barrier(MPI_COMM_WORLD);
      const auto t0 = std::chrono::steady_clock::now();
      world.sum(data.data(), data.size());
      if (r > 0) times.push_back(seconds_since(t0));  // the first is a warm-up
    }
    double t = median(times);
    world.sum(&t, 1);  // mean over ranks
    t /= n;
    const double algbw = static_cast<double>(bytes) / t / 1e9;
    if (world.rank() == 0)
      fmt::print(
          "{{\"mode\":\"allreduce\",\"ranks\":{},\"bytes\":{},\"us\":{:.1f},\"algbw_GBps\":{:.3f},"
          "\"busbw_GBps\":{:.3f}}}\n",
          world.size(), bytes, t * 1e6, algbw, algbw * 2 * (n - 1) / n);
    std::fflush(stdout);
  }
}

void step(dist::World& world, int argc, char** argv) {
  layers::ResNetConfig config;
  config.model = option(argc, argv, "model", "resnet50");
  config.batch = std::stoi(option(argc, argv, "batch", "32"));
  config.image_size = std::stoi(option(argc, argv, "image-size", "224"));
  config.in_channels = std::stoi(option(argc, argv, "in-channels", "3"));
  config.classes = std::stoi(option(argc, argv, "classes", "1000"));
  const int threads = std::stoi(option(argc, argv, "threads", "1"));
  const int steps = std::stoi(option(argc, argv, "steps", "10"));
  const double bucket_mb = std::stod(option(argc, argv, "bucket-mb", "25"));

  engine::Context context(threads);
  layers::Model model(context, config);
  engine::Graph& graph = model.graph();
  graph.initialize(1);
  engine::OptimizerOptions sgd;
  sgd.momentum = 0.9;
  engine::Optimizer optimizer(graph.parameters(), sgd);
  dist::GradientBuckets buckets(world, graph, static_cast<size_t>(bucket_mb * (1 << 20)));
  optimizer.set_gradient_wait([&](engine::Parameter& p) { buckets.wait_for(p); });  // as train does

  std::mt19937 rng(static_cast<unsigned>(world.rank()));
  std::normal_distribution<float> normal;
  std::vector<float> images(static_cast<size_t>(config.batch) * config.in_channels * config.image_size *
                            config.image_size);
  for (float& v : images) v = normal(rng);
  std::vector<int32_t> labels(static_cast<size_t>(config.batch));
  for (size_t i = 0; i < labels.size(); ++i) labels[i] = static_cast<int32_t>(i % config.classes);

  std::vector<double> step_s, exposed_s, alone_s;
  for (int s = 0; s <= steps; ++s) {
    MPI_Barrier(MPI_COMM_WORLD);
    const auto t0 = std::chrono::steady_clock::now();
    graph.forward(engine::Mode::train, images.data(), labels.data());
    graph.backward();
    buckets.reset_wait_seconds();
    buckets.backward_done();
    optimizer.step(0.01);
    if (s == 0) continue;  // warm-up
    step_s.push_back(seconds_since(t0));
    exposed_s.push_back(buckets.wait_seconds());
    MPI_Barrier(MPI_COMM_WORLD);
    alone_s.push_back(buckets.time_without_overlap());
  }
  double figures[] = {median(step_s), median(exposed_s), median(alone_s)};
  world.sum(figures, 3);
  for (double& f : figures) f /= world.size();
  const double global_batch = static_cast<double>(world.size()) * config.batch;
  if (world.rank() == 0)
    fmt::print(
        "{{\"mode\":\"step\",\"model\":\"{}\",\"image_size\":{},\"batch\":{},\"ranks\":{},\"threads\":{},"
        "\"buckets\":{},\"gradient_MB\":{:.1f},\"step_ms\":{:.1f},\"images_per_sec\":{:.1f},"
        "\"allreduce_ms\":{:.2f},\"exposed_ms\":{:.2f},\"hidden_share\":{:.3f}}}\n",
        config.model, config.image_size, config.batch, world.size(), threads, buckets.buckets(),
        static_cast<double>(buckets.bytes()) / 1e6, figures[0] * 1e3, global_batch / figures[0],
        figures[2] * 1e3, figures[1] * 1e3,
        figures[2] > 0 ? std::max(0.0, 1 - figures[1] / figures[2]) : 0.0);
}

}  // namespace

int main(int argc, char** argv) {
  const std::string mode = argc > 1 ? argv[1] : "";
  if (mode != "allreduce" && mode != "step") {
    std::fputs(
        "usage: mpirun -np N dist_bench allreduce [--max-mb 64] [--reps 20]\n"
        "       mpirun -np N dist_bench step [--model resnet50] [--batch 32] [--image-size 224]\n"
        "              [--in-channels 3] [--classes 1000] [--threads 1] [--steps 10] [--bucket-mb 25]\n",
        stderr);
    return 2;
  }
  try {
    dist::World world;
    if (mode == "allreduce")
      allreduce(world, argc, argv);
    else
      step(world, argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "dist_bench: %s\n", e.what());
    return 1;
  }
  return 0;
}
