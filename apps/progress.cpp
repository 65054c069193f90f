// The progress bar and the plain progress lines.
#include "apps/progress.hpp"

#include <fmt/format.h>

#include <cstdio>

namespace dnntrain::apps {

std::string format_duration(double seconds) {
  const int64_t s = static_cast<int64_t>(seconds + 0.5);
  if (s >= 3600) return fmt::format("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60);
  return fmt::format("{}:{:02}", s / 60, s % 60);
}

Progress::Progress(int64_t steps_per_epoch, int epochs, int batch, int print_freq, bool terminal)
    : steps_per_epoch_(steps_per_epoch),
      epochs_(epochs),
      batch_(batch),
      print_freq_(print_freq),
      terminal_(terminal) {}

void Progress::start_epoch(int64_t epoch, int64_t) {
  epoch_ = epoch;
  steps_ = 0;
  loss_sum_ = 0;
  start_ = last_draw_ = std::chrono::steady_clock::now();
}

double Progress::images_per_sec() const {
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  return s > 0 ? static_cast<double>(steps_) * batch_ / s : 0;
}

bool Progress::step(const engine::StepStats& s) {
  ++steps_;
  loss_sum_ += s.loss;
  const auto now = std::chrono::steady_clock::now();
  const double elapsed = std::chrono::duration<double>(now - start_).count();
  const double eta =
      static_cast<double>(steps_per_epoch_ - s.batch_in_epoch) * elapsed / static_cast<double>(steps_);
  const bool printed = s.batch_in_epoch % print_freq_ == 0 || s.batch_in_epoch == steps_per_epoch_;
  if (terminal_) {
    const bool last = s.batch_in_epoch == steps_per_epoch_;
    if (!last && std::chrono::duration<double>(now - last_draw_).count() < 0.1) return printed;
    last_draw_ = now;
    constexpr int kWidth = 24;
    const int filled = static_cast<int>(kWidth * s.batch_in_epoch / std::max<int64_t>(1, steps_per_epoch_));
    std::fputs(
        fmt::format("\repoch {}/{} [{}{}] {}/{} loss {:.4f} (avg {:.4f}) {:.0f} img/s ETA {}  ", epoch_ + 1,
                    epochs_, std::string(filled, '#'), std::string(kWidth - filled, '.'), s.batch_in_epoch,
                    steps_per_epoch_, s.loss, mean_loss(), images_per_sec(), format_duration(eta))
            .c_str(),
        stdout);
    std::fflush(stdout);
    line_open_ = true;
  } else if (printed) {
    fmt::print("epoch {}/{} step {} batch {}/{} loss {:.4f} (avg {:.4f}) lr {:.6g} {:.0f} img/s ETA {}\n",
               epoch_ + 1, epochs_, s.step, s.batch_in_epoch, steps_per_epoch_, s.loss, mean_loss(), s.lr,
               images_per_sec(), format_duration(eta));
    std::fflush(stdout);
  }
  return printed;
}

void Progress::finish_line() {
  if (line_open_) std::fputs("\n", stdout);
  line_open_ = false;
}

}  // namespace dnntrain::apps
