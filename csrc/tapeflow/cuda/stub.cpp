// CUDA entry points for builds without the CUDA toolkit (TAPEFLOW_CUDA=OFF or none found): no GPU exists.
#include <utility>

#include "tapeflow/core/error.h"
#include "tapeflow/cuda/cuda_api.h"
#include "tapeflow/cuda/simulated.h"

namespace tapeflow {
namespace cuda {
namespace {
[[noreturn]] void no_cuda() {
  throw RuntimeError("[device] tapeflow was built without CUDA (TAPEFLOW_CUDA=OFF or no toolkit found); no GPU is available");
}
bool g_tf32 = true;
}  // namespace

bool built_with_cuda() { return false; }
int device_count() { return sim::enabled() ? 1 : 0; }
std::string device_name(int) { return sim::enabled() ? "simulated GPU (host memory)" : ""; }
std::pair<int, int> compute_capability(int) { return {0, 0}; }
void* device_alloc(size_t n, int) {
  if (sim::enabled()) return sim::alloc(n);
  no_cuda();
}
void device_free(void* p, size_t n, int) {
  if (sim::enabled()) sim::free(p, n);
}
MemoryInfo memory_info(int) {
  if (sim::enabled()) return sim::memory_info();
  no_cuda();
}
void reset_peak_memory(int) {
  if (sim::enabled()) return sim::reset_peak();
  no_cuda();
}
void empty_cache(int) {}
void copy_bytes(void* dst, int di, const void* src, int si, size_t n) {
  if (sim::enabled()) return sim::copy(dst, di, src, si, n);
  no_cuda();
}
void synchronize(int) {}
void set_tf32(bool enabled) { g_tf32 = enabled; }
bool tf32_enabled() { return g_tf32; }

}  // namespace cuda
}  // namespace tapeflow
