// How much of a timed run other work took from it, read from /proc: the hypervisor's steal time
// (the "steal" column of /proc/stat: the vCPUs waited for a physical core) and the time this
// process's threads waited in the run queue behind other processes (/proc/self/task/*/schedstat).
// bench warns when either is over 5 %: its figures then measure the load, not the code.
#pragma once

#include <cstdint>
#include <string>

namespace dnntrain::apps {

struct LoadSample {
  uint64_t steal_ticks = 0, all_ticks = 0;  // /proc/stat's cpu line, summed over the columns
  uint64_t run_queue_wait_ns = 0;           // summed over this process's threads
  double wall_seconds = 0;                  // steady clock
};

LoadSample sample_load();

struct LoadShare {
  double steal = 0;           // of all CPU time of the machine in the interval (0..1)
  double run_queue_wait = 0;  // of `threads` × the interval's wall time (0..1)
};

LoadShare load_between(const LoadSample& before, const LoadSample& after, int threads);

// "" below 5 % each, else a warning line naming both shares.
std::string load_warning(const LoadShare& share);

}  // namespace dnntrain::apps
