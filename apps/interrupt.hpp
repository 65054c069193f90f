// Ctrl-C (SIGINT) or SIGTERM during training: the first one only sets a flag, so the current step
// finishes and a checkpoint is saved (exit 128 + signal: 130, 143); a second one ends the process
// at once (the handler resets itself).
#pragma once

namespace dnntrain::apps {

class InterruptGuard {
 public:
  InterruptGuard();   // installs the handlers and clears the flag
  ~InterruptGuard();  // restores the previous handlers
  InterruptGuard(const InterruptGuard&) = delete;
  InterruptGuard& operator=(const InterruptGuard&) = delete;
  static bool requested();
  static int signal();  // the signal received (SIGINT or SIGTERM), 0 if none
};

}  // namespace dnntrain::apps
