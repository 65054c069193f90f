// What train prints while it runs: a one-line progress bar redrawn with '\r' when stdout is a
// terminal (step, loss, images/s, ETA), plain lines every --print-freq steps otherwise.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "engine/trainer.hpp"

namespace dnntrain::apps {

class Progress {
 public:
  Progress(int64_t steps_per_epoch, int epochs, int batch, int print_freq, bool terminal);
  // A new epoch (1-based for display) starting at batch `first_batch` (resume).
  void start_epoch(int64_t epoch, int64_t first_batch);
  // Redraws the bar (terminal) or prints a line every print_freq steps. Returns true when this step
  // is a "printed" step (every print_freq), so the caller logs it.
  bool step(const engine::StepStats& s);
  // Ends the bar's line (terminal) so the next output starts on a fresh line.
  void finish_line();

  double mean_loss() const { return steps_ ? loss_sum_ / static_cast<double>(steps_) : 0; }
  double images_per_sec() const;
  bool terminal() const { return terminal_; }

 private:
  int64_t steps_per_epoch_;
  int epochs_, batch_, print_freq_;
  bool terminal_;
  int64_t epoch_ = 0, steps_ = 0;
  double loss_sum_ = 0;
  bool line_open_ = false;
  std::chrono::steady_clock::time_point start_, last_draw_;
};

// "1:02:03" or "2:03".
std::string format_duration(double seconds);

}  // namespace dnntrain::apps
