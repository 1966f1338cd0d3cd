// A persistent pool of worker threads. parallel_for splits [0, n) into at most
// num_threads() contiguous ranges fixed by n and the thread count alone; kernels
// that must be bitwise reproducible for any thread count partition their
// reductions independently of these ranges.
#pragma once
#include <cstdint>
#include <functional>

namespace tapeflow {

int num_threads();
void set_num_threads(int n);  // n <= 0: the number of cores

// Runs fn(begin, end) over [0, n) in pieces of at least `grain` items. Runs inline
// when the work is small, when only one thread is configured, or when called
// from inside a worker (no nested parallelism).
void parallel_for(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& fn);

}  // namespace tapeflow
