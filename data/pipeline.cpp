// Pipeline: a ring of batch slots, filled by tbb::parallel_for over a batch's samples inside a
// dedicated task_arena. Background mode runs that from a producer thread with free/ready slot
// queues; a per-batch parallel_for (not a batch-level parallel_pipeline) because waiting for a free
// slot inside a pipeline's input filter can deadlock a 1-thread arena.
#include "data/pipeline.hpp"

#include <tbb/blocked_range.h>
#include <tbb/concurrent_queue.h>
#include <tbb/enumerable_thread_specific.h>
#include <tbb/parallel_for.h>
#include <tbb/task_arena.h>
#include <tbb/task_group.h>

#include <algorithm>
#include <atomic>

#include "data/file_io.hpp"
#include "data/sampler.hpp"
#include "engine/error.hpp"

namespace dnntrain::data {

struct Pipeline::Worker {
  explicit Worker(int threads) : arena(threads) {}
  tbb::task_arena arena;
  tbb::enumerable_thread_specific<SampleTransform::Scratch> scratch;
  tbb::task_group_context context;
  std::atomic<bool> stop{false};
  // Slot numbers; kEnd and kFailed are markers the producer pushes to ready.
  tbb::concurrent_bounded_queue<int> free, ready;
};

namespace {
constexpr int kEnd = -1, kFailed = -2;
}

Pipeline::Pipeline(std::shared_ptr<const Dataset> dataset, SampleTransform transform,
                   PipelineSettings settings)
    : dataset_(std::move(dataset)), transform_(std::move(transform)), settings_(settings) {
  DNNTRAIN_CHECK(dataset_ != nullptr, "pipeline: no dataset");
  DNNTRAIN_CHECK(settings_.batch_size > 0, "pipeline: batch size must be > 0");
  DNNTRAIN_CHECK(settings_.threads >= 0 && settings_.prefetch >= 1,
                 "pipeline: threads >= 0 and prefetch >= 1");
  DNNTRAIN_CHECK(settings_.world_size >= 1 && settings_.rank >= 0 && settings_.rank < settings_.world_size,
                 "pipeline: need 0 <= rank < world size");
  sharing_ = settings_.sharing;
  if (sharing_ == CoreSharing::automatic)
    sharing_ = dataset_->in_memory() ? CoreSharing::in_steps : CoreSharing::background;
  const int cores = std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
  threads_ = settings_.threads > 0               ? settings_.threads
             : sharing_ == CoreSharing::in_steps ? 1
                                                 : std::max(1, cores - 1);
  worker_ = std::make_unique<Worker>(threads_);
  ring_.resize(sharing_ == CoreSharing::background ? static_cast<size_t>(settings_.prefetch) + 1 : 1);
  const uint64_t floats = checked_mul(static_cast<uint64_t>(settings_.batch_size),
                                      static_cast<uint64_t>(transform_.output_elements()),
                                      "pipeline: batch size x sample elements");
  for (Slot& s : ring_) {
    s.images.resize(static_cast<size_t>(floats));
    s.labels.resize(static_cast<size_t>(settings_.batch_size));
    if (mixing()) {
      s.mix_labels.resize(static_cast<size_t>(settings_.batch_size));
      s.mix_row.resize(static_cast<size_t>(transform_.output_elements()));
    }
  }
}

Pipeline::~Pipeline() { stop_producer(); }

int64_t Pipeline::batches_per_epoch() const {
  const int64_t n = static_cast<int64_t>(order_.size()), b = settings_.batch_size;
  return settings_.training ? n / b : (n + b - 1) / b;
}

void Pipeline::fill(Slot& slot, int64_t batch) {
  const int64_t first = batch * settings_.batch_size;
  slot.n =
      static_cast<int>(std::min<int64_t>(settings_.batch_size, static_cast<int64_t>(order_.size()) - first));
  const int64_t per = transform_.output_elements();
  Worker& w = *worker_;
  w.arena.execute([&] {
    tbb::parallel_for(
        tbb::blocked_range<int>(0, slot.n),
        [&](const tbb::blocked_range<int>& r) {
          SampleTransform::Scratch& scratch = w.scratch.local();
          for (int i = r.begin(); i < r.end(); ++i) {
            if (w.stop.load(std::memory_order_relaxed)) return;
            const int64_t key = order_[static_cast<size_t>(first + i)], n = dataset_->size();
            slot.labels[static_cast<size_t>(i)] = transform_.apply(*dataset_, key % n, settings_.seed, epoch_,
                                                                   slot.images.data() + i * per, scratch, key / n);
          }
        },
        w.context);
  });
  if (!mixing() || w.stop.load(std::memory_order_relaxed)) return;
  const Dataset::Shape shape = transform_.output_shape();
  const MixChoice choice =
      draw_mix(settings_.mix, shape.height, shape.width,
               mix_stream(settings_.seed, epoch_, batch, settings_.rank, settings_.world_size));
  mix_batch(choice, slot.images.data(), slot.labels.data(), slot.mix_labels.data(), slot.n, shape.channels,
            shape.height, shape.width, slot.mix_row.data());
  slot.mix_lambda = choice.lambda;
}

void Pipeline::produce(int64_t first_batch) {
  Worker& w = *worker_;
  try {
    for (int64_t b = first_batch, n = batches_per_epoch(); b < n && !w.stop.load(); ++b) {
      int slot = 0;
      w.free.pop(slot);  // throws tbb::user_abort when stop_producer() aborts the queue
      fill(ring_[static_cast<size_t>(slot)], b);
      if (w.stop.load()) return;
      w.ready.push(slot);
    }
    w.ready.push(kEnd);
  } catch (const tbb::user_abort&) {
  } catch (...) {
    producer_error_ = std::current_exception();
    try {
      w.ready.push(kFailed);
    } catch (...) {
    }
  }
}

void Pipeline::stop_producer() {
  if (!producer_.joinable()) return;
  Worker& w = *worker_;
  w.stop = true;
  w.context.cancel_group_execution();
  w.free.abort();
  w.ready.abort();
  producer_.join();
}

void Pipeline::start_epoch(uint64_t epoch, int64_t first_batch) {
  DNNTRAIN_CHECK(first_batch >= 0, "pipeline: the first batch must be >= 0");
  stop_producer();
  Worker& w = *worker_;
  w.stop = false;
  w.context.reset();
  w.free.clear();
  w.ready.clear();
  epoch_ = epoch;
  next_batch_ = first_batch;
  held_ = -1;
  wait_seconds_ = 0.0;
  producer_error_ = nullptr;
  started_ = true;
  if (settings_.training && settings_.repeats > 1)
    repeated_shard_indices(dataset_->size(), settings_.seed, epoch, settings_.shuffle,
                           {settings_.rank, settings_.world_size}, settings_.repeats, order_);
  else
    shard_indices(dataset_->size(), settings_.seed, epoch, settings_.shuffle,
                  {settings_.rank, settings_.world_size}, settings_.training, order_);
  if (sharing_ == CoreSharing::background) {
    for (int s = 0; s < static_cast<int>(ring_.size()); ++s) w.free.push(s);
    producer_ = std::thread([this, first_batch] { produce(first_batch); });
  }
}

bool Pipeline::next(BatchView& batch) {
  DNNTRAIN_CHECK(started_, "pipeline: call start_epoch() before next()");
  const auto t0 = std::chrono::steady_clock::now();
  int slot = 0;
  if (sharing_ == CoreSharing::in_steps) {
    if (next_batch_ >= batches_per_epoch()) return false;
    fill(ring_[0], next_batch_++);
  } else {
    Worker& w = *worker_;
    if (held_ >= 0) w.free.push(held_);
    held_ = -1;
    w.ready.pop(slot);
    if (slot == kFailed) {
      w.ready.push(kFailed);  // further calls rethrow too
      std::rethrow_exception(producer_error_);
    }
    if (slot == kEnd) {
      w.ready.push(kEnd);  // further calls keep returning false
      return false;
    }
    held_ = slot;
  }
  wait_seconds_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const Slot& s = ring_[static_cast<size_t>(slot)];
  const Dataset::Shape shape = transform_.output_shape();
  batch = {s.images.data(),
           s.labels.data(),
           s.n,
           shape.channels,
           shape.height,
           shape.width,
           mixing() ? s.mix_labels.data() : nullptr,
           mixing() ? s.mix_lambda : 1.0};
  return true;
}

}  // namespace dnntrain::data
