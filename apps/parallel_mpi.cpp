// Parallel over MPI: dnntrain_distributed's world, gradient buckets, state broadcast and reductions.
#include <fmt/format.h>

#include <algorithm>
#include <thread>

#include "apps/parallel.hpp"
#include "distributed/gradient_buckets.hpp"
#include "distributed/metrics.hpp"
#include "distributed/state_sync.hpp"
#include "distributed/world.hpp"
#include "engine/error.hpp"

namespace dnntrain::apps {

namespace {

// 64-bit FNV-1a: a digest of one option's name and value.
uint64_t digest(const std::string& text) {
  uint64_t h = 14695981039346656037ull;
  for (const unsigned char c : text) h = (h ^ c) * 1099511628211ull;
  return h;
}

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
  void check_same_options(const std::vector<std::pair<std::string, std::string>>& options) override {
    int64_t count = static_cast<int64_t>(options.size());
    world_.broadcast(&count, sizeof count);  // rank 0's
    std::vector<uint64_t> mine(static_cast<size_t>(count), 0), rank0;
    for (size_t i = 0; i < mine.size() && i < options.size(); ++i)
      mine[i] = digest(options[i].first + '\0' + options[i].second);
    rank0 = mine;
    world_.broadcast(rank0.data(), rank0.size() * sizeof(uint64_t));
    std::vector<int64_t> differ(mine.size() + 1, 0);  // per option, and for the count itself
    for (size_t i = 0; i < mine.size(); ++i) differ[i] = i >= options.size() || mine[i] != rank0[i];
    differ.back() = static_cast<int64_t>(options.size()) != count;
    world_.sum(differ.data(), differ.size());
    for (size_t i = 0; i < differ.size(); ++i) {
      if (differ[i] == 0) continue;
      const std::string what = i < options.size() ? "'" + options[i].first + "'" : "the number of options";
      throw Error(fmt::format(
          "the ranks were started with different options: {} differs on {} of {} ranks from rank 0's (this "
          "rank: '{}'); start every rank with the same options, which change the math or the shapes",
          what, differ[i], world_.size(),
          i < options.size() ? options[i].second : std::to_string(options.size())));
    }
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
