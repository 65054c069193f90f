// Parallel over MPI: dnntrain_distributed's world, gradient buckets, state broadcast and reductions.
#include <algorithm>
#include <thread>

#include "apps/parallel.hpp"
#include "distributed/gradient_buckets.hpp"
#include "distributed/metrics.hpp"
#include "distributed/state_sync.hpp"
#include "distributed/world.hpp"

namespace dnntrain::apps {

namespace {

class MpiParallel final : public Parallel {
 public:
  explicit MpiParallel(double timeout_seconds) : world_(timeout_seconds) {}
  int rank() const override { return world_.rank(); }
  int world_size() const override { return world_.size(); }
  int threads(int requested) const override {
    if (requested > 0) return requested;
    const int cores = std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
    return std::max(1, cores / world_.local_size());
  }
  void synchronize(engine::Graph& graph, engine::Optimizer& optimizer,
                   engine::TrainingState& state) override {
    distributed::broadcast_state(world_, graph, optimizer, state);
  }
  std::function<void()> average_gradients(engine::Graph& graph, engine::Optimizer& optimizer,
                                          double bucket_mb) override {
    buckets_ =
        std::make_unique<distributed::GradientBuckets>(world_, graph, static_cast<size_t>(bucket_mb * (1 << 20)));
    optimizer.set_gradient_wait([this](engine::Parameter& p) { buckets_->wait_for(p); });
    return [this] { buckets_->backward_done(); };
  }
  bool any(bool flag) override { return distributed::any(world_, flag); }
  void reduce(engine::StepStats& s) override { distributed::reduce(world_, s); }
  void reduce(engine::EpochResult& r) override { distributed::reduce(world_, r); }
  void reduce(engine::EvalResult& r) override { distributed::reduce(world_, r); }
  void average_running_statistics(engine::Graph& graph) override { distributed::average_buffers(world_, graph); }

 private:
  distributed::World world_;
  std::unique_ptr<distributed::GradientBuckets> buckets_;
};

}  // namespace

std::unique_ptr<Parallel> make_mpi_parallel(double timeout_seconds) {
  if (!distributed::launched_by_mpi()) return nullptr;
  return std::make_unique<MpiParallel>(timeout_seconds);
}

}  // namespace dnntrain::apps
