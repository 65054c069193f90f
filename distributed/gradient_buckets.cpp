// Buckets: assignment once, copy-in as gradients become ready, MPI_Iallreduce in bucket order,
// copy-out scaled by 1 / world size.
#include "distributed/gradient_buckets.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstring>

#include "engine/error.hpp"

namespace dnntrain::distributed {

GradientBuckets::GradientBuckets(World& world, engine::Graph& graph, size_t bucket_bytes) : world_(world) {
  DNNTRAIN_CHECK(bucket_bytes > 0, "--bucket-mb must be positive");
  const std::vector<engine::Parameter*> parameters = graph.parameters();
  // Backward runs the graph's nodes in reverse, so gradients appear in reverse parameter order.
  for (size_t k = parameters.size(); k-- > 0;) {
    engine::Parameter* p = parameters[k];
    const size_t floats = p->padded_elements();
    if (buckets_.empty() || (buckets_.back().data.size() + floats) * sizeof(float) > bucket_bytes)
      buckets_.emplace_back();  // a parameter larger than a bucket gets one of its own
    Bucket& b = buckets_.back();
    where_[p] = {static_cast<int>(buckets_.size() - 1), static_cast<int>(b.slots.size())};
    b.slots.push_back({p, b.data.size(), floats});
    b.data.resize(b.data.size() + floats);
  }
  requests_.assign(buckets_.size(), MPI_REQUEST_NULL);
  graph.on_gradient_ready([this](engine::Parameter& p) { ready(p); });
}

void GradientBuckets::ready(engine::Parameter& p) {
  if (averaged_ == buckets_.size()) {  // the first gradient of a new backward pass
    for (Bucket& b : buckets_) b.ready = 0, b.averaged = false;
    next_to_start_ = averaged_ = 0;
  }
  const auto it = where_.find(&p);
  DNNTRAIN_CHECK(it != where_.end(), fmt::format("gradient of unknown parameter {}", p.name));
  const auto [b, s] = it->second;
  Bucket& bucket = buckets_[static_cast<size_t>(b)];
  const Slot& slot = bucket.slots[static_cast<size_t>(s)];
  std::memcpy(bucket.data.data() + slot.offset, p.grad_data(), slot.floats * sizeof(float));
  ++bucket.ready;
  start_ready_buckets();
  world_.progress(requests_);  // Open MPI advances non-blocking collectives only inside MPI calls
}

void GradientBuckets::start_ready_buckets() {
  while (next_to_start_ < buckets_.size()) {
    Bucket& b = buckets_[next_to_start_];
    if (b.ready < static_cast<int>(b.slots.size())) return;
    requests_[next_to_start_] = world_.start_sum(b.data.data(), b.data.size());
    ++next_to_start_;
  }
}

void GradientBuckets::backward_done() {
  for (const Bucket& b : buckets_)
    DNNTRAIN_CHECK(
        b.ready == static_cast<int>(b.slots.size()),
        fmt::format("gradient averaging: {} of {} gradients of a bucket arrived; did backward run?", b.ready,
                    b.slots.size()));
  start_ready_buckets();
}

void GradientBuckets::average(size_t k) {
  Bucket& b = buckets_[k];
  const auto t0 = std::chrono::steady_clock::now();
  world_.wait(requests_[k]);
  wait_seconds_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const float scale = 1.f / static_cast<float>(world_.size());
  for (const Slot& slot : b.slots) {
    float* grad = slot.parameter->grad_data();
    const float* sum = b.data.data() + slot.offset;
    for (size_t i = 0; i < slot.floats; ++i) grad[i] = sum[i] * scale;
  }
  b.averaged = true;
  ++averaged_;
}

void GradientBuckets::wait_for(const engine::Parameter& p) {
  const auto it = where_.find(&p);
  DNNTRAIN_CHECK(it != where_.end(), fmt::format("gradient of unknown parameter {}", p.name));
  const size_t k = static_cast<size_t>(it->second.first);
  DNNTRAIN_CHECK(k < next_to_start_ || buckets_[k].averaged,
                 fmt::format("gradient averaging: {} waited for before backward_done()", p.name));
  if (!buckets_[k].averaged) average(k);
}

void GradientBuckets::finish() {
  backward_done();
  for (size_t k = 0; k < buckets_.size(); ++k)
    if (!buckets_[k].averaged) average(k);
}

size_t GradientBuckets::bytes() const {
  size_t n = 0;
  for (const Bucket& b : buckets_) n += b.data.size() * sizeof(float);
  return n;
}

double GradientBuckets::time_without_overlap() {
  const auto t0 = std::chrono::steady_clock::now();
  for (Bucket& b : buckets_) {
    MPI_Request r = world_.start_sum(b.data.data(), b.data.size());
    world_.wait(r);
  }
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace dnntrain::distributed
