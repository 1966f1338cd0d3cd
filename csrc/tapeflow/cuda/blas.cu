// Matrix products on the GPU through cuBLAS, loaded at run time (dlopen), so that one build serves machines with
// and without the NVIDIA libraries: where libcublas cannot be loaded, the products run through the CPU fallback of
// the kernel table. Only the few cuBLAS entry points used here are declared (cuBLAS's C ABI, values as its
// headers give them); no cuBLAS header is needed to build.
//
// Row-major operands are handed to column-major cuBLAS as their transposes: C = op(A) op(B) is computed as
// C^T = op(B)^T op(A)^T, and a row-major X with unit column stride is the column-major X^T with ld = its row
// stride. Views with neither stride 1 are copied first.
#include <dlfcn.h>
#include <library_types.h>

#include <cstdlib>
#include <mutex>
#include <sstream>
#include <string>

#include "tapeflow/core/dispatch.h"
#include "tapeflow/cuda/common.cuh"
#include "tapeflow/cuda/cuda_api.h"
#include "tapeflow/cuda/kernels.h"

namespace tapeflow {
namespace cuda {

namespace {

using Handle = void*;
using Status = int;
constexpr int kOpN = 0, kOpT = 1;
constexpr int kCompute32F = 68, kCompute32FFastTF32 = 77, kCompute64F = 70;
constexpr int kGemmDefault = -1;

struct Cublas {
  Status (*create)(Handle*) = nullptr;
  Status (*set_stream)(Handle, cudaStream_t) = nullptr;
  Status (*gemm)(Handle, int, int, int, int, int, const void*, const void*, cudaDataType, int, long long,
                 const void*, cudaDataType, int, long long, const void*, void*, cudaDataType, int, long long, int, int,
                 int) = nullptr;
  Handle handle = nullptr;
  bool ok = false;
};

void* open_cublas() {
  const char* names[] = {"libcublas.so.13", "libcublas.so.12", "libcublas.so"};
  for (const char* n : names)
    if (void* h = dlopen(n, RTLD_NOW | RTLD_GLOBAL)) return h;
  // Directories Python found (the nvidia-cublas wheel's lib folder; tapeflow/_cuda.py).
  if (const char* dirs = std::getenv("TAPEFLOW_CUDA_LIBRARY_PATH")) {
    std::stringstream ss(dirs);
    std::string dir;
    while (std::getline(ss, dir, ':'))
      for (const char* n : names)
        if (void* h = dlopen((dir + "/" + n).c_str(), RTLD_NOW | RTLD_GLOBAL)) return h;
  }
  return nullptr;
}

Cublas& cublas(int index) {
  static std::mutex mu;
  static Cublas* c = nullptr;
  std::lock_guard<std::mutex> lock(mu);
  if (!c) {
    c = new Cublas();
    if (void* lib = open_cublas()) {
      c->create = reinterpret_cast<decltype(c->create)>(dlsym(lib, "cublasCreate_v2"));
      c->set_stream = reinterpret_cast<decltype(c->set_stream)>(dlsym(lib, "cublasSetStream_v2"));
      c->gemm = reinterpret_cast<decltype(c->gemm)>(dlsym(lib, "cublasGemmStridedBatchedEx"));
      if (c->create && c->set_stream && c->gemm && c->create(&c->handle) == 0 &&
          c->set_stream(c->handle, stream(index)) == 0)
        c->ok = true;
    }
  }
  return *c;
}

// A rank-3 view (B, r, c) as column-major storage for cuBLAS: `held_t` when the storage is X^T (unit column stride).
struct ColMajor {
  bool held_t;
  int64_t ld, batch_stride;
};
bool as_col_major(const Tensor& x, ColMajor* cm) {
  const int64_t r = x.dim(1), c = x.dim(2), rs = x.strides()[1], cs = x.strides()[2];
  if (cs == 1 || c == 1) {
    *cm = {true, r == 1 ? std::max<int64_t>(c, 1) : std::max<int64_t>(rs, std::max<int64_t>(c, 1)), x.strides()[0]};
    return rs >= c || r == 1;
  }
  if (rs == 1 || r == 1) {
    *cm = {false, std::max<int64_t>(cs, std::max<int64_t>(r, 1)), x.strides()[0]};
    return cs >= r || c == 1;
  }
  return false;
}

}  // namespace

namespace {
// out = op(a) op(b) + beta out, batched over axis 0 of the rank-3 views.
bool product(const Tensor& a0, const Tensor& b0, bool ta, bool tb, const Tensor& out, double beta) {
  const DType dt = out.dtype();
  if (dt != DType::Float32 && dt != DType::Float64) return false;
  Cublas& cb = cublas(out.device().index);
  if (!cb.ok) return false;
  const int64_t B = out.dim(0), M = out.dim(1), N = out.dim(2), K = ta ? a0.dim(1) : a0.dim(2);
  if (B == 0 || M == 0 || N == 0) return true;
  Tensor a = a0, b = b0;
  ColMajor ca, cbm;
  if (!as_col_major(a, &ca)) { a = a0.contiguous(); as_col_major(a, &ca); }
  if (!as_col_major(b, &cbm)) { b = b0.contiguous(); as_col_major(b, &cbm); }
  if (K == 0) {
    if (beta == 0.0) kern::fill_scalar(out, 0.0);
    return true;
  }
  // C^T (N x M) = op(B)^T (N x K) . op(A)^T (K x M): each needs the transpose of op(X); cuBLAS transposes what it
  // is given when that differs from what is held.
  const int opb = ((!tb) == cbm.held_t) ? kOpN : kOpT, opa = ((!ta) == ca.held_t) ? kOpN : kOpT;
  const double one = 1.0, zero = beta;
  const float onef = 1.f, zerof = static_cast<float>(beta);
  const bool f32 = dt == DType::Float32;
  const cudaDataType ty = f32 ? CUDA_R_32F : CUDA_R_64F;
  const int compute = f32 ? (tf32_enabled() ? kCompute32FFastTF32 : kCompute32F) : kCompute64F;
  cb.set_stream(cb.handle, stream_of(out));
  const Status s = cb.gemm(cb.handle, opb, opa, static_cast<int>(N), static_cast<int>(M), static_cast<int>(K),
                           f32 ? static_cast<const void*>(&onef) : &one, b.raw_data(), ty, static_cast<int>(cbm.ld),
                           cbm.batch_stride, a.raw_data(), ty, static_cast<int>(ca.ld), ca.batch_stride,
                           f32 ? static_cast<const void*>(&zerof) : &zero, out.raw_data(), ty, static_cast<int>(N),
                           M * N, static_cast<int>(B), compute, kGemmDefault);
  if (s != 0) throw RuntimeError("[matmul] cuBLAS error " + std::to_string(s));
  return true;
}
}  // namespace

bool matmul(const Tensor& a, const Tensor& b, bool ta, bool tb, const Tensor& out) {
  return product(a, b, ta, tb, out, 0.0);
}

bool gemm(const Tensor& a, bool ta, const Tensor& b, bool tb, const Tensor& out, bool accumulate, const Tensor& bias,
          cpu::Act act) {
  const int64_t M = out.dim(0), N = out.dim(1);
  const Tensor a3 = a.as_strided({1, a.dim(0), a.dim(1)}, {0, a.strides()[0], a.strides()[1]}, a.offset());
  const Tensor b3 = b.as_strided({1, b.dim(0), b.dim(1)}, {0, b.strides()[0], b.strides()[1]}, b.offset());
  const Tensor o3 = out.as_strided({1, M, N}, {M * N, N, 1}, out.offset());
  if (!product(a3, b3, ta, tb, o3, accumulate ? 1.0 : 0.0)) return false;
  return bias_act(out, bias, act);
}

}  // namespace cuda
}  // namespace tapeflow
