// CUDA runtime for the device layer: discovery, one stream per device, the caching allocator, copies and
// memory statistics.
#include <cuda_runtime.h>

#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "tapeflow/cuda/common.cuh"
#include "tapeflow/cuda/cuda_api.h"
#include "tapeflow/cuda/simulated.h"

namespace tapeflow {
namespace cuda {

namespace {

// Blocks are rounded to 512 bytes, and above 1 MiB to whole MiB, so that a step that allocates the same sizes again
// finds them in the cache.
size_t round_size(size_t n) {
  if (n == 0) n = 1;
  const size_t g = n >= (size_t(1) << 20) ? (size_t(1) << 20) : 512;
  return (n + g - 1) / g * g;
}

struct DeviceState {
  std::mutex mu;
  cudaStream_t stream = nullptr;
  std::unordered_multimap<size_t, void*> free_blocks;
  size_t cached = 0, in_use = 0, peak = 0;
};

DeviceState& state(int index) {
  static std::mutex mu;
  static std::vector<DeviceState*>* states = new std::vector<DeviceState*>();  // never destroyed (static order)
  std::lock_guard<std::mutex> lock(mu);
  if (index < 0 || index >= device_count())
    throw RuntimeError("[device] GPU:" + std::to_string(index) + " does not exist (" + std::to_string(device_count()) +
                       " GPUs visible)");
  if (states->size() <= static_cast<size_t>(index)) states->resize(index + 1, nullptr);
  if (!(*states)[index]) (*states)[index] = new DeviceState();
  return *(*states)[index];
}

void release_cache(DeviceState& s) {  // s.mu held
  for (auto& kv : s.free_blocks) cudaFree(kv.second);
  s.free_blocks.clear();
  s.cached = 0;
}

bool g_tf32 = true;

}  // namespace

bool built_with_cuda() { return true; }

int device_count() {
  static const int n = [] {
    if (sim::enabled()) return 1;
    int c = 0;
    if (cudaGetDeviceCount(&c) != cudaSuccess) { cudaGetLastError(); return 0; }
    return c;
  }();
  return n;
}

std::string device_name(int index) {
  if (sim::enabled()) return "simulated GPU (host memory)";
  cudaDeviceProp p;
  check(cudaGetDeviceProperties(&p, index), "device");
  return p.name;
}

std::pair<int, int> compute_capability(int index) {
  if (sim::enabled()) return {0, 0};
  cudaDeviceProp p;
  check(cudaGetDeviceProperties(&p, index), "device");
  return {p.major, p.minor};
}

cudaStream_t stream(int index) {
  DeviceState& s = state(index);
  check(cudaSetDevice(index), "device");
  std::lock_guard<std::mutex> lock(s.mu);
  if (!s.stream) check(cudaStreamCreateWithFlags(&s.stream, cudaStreamNonBlocking), "device");
  return s.stream;
}

void* device_alloc(size_t nbytes, int index) {
  if (sim::enabled()) return sim::alloc(nbytes);
  DeviceState& s = state(index);
  const size_t size = round_size(nbytes);
  check(cudaSetDevice(index), "device");
  std::lock_guard<std::mutex> lock(s.mu);
  void* p = nullptr;
  auto it = s.free_blocks.find(size);
  if (it != s.free_blocks.end()) {
    p = it->second;
    s.free_blocks.erase(it);
    s.cached -= size;
  } else {
    cudaError_t e = cudaMalloc(&p, size);
    if (e == cudaErrorMemoryAllocation && s.cached) {
      cudaGetLastError();
      if (s.stream) cudaStreamSynchronize(s.stream);
      release_cache(s);
      e = cudaMalloc(&p, size);
    }
    if (e != cudaSuccess) {
      cudaGetLastError();
      if (e == cudaErrorMemoryAllocation)
        throw ResourceExhausted("[device] OOM when allocating a tensor of " + std::to_string(nbytes) + " bytes on GPU:" +
                                std::to_string(index) + " (" + std::to_string(s.in_use) + " bytes in use)");
      check(e, "device");
    }
  }
  s.in_use += size;
  if (s.in_use > s.peak) s.peak = s.in_use;
  return p;
}

void device_free(void* p, size_t nbytes, int index) {
  if (!p) return;
  if (sim::enabled()) return sim::free(p, nbytes);
  DeviceState& s = state(index);
  const size_t size = round_size(nbytes);
  std::lock_guard<std::mutex> lock(s.mu);
  s.in_use -= size;
  s.free_blocks.emplace(size, p);
  s.cached += size;
}

MemoryInfo memory_info(int index) {
  if (sim::enabled()) return sim::memory_info();
  DeviceState& s = state(index);
  std::lock_guard<std::mutex> lock(s.mu);
  return {s.in_use, s.peak};
}

void reset_peak_memory(int index) {
  if (sim::enabled()) return sim::reset_peak();
  DeviceState& s = state(index);
  std::lock_guard<std::mutex> lock(s.mu);
  s.peak = s.in_use;
}

void empty_cache(int index) {
  if (sim::enabled()) return;
  DeviceState& s = state(index);
  std::lock_guard<std::mutex> lock(s.mu);
  if (s.stream) cudaStreamSynchronize(s.stream);
  release_cache(s);
}

void copy_bytes(void* dst, int dst_index, const void* src, int src_index, size_t n) {
  if (n == 0) return;
  if (sim::enabled()) return sim::copy(dst, dst_index, src, src_index, n);
  const int index = dst_index >= 0 ? dst_index : src_index;
  cudaStream_t st = stream(index);
  if (dst_index >= 0 && src_index >= 0 && dst_index != src_index) {
    synchronize(src_index);
    check(cudaMemcpyPeerAsync(dst, dst_index, src, src_index, n, st), "copy");
  } else {
    check(cudaMemcpyAsync(dst, src, n, cudaMemcpyDefault, st), "copy");
  }
  if (dst_index < 0) check(cudaStreamSynchronize(st), "copy");
}

void synchronize(int index) {
  if (sim::enabled()) return;
  check(cudaStreamSynchronize(stream(index)), "synchronize");
}

void set_tf32(bool enabled) { g_tf32 = enabled; }
bool tf32_enabled() { return g_tf32; }

}  // namespace cuda
}  // namespace tapeflow
