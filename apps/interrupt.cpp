// The SIGINT/SIGTERM flag behind InterruptGuard (sigaction with SA_RESETHAND).
#include "apps/interrupt.hpp"

#include <csignal>

namespace dnntrain::apps {

namespace {

volatile std::sig_atomic_t g_signal = 0;
struct sigaction g_previous_int {
}, g_previous_term{};

extern "C" void on_signal(int sig) { g_signal = sig; }

}  // namespace

InterruptGuard::InterruptGuard() {
  g_signal = 0;
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

}  // namespace dnntrain::apps
