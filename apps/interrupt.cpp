// The SIGINT/SIGTERM flag behind InterruptGuard (sigaction with SA_RESETHAND), the check of
// standard output, and the batch source that ends at the flag.
#include "apps/interrupt.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>

namespace dnntrain::apps {

namespace {

volatile std::sig_atomic_t g_signal = 0;
struct sigaction g_previous_int {
}, g_previous_term{};

volatile std::sig_atomic_t g_unblock_stdout = 0;

extern "C" void on_signal(int sig) {
  g_signal = sig;
  if (g_unblock_stdout) {  // fcntl is async-signal-safe; a write blocked on a full pipe then fails
    const int saved = errno;
    ::fcntl(STDOUT_FILENO, F_SETFL, ::fcntl(STDOUT_FILENO, F_GETFL) | O_NONBLOCK);
    errno = saved;
  }
}

}  // namespace

InterruptGuard::InterruptGuard(bool unblock_stdout) {
  g_signal = 0;
  g_unblock_stdout = unblock_stdout;
  struct sigaction action {};
  action.sa_handler = on_signal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESETHAND | SA_RESTART;
  sigaction(SIGINT, &action, &g_previous_int);
  sigaction(SIGTERM, &action, &g_previous_term);
}

InterruptGuard::~InterruptGuard() {
  sigaction(SIGINT, &g_previous_int, nullptr);
  sigaction(SIGTERM, &g_previous_term, nullptr);
}

bool InterruptGuard::requested() { return g_signal != 0; }

int InterruptGuard::signal() { return g_signal; }

std::optional<std::string> stdout_failure() {
  static std::optional<std::string> failure;  // the first error: later writes may report others
  if (failure) return failure;
  errno = 0;
  if (std::fflush(stdout) != 0)
    failure = std::string("cannot write to standard output: ") + std::strerror(errno ? errno : EIO);
  else if (std::ferror(stdout))  // an earlier print failed; its errno is gone
    failure = "cannot write to standard output (a closed pipe or a full disk)";
  return failure;
}

void InterruptibleSource::start_epoch(int64_t epoch, int64_t first_batch) {
  cut_ = started_ = false;
  source_.start_epoch(epoch, first_batch);
}

bool InterruptibleSource::next(engine::BatchRef& batch) {
  if (started_ && InterruptGuard::requested()) {
    cut_ = true;
    return false;
  }
  started_ = true;
  return source_.next(batch);
}

}  // namespace dnntrain::apps
