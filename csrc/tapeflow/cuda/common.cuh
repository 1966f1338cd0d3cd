// Shared by the CUDA kernel files: error checks, the device's stream, launch sizes and strided indexing.
#pragma once
#include <cuda_runtime.h>

#include <cstdint>
#include <string>

#include "tapeflow/core/error.h"
#include "tapeflow/core/tensor.h"

namespace tapeflow {
namespace cuda {

inline void check(cudaError_t e, const char* what) {
  if (e != cudaSuccess) throw RuntimeError(std::string("[") + what + "] CUDA error: " + cudaGetErrorString(e));
}
// After a launch: a bad configuration shows here, a fault in the kernel at the next synchronizing call.
inline void check_launch(const char* what) { check(cudaGetLastError(), what); }

// The stream all of a device's work runs on (made current for the calling thread).
cudaStream_t stream(int index);
inline cudaStream_t stream_of(const Tensor& t) { return stream(t.device().index); }

constexpr int kThreads = 256;
inline unsigned blocks_for(int64_t n, int threads = kThreads) {
  int64_t b = (n + threads - 1) / threads;
  return static_cast<unsigned>(b < 1 ? 1 : (b > 65535 * 32 ? 65535 * 32 : b));
}

// Up to kMaxDims axes of a strided view, for kernels that walk a tensor in its logical (row-major) order.
constexpr int kMaxDims = 8;
struct Indexer {
  int ndim = 0;
  int64_t shape[kMaxDims];
  int64_t strides[kMaxDims];
  bool contiguous = true;
  // Element offset (from the view's start) of the i-th element in row-major order.
  __host__ __device__ int64_t offset(int64_t i) const {
    if (contiguous) return i;
    int64_t off = 0;
    for (int d = ndim - 1; d >= 0; --d) {
      const int64_t q = i / shape[d];
      off += (i - q * shape[d]) * strides[d];
      i = q;
    }
    return off;
  }
};
// Whether t has at most kMaxDims axes (else callers use the host fallback).
inline bool indexable(const Tensor& t) { return t.ndim() <= kMaxDims; }
inline Indexer indexer(const Tensor& t) {
  Indexer ix;
  ix.ndim = static_cast<int>(t.ndim());
  ix.contiguous = t.is_contiguous();
  for (int d = 0; d < ix.ndim; ++d) { ix.shape[d] = t.dim(d); ix.strides[d] = t.strides()[d]; }
  return ix;
}

// Grid-stride loop over [0, n).
#define TF_CUDA_LOOP(i, n) \
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < (n); i += int64_t(blockDim.x) * gridDim.x)

}  // namespace cuda
}  // namespace tapeflow
