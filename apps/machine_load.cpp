// /proc readers for bench's load warning; a missing or unreadable file reads as zero load.
#include "apps/machine_load.hpp"

#include <dirent.h>

#include <chrono>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

namespace dnntrain::apps {

LoadSample sample_load() {
  LoadSample s;
  s.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
  std::ifstream stat("/proc/stat");
  std::string line;
  if (std::getline(stat, line) && line.rfind("cpu ", 0) == 0) {
    // user nice system idle iowait irq softirq steal guest guest_nice; guest time is already in user.
    std::istringstream in(line.substr(4));
    uint64_t v = 0;
    for (int column = 0; column < 8 && in >> v; ++column) {
      s.all_ticks += v;
      if (column == 7) s.steal_ticks = v;
    }
  }
  if (DIR* tasks = ::opendir("/proc/self/task")) {
    while (const dirent* e = ::readdir(tasks)) {
      if (e->d_name[0] == '.') continue;
      std::ifstream sched(fmt::format("/proc/self/task/{}/schedstat", e->d_name));
      uint64_t on_cpu = 0, waited = 0;
      if (sched >> on_cpu >> waited) s.run_queue_wait_ns += waited;
    }
    ::closedir(tasks);
  }
  return s;
}

LoadShare load_between(const LoadSample& before, const LoadSample& after, int threads) {
  LoadShare share;
  if (after.all_ticks > before.all_ticks && after.steal_ticks >= before.steal_ticks)
    share.steal = static_cast<double>(after.steal_ticks - before.steal_ticks) /
                  static_cast<double>(after.all_ticks - before.all_ticks);
  const double wall = after.wall_seconds - before.wall_seconds;
  // Threads that ended in between take their wait with them: the share can only be understated.
  if (wall > 0 && threads > 0 && after.run_queue_wait_ns >= before.run_queue_wait_ns)
    share.run_queue_wait =
        static_cast<double>(after.run_queue_wait_ns - before.run_queue_wait_ns) / 1e9 / (wall * threads);
  return share;
}

std::string load_warning(const LoadShare& share) {
  if (share.steal <= 0.05 && share.run_queue_wait <= 0.05) return "";
  return fmt::format(
      "warning: the machine was busy during the timed steps (steal {:.1f} % of CPU time, this process's "
      "threads waited {:.1f} % of theirs for a core): the figures measure the load; run again on a quiet "
      "machine\n",
      100 * share.steal, 100 * share.run_queue_wait);
}

}  // namespace dnntrain::apps
