// What ends a training run early, with a checkpoint: Ctrl-C (SIGINT) or SIGTERM, whose first
// arrival only sets a flag, so the current step finishes and a checkpoint is saved (exit 128 +
// signal: 130, 143; a second one ends the process at once, the handler resets itself); and a
// standard output that can no longer be written (a closed pipe, a full disk: exit 1 after saving).
#pragma once

#include <optional>
#include <string>

#include "engine/batch_source.hpp"

namespace dnntrain::apps {

class InterruptGuard {
 public:
  // Installs the handlers and clears the flag. `unblock_stdout`: the handler also makes stdout
  // non-blocking, for a rank whose stdout is a pipe to mpirun, which stops reading it once it has
  // forwarded the signal: a print blocked there would otherwise keep the rank from saving.
  explicit InterruptGuard(bool unblock_stdout = false);
  ~InterruptGuard();  // restores the previous handlers
  InterruptGuard(const InterruptGuard&) = delete;
  InterruptGuard& operator=(const InterruptGuard&) = delete;
  static bool requested();
  static int signal();  // the signal received (SIGINT or SIGTERM), 0 if none
};

// Flushes stdout; once a write to it has failed, the reason ("standard output: Broken pipe"),
// else nullopt. SIGPIPE must be ignored (main does) for a closed pipe to show up here.
std::optional<std::string> stdout_failure();

// `source`, ending early once a signal was received (after at least one batch, so that evaluate
// sees a sample): an evaluation then stops within one batch instead of running to its end.
class InterruptibleSource final : public engine::BatchSource {
 public:
  explicit InterruptibleSource(engine::BatchSource& source) : source_(source) {}
  void start_epoch(int64_t epoch, int64_t first_batch) override;
  bool next(engine::BatchRef& batch) override;
  int64_t batches_per_epoch() const override { return source_.batches_per_epoch(); }
  double wait_seconds() const override { return source_.wait_seconds(); }
  bool cut() const { return cut_; }  // the last epoch ended early

 private:
  engine::BatchSource& source_;
  bool cut_ = false, started_ = false;
};

}  // namespace dnntrain::apps
