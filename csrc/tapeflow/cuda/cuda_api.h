// The CUDA runtime as the rest of tapeflow sees it: device discovery, the caching allocator, copies, memory
// statistics and the TF32 switch. A CPU-only build links cuda/stub.cpp instead, where no GPU is reported and
// every allocation or copy raises a clear error.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>

namespace tapeflow {
namespace cuda {

bool built_with_cuda();
int device_count();  // 0 when no driver or no GPU is present
std::string device_name(int index);
// (major, minor) compute capability.
std::pair<int, int> compute_capability(int index);

// Device memory from a caching allocator: freed blocks are kept by size and reused (all work on a device runs on
// one stream, in order, so a block freed on the host is reused only by work queued after the last use). Running
// out of memory frees the cache and retries once, then raises ResourceExhausted naming the allocation.
void* device_alloc(size_t nbytes, int index);
void device_free(void* p, size_t nbytes, int index);
struct MemoryInfo { size_t current = 0, peak = 0; };
MemoryInfo memory_info(int index);
void reset_peak_memory(int index);
// Returns the cached free blocks to the driver.
void empty_cache(int index);

// n bytes from src to dst; an index of -1 means host memory. Returns when dst holds the bytes.
void copy_bytes(void* dst, int dst_index, const void* src, int src_index, size_t n);
// Waits for every kernel queued on the device.
void synchronize(int index);

// TensorFloat-32 for float32 matrix products (on by default on Ampere and later, as in TensorFlow).
void set_tf32(bool enabled);
bool tf32_enabled();

}  // namespace cuda
}  // namespace tapeflow
