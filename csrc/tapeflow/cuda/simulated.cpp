#include "tapeflow/cuda/simulated.h"

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>

#include "tapeflow/core/error.h"

namespace tapeflow {
namespace cuda {
namespace sim {
namespace {

constexpr uintptr_t kPoison = uintptr_t(1) << 62;  // host address + kPoison is not canonical on x86-64 or aarch64

struct Stats {
  std::mutex mu;
  size_t in_use = 0, peak = 0;
};
Stats& stats() {
  static Stats* s = new Stats();
  return *s;
}

void* host(const void* p, int index) {
  return index < 0 ? const_cast<void*>(p) : reinterpret_cast<void*>(reinterpret_cast<uintptr_t>(p) - kPoison);
}

}  // namespace

bool enabled() {
  static const bool on = [] {
    const char* v = std::getenv("TAPEFLOW_SIMULATE_GPU");
    return v && std::string(v) == "1";
  }();
  return on;
}

void* alloc(size_t nbytes) {
  void* p = std::malloc(nbytes ? nbytes : 1);
  if (!p)
    throw ResourceExhausted("[device] OOM when allocating a tensor of " + std::to_string(nbytes) +
                            " bytes on GPU:0 (simulated: host memory)");
  Stats& s = stats();
  std::lock_guard<std::mutex> lock(s.mu);
  s.in_use += nbytes;
  if (s.in_use > s.peak) s.peak = s.in_use;
  return reinterpret_cast<void*>(reinterpret_cast<uintptr_t>(p) + kPoison);
}

void free(void* p, size_t nbytes) {
  if (!p) return;
  std::free(host(p, 0));
  Stats& s = stats();
  std::lock_guard<std::mutex> lock(s.mu);
  s.in_use -= nbytes;
}

void copy(void* dst, int dst_index, const void* src, int src_index, size_t n) {
  if (n) std::memmove(host(dst, dst_index), host(src, src_index), n);
}

MemoryInfo memory_info() {
  Stats& s = stats();
  std::lock_guard<std::mutex> lock(s.mu);
  return {s.in_use, s.peak};
}

void reset_peak() {
  Stats& s = stats();
  std::lock_guard<std::mutex> lock(s.mu);
  s.peak = s.in_use;
}

}  // namespace sim
}  // namespace cuda
}  // namespace tapeflow
