// CUDA entry points for builds without the CUDA toolkit (TAPEFLOW_CUDA=OFF or none found): no GPU exists.
#include <utility>

#include "tapeflow/core/error.h"
#include "tapeflow/cuda/cuda_api.h"

namespace tapeflow {
namespace cuda {
namespace {
[[noreturn]] void no_cuda() {
  throw RuntimeError("[device] tapeflow was built without CUDA (TAPEFLOW_CUDA=OFF or no toolkit found); no GPU is available");
}
bool g_tf32 = true;
}  // namespace

bool built_with_cuda() { return false; }
int device_count() { return 0; }
std::string device_name(int) { return ""; }
std::pair<int, int> compute_capability(int) { return {0, 0}; }
void* device_alloc(size_t, int) { no_cuda(); }
void device_free(void*, size_t, int) {}
MemoryInfo memory_info(int) { no_cuda(); }
void reset_peak_memory(int) { no_cuda(); }
void empty_cache(int) {}
void copy_bytes(void*, int, const void*, int, size_t) { no_cuda(); }
void synchronize(int) {}
void set_tf32(bool enabled) { g_tf32 = enabled; }
bool tf32_enabled() { return g_tf32; }

}  // namespace cuda
}  // namespace tapeflow
