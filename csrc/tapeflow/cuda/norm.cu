// Batch normalization on the GPU, the counterpart of cpu/norm.cpp, over contiguous x viewed as (outer, C, inner):
// one block per channel takes the channel's sums in double (a fixed strided split over the block's threads and a
// fixed tree: the same bits every run), then one thread per element applies the result. The arithmetic per
// element follows the CPU kernel's.
#include <cmath>
#include <cstdint>

#include "tapeflow/cuda/common.cuh"
#include "tapeflow/cuda/kernels.h"

namespace tapeflow {
namespace cuda {
namespace {

constexpr int kBlock = 256;

__device__ inline double block_sum(double v, double* shared) {
  shared[threadIdx.x] = v;
  __syncthreads();
  for (int s = kBlock / 2; s > 0; s >>= 1) {
    if (threadIdx.x < s) shared[threadIdx.x] += shared[threadIdx.x + s];
    __syncthreads();
  }
  const double r = shared[0];
  __syncthreads();
  return r;
}

template <class T>
__global__ void bn_stats_kernel(const T* x, int64_t outer, int64_t C, int64_t inner, T* mean_out, T* var_out) {
  __shared__ double shared[kBlock];
  const int64_t c = blockIdx.x, m = outer * inner;
  const double n = static_cast<double>(m);
  double s = 0;
  for (int64_t j = threadIdx.x; j < m; j += kBlock) s += x[((j / inner) * C + c) * inner + j % inner];
  const T mean = n > 0 ? static_cast<T>(block_sum(s, shared) / n) : T(0);
  double q = 0;
  for (int64_t j = threadIdx.x; j < m; j += kBlock) {
    const double d = static_cast<double>(x[((j / inner) * C + c) * inner + j % inner]) - mean;
    q += d * d;
  }
  const double sq = block_sum(q, shared);
  if (threadIdx.x == 0) {
    mean_out[c] = mean;
    var_out[c] = n > 0 ? static_cast<T>(sq / n) : T(0);
  }
}

template <class T>
__global__ void bn_apply_kernel(const T* x, const T* gamma, const T* beta, const T* mean, const T* var, int64_t C,
                                int64_t inner, T eps, T* y, int64_t total) {
  TF_CUDA_LOOP(e, total) {
    const int64_t c = e / inner % C;
    const T inv = T(1) / sqrt(var[c] + eps);
    const T scale = gamma ? inv * gamma[c] : inv;
    const T shift = (beta ? beta[c] : T(0)) - mean[c] * scale;
    y[e] = x[e] * scale + shift;
  }
}

template <class T>
__global__ void bn_grad_stats_kernel(const T* x, const T* mean, const T* var, const T* dy, int64_t outer, int64_t C,
                                     int64_t inner, T eps, double* sums, T* dgamma, T* dbeta) {
  __shared__ double shared[kBlock];
  const int64_t c = blockIdx.x, m = outer * inner;
  const T inv = T(1) / sqrt(var[c] + eps);
  double s = 0, sx = 0;
  for (int64_t j = threadIdx.x; j < m; j += kBlock) {
    const int64_t i = ((j / inner) * C + c) * inner + j % inner;
    s += dy[i];
    sx += static_cast<double>(dy[i]) * ((x[i] - mean[c]) * inv);
  }
  s = block_sum(s, shared);
  sx = block_sum(sx, shared);
  if (threadIdx.x == 0) {
    sums[2 * c] = s;
    sums[2 * c + 1] = sx;
    dbeta[c] = static_cast<T>(s);
    dgamma[c] = static_cast<T>(sx);
  }
}

template <class T>
__global__ void bn_grad_apply_kernel(const T* x, const T* gamma, const T* mean, const T* var, const T* dy,
                                     const T* dmean, const T* dvar, const double* sums, int64_t C, int64_t inner,
                                     double n, T eps, T* dx, int64_t total) {
  TF_CUDA_LOOP(e, total) {
    const int64_t c = e / inner % C;
    const T inv = T(1) / sqrt(var[c] + eps);
    const T gi = (gamma ? gamma[c] : T(1)) * inv;
    const T b = n > 0 ? static_cast<T>(-gi * sums[2 * c] / n + (dmean ? dmean[c] / n : 0.0)) : T(0);
    const T k = n > 0 ? static_cast<T>(-gi * inv * sums[2 * c + 1] / n + (dvar ? 2.0 * dvar[c] / n : 0.0)) : T(0);
    dx[e] = dy[e] * gi + b + (x[e] - mean[c]) * k;
  }
}

template <class T> const T* opt(const Tensor& t) { return t.defined() ? t.data<T>() : nullptr; }

template <class T>
void forward_t(const Tensor& x, const Tensor& gamma, const Tensor& beta, int64_t outer, int64_t C, int64_t inner,
               double eps, const Tensor& y, const Tensor& mean, const Tensor& var) {
  cudaStream_t st = stream_of(x);
  bn_stats_kernel<T><<<static_cast<unsigned>(C), kBlock, 0, st>>>(x.data<T>(), outer, C, inner, mean.data<T>(), var.data<T>());
  const int64_t total = outer * C * inner;
  if (total)
    bn_apply_kernel<T><<<blocks_for(total), kThreads, 0, st>>>(x.data<T>(), opt<T>(gamma), opt<T>(beta), mean.data<T>(),
                                                               var.data<T>(), C, inner, static_cast<T>(eps), y.data<T>(), total);
  check_launch("batch_norm");
}

template <class T>
void backward_t(const Tensor& x, const Tensor& gamma, const Tensor& mean, const Tensor& var, const Tensor& dy,
                const Tensor& dmean, const Tensor& dvar, int64_t outer, int64_t C, int64_t inner, double eps,
                const Tensor& dx, const Tensor& dgamma, const Tensor& dbeta) {
  cudaStream_t st = stream_of(x);
  const Tensor sums = Tensor::empty({2 * C}, DType::Float64, x.device());
  bn_grad_stats_kernel<T><<<static_cast<unsigned>(C), kBlock, 0, st>>>(
      x.data<T>(), mean.data<T>(), var.data<T>(), dy.data<T>(), outer, C, inner, static_cast<T>(eps),
      sums.data<double>(), dgamma.data<T>(), dbeta.data<T>());
  const int64_t total = outer * C * inner;
  if (total)
    bn_grad_apply_kernel<T><<<blocks_for(total), kThreads, 0, st>>>(
        x.data<T>(), opt<T>(gamma), mean.data<T>(), var.data<T>(), dy.data<T>(), opt<T>(dmean), opt<T>(dvar),
        sums.data<double>(), C, inner, static_cast<double>(outer * inner), static_cast<T>(eps), dx.data<T>(), total);
  check_launch("batch_norm_grad");
}

}  // namespace

bool batch_norm_forward(const Tensor& x, const Tensor& gamma, const Tensor& beta, int64_t outer, int64_t C,
                        int64_t inner, double eps, const Tensor& y, const Tensor& mean, const Tensor& var) {
  if (C == 0 || C > 65535 * 32) return C == 0;
  if (x.dtype() == DType::Float32) forward_t<float>(x, gamma, beta, outer, C, inner, eps, y, mean, var);
  else if (x.dtype() == DType::Float64) forward_t<double>(x, gamma, beta, outer, C, inner, eps, y, mean, var);
  else return false;
  return true;
}

bool batch_norm_backward(const Tensor& x, const Tensor& gamma, const Tensor& mean, const Tensor& var, const Tensor& dy,
                         const Tensor& dmean, const Tensor& dvar, int64_t outer, int64_t C, int64_t inner, double eps,
                         const Tensor& dx, const Tensor& dgamma, const Tensor& dbeta) {
  if (C == 0 || C > 65535 * 32) return C == 0;
  if (x.dtype() == DType::Float32)
    backward_t<float>(x, gamma, mean, var, dy, dmean, dvar, outer, C, inner, eps, dx, dgamma, dbeta);
  else if (x.dtype() == DType::Float64)
    backward_t<double>(x, gamma, mean, var, dy, dmean, dvar, outer, C, inner, eps, dx, dgamma, dbeta);
  else
    return false;
  return true;
}

}  // namespace cuda
}  // namespace tapeflow
