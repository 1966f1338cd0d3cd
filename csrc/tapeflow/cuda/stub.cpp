// CUDA entry points for builds without the CUDA toolkit (TAPEFLOW_CUDA=OFF or not found).
#include "tapeflow/core/error.h"
#include "tapeflow/cuda/cuda_api.h"

namespace tapeflow {
namespace cuda {

bool built_with_cuda() { return false; }
int device_count() { return 0; }
std::string device_name(int) { return ""; }
void* device_alloc(size_t, int) {
  throw RuntimeError("[device] tapeflow was built without CUDA (TAPEFLOW_CUDA=OFF or no toolkit found); no GPU is available");
}
void device_free(void*, int) {}

}  // namespace cuda
}  // namespace tapeflow
