// CUDA runtime queries and allocation for the device layer. Kernels arrive in a
// later change; this file lets a CUDA build discover GPUs and hold memory on them.
#include <cuda_runtime.h>

#include <string>

#include "tapeflow/core/error.h"
#include "tapeflow/cuda/cuda_api.h"

namespace tapeflow {
namespace cuda {

static void check(cudaError_t e, const char* what) {
  if (e != cudaSuccess) throw RuntimeError(std::string("[device] ") + what + ": " + cudaGetErrorString(e));
}

bool built_with_cuda() { return true; }

int device_count() {
  int n = 0;
  if (cudaGetDeviceCount(&n) != cudaSuccess) { cudaGetLastError(); return 0; }
  return n;
}

std::string device_name(int index) {
  cudaDeviceProp p;
  check(cudaGetDeviceProperties(&p, index), "cudaGetDeviceProperties");
  return p.name;
}

void* device_alloc(size_t nbytes, int index) {
  if (index < 0 || index >= device_count())
    throw RuntimeError("[device] GPU:" + std::to_string(index) + " does not exist (" + std::to_string(device_count()) + " GPUs visible)");
  check(cudaSetDevice(index), "cudaSetDevice");
  void* p = nullptr;
  check(cudaMalloc(&p, nbytes ? nbytes : 1), "cudaMalloc");
  return p;
}

void device_free(void* p, int index) {
  if (!p) return;
  cudaSetDevice(index);
  cudaFree(p);
}

}  // namespace cuda
}  // namespace tapeflow
