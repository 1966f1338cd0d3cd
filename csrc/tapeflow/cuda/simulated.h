// A simulated GPU for machines without one (TAPEFLOW_SIMULATE_GPU=1): one device, "GPU:0", whose memory is host
// memory behind poisoned addresses (a fixed offset that makes them non-canonical), so that any code that reads a
// device tensor's data directly on the host crashes at once instead of working by accident. Only copy_bytes and
// the allocator translate the addresses; every kernel runs as the CUDA table's host fallback. It lets CI, which
// has no GPU, run the whole suite through the device seam: placement, copies, the fallbacks and captured steps.
#pragma once
#include <cstddef>

#include "tapeflow/cuda/cuda_api.h"

namespace tapeflow {
namespace cuda {
namespace sim {

bool enabled();
void* alloc(size_t nbytes);
void free(void* p, size_t nbytes);
// An index of -1 means host memory, else the simulated device.
void copy(void* dst, int dst_index, const void* src, int src_index, size_t n);
MemoryInfo memory_info();
void reset_peak();

}  // namespace sim
}  // namespace cuda
}  // namespace tapeflow
