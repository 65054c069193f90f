// The sizes of CPU 0's caches, as the kernel reports them.
#pragma once

#include <cstddef>

namespace dnntrain::engine {

// The data or unified cache of `level` that CPU 0 uses (2: its L2; 3: the L3 it shares), as sysfs
// reports it ("2048K"), or 0 where sysfs does not say. glibc's sysconf(_SC_LEVEL3_CACHE_SIZE) can
// report the whole package's L3 instead (320 MiB on a 2-core EPYC VM whose L3 is 32 MiB).
size_t cpu_cache_bytes(int level);

}  // namespace dnntrain::engine
