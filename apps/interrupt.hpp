// Ctrl-C during training: the first SIGINT only sets a flag, so the current step finishes and a
// checkpoint is saved (exit 130); a second one terminates at once (the handler resets itself).
#pragma once

namespace dnntrain::apps {

class InterruptGuard {
 public:
  InterruptGuard();   // installs the handler and clears the flag
  ~InterruptGuard();  // restores the previous handler
  InterruptGuard(const InterruptGuard&) = delete;
  InterruptGuard& operator=(const InterruptGuard&) = delete;
  static bool requested();
};

}  // namespace dnntrain::apps
