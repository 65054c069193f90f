// Data-parallel figures under mpirun: `allreduce` sweeps MPI_Iallreduce sizes (the call training
// uses) from 8 bytes (the latency) up and prints algorithm and bus bandwidth; `step` trains a
// ResNet on random data, first without gradient averaging (compute only: forward, backward, the
// time each gradient becomes ready, optimizer), then with the gradient buckets, and prints images/s,
// the allreduce time of one step without overlap and the part of it the step still waits for.
// Prints one JSON object per line (rank 0); never asserts.
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "distributed/gradient_buckets.hpp"
#include "distributed/world.hpp"
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

void allreduce(distributed::World& world, int argc, char** argv) {
  const double max_mb = std::stod(option(argc, argv, "max-mb", "64"));
  const size_t min_bytes = std::stoul(option(argc, argv, "min-bytes", "8"));
  const int min_reps = std::stoi(option(argc, argv, "reps", "20"));
  const double n = world.size();
  for (size_t bytes = min_bytes; bytes <= static_cast<size_t>(max_mb * (1 << 20)); bytes *= 4) {
    std::vector<float> data(bytes / sizeof(float), 0.f);  // sums of zeros: no overflow over 1000 repetitions
    std::vector<double> times;
    // Small messages take microseconds: more repetitions for a stable median.
    const int reps = std::max(min_reps, static_cast<int>(std::min<size_t>(1000, (size_t{1} << 22) / bytes)));
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
          "{{\"mode\":\"allreduce\",\"ranks\":{},\"bytes\":{},\"us\":{:.2f},\"algbw_GBps\":{:.4g},"
          "\"busbw_GBps\":{:.4g}}}\n",
          world.size(), bytes, t * 1e6, algbw, algbw * 2 * (n - 1) / n);
    std::fflush(stdout);
  }
}

// Seconds of forward, backward and the optimizer, and of every parameter's gradient becoming ready
// (after backward starts), over the compute-only steps.
struct ComputeProfile {
  std::vector<double> forward, backward, optimizer, step;
  std::vector<std::vector<double>> ready;  // [step][k-th gradient ready]
};

void step(distributed::World& world, int argc, char** argv) {
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

  std::mt19937 rng(static_cast<unsigned>(world.rank()));
  std::normal_distribution<float> normal;
  std::vector<float> images(static_cast<size_t>(config.batch) * config.in_channels * config.image_size *
                            config.image_size);
  for (float& v : images) v = normal(rng);
  std::vector<int32_t> labels(static_cast<size_t>(config.batch));
  for (size_t i = 0; i < labels.size(); ++i) labels[i] = static_cast<int32_t>(i % config.classes);

  // Compute only: every rank trains alone (the other ranks run at the same time, as in training).
  ComputeProfile c;
  std::chrono::steady_clock::time_point backward_start;
  std::vector<double>* ready = nullptr;
  std::vector<const engine::Parameter*> ready_order;
  graph.on_gradient_ready([&](engine::Parameter& p) {
    if (ready == nullptr) return;
    ready->push_back(seconds_since(backward_start));
    if (ready_order.size() < ready->size()) ready_order.push_back(&p);
  });
  for (int s = 0; s <= steps; ++s) {
    MPI_Barrier(MPI_COMM_WORLD);
    const auto t0 = std::chrono::steady_clock::now();
    graph.forward(engine::Mode::train, images.data(), labels.data());
    const double forward = seconds_since(t0);
    backward_start = std::chrono::steady_clock::now();
    if (s > 0) c.ready.emplace_back();  // s == 0: warm-up
    ready = s > 0 ? &c.ready.back() : nullptr;
    graph.backward();
    const double backward = seconds_since(backward_start);
    const auto t1 = std::chrono::steady_clock::now();
    optimizer.step(0.01);
    if (s == 0) continue;
    c.forward.push_back(forward), c.backward.push_back(backward);
    c.optimizer.push_back(seconds_since(t1)), c.step.push_back(seconds_since(t0));
  }

  // With gradient averaging, as train does it (the buckets take over the gradient-ready callback).
  distributed::GradientBuckets buckets(world, graph, static_cast<size_t>(bucket_mb * (1 << 20)));
  optimizer.set_gradient_wait([&](engine::Parameter& p) { buckets.wait_for(p); });
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

  // Medians per rank, then the mean over ranks.
  std::vector<double> figures = {median(step_s),      median(exposed_s), median(alone_s),
                                 median(c.forward),   median(c.backward), median(c.optimizer),
                                 median(c.step)};
  const size_t n_figures = figures.size();
  for (size_t k = 0; k < ready_order.size(); ++k) {
    std::vector<double> at;
    for (const std::vector<double>& r : c.ready) at.push_back(r[k]);
    figures.push_back(median(at));
  }
  world.sum(figures.data(), figures.size());
  for (double& f : figures) f /= world.size();
  if (world.rank() != 0) return;

  size_t parameters = 0;
  for (const engine::Parameter* p : graph.parameters()) parameters += p->elements();
  const double global_batch = static_cast<double>(world.size()) * config.batch;
  const double step_time = figures[0], exposed = figures[1], alone = figures[2], compute = figures[6];
  fmt::print(
      "{{\"mode\":\"step\",\"model\":\"{}\",\"image_size\":{},\"batch\":{},\"ranks\":{},\"threads\":{},"
      "\"parameters\":{},\"gradient_bytes\":{},\"bucket_mb\":{},\"buckets\":{},"
      "\"step_ms\":{:.1f},\"images_per_sec\":{:.1f},"
      "\"compute_step_ms\":{:.1f},\"compute_images_per_sec\":{:.1f},\"forward_ms\":{:.1f},"
      "\"backward_ms\":{:.1f},\"optimizer_ms\":{:.1f},"
      "\"allreduce_ms\":{:.2f},\"exposed_ms\":{:.2f},\"hidden_share\":{:.3f},"
      "\"step_minus_compute_ms\":{:.2f}}}\n",
      config.model, config.image_size, config.batch, world.size(), threads, parameters, buckets.bytes(),
      bucket_mb, buckets.buckets(), step_time * 1e3, global_batch / step_time, compute * 1e3,
      global_batch / compute, figures[3] * 1e3, figures[4] * 1e3, figures[5] * 1e3, alone * 1e3, exposed * 1e3,
      alone > 0 ? std::max(0.0, 1 - exposed / alone) : 0.0, (step_time - compute) * 1e3);
  // When each gradient is ready: what a model of bucketed overlap needs.
  std::string list;
  for (size_t k = 0; k < ready_order.size(); ++k)
    list += fmt::format("{}[{},{:.2f}]", k ? "," : "", ready_order[k]->padded_elements() * sizeof(float),
                        figures[n_figures + k] * 1e3);
  fmt::print(
      "{{\"mode\":\"gradient_ready\",\"model\":\"{}\",\"image_size\":{},\"batch\":{},\"ranks\":{},"
      "\"threads\":{},\"backward_ms\":{:.1f},\"bytes_and_ms_after_backward_start\":[{}]}}\n",
      config.model, config.image_size, config.batch, world.size(), threads, figures[4] * 1e3, list);
}

}  // namespace

int main(int argc, char** argv) {
  const std::string mode = argc > 1 ? argv[1] : "";
  if (mode != "allreduce" && mode != "step") {
    std::fputs(
        "usage: mpirun -np N dist_bench allreduce [--min-bytes 8] [--max-mb 64] [--reps 20]\n"
        "       mpirun -np N dist_bench step [--model resnet50] [--batch 32] [--image-size 224]\n"
        "              [--in-channels 3] [--classes 1000] [--threads 1] [--steps 10] [--bucket-mb 25]\n",
        stderr);
    return 2;
  }
  try {
    distributed::World world;
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
