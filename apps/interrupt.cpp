// The SIGINT flag behind InterruptGuard (sigaction with SA_RESETHAND).
#include "apps/interrupt.hpp"

#include <csignal>

namespace dnntrain::apps {

namespace {

volatile std::sig_atomic_t g_requested = 0;
struct sigaction g_previous {};

extern "C" void on_sigint(int) { g_requested = 1; }

}  // namespace

InterruptGuard::InterruptGuard() {
  g_requested = 0;
  struct sigaction action {};
  action.sa_handler = on_sigint;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESETHAND | SA_RESTART;
  sigaction(SIGINT, &action, &g_previous);
}

InterruptGuard::~InterruptGuard() { sigaction(SIGINT, &g_previous, nullptr); }

bool InterruptGuard::requested() { return g_requested != 0; }

}  // namespace dnntrain::apps
