// Fused batch normalization over x viewed as (outer, C, inner), contiguous: per-channel statistics over the
// outer and inner axes. Channel sums are taken in double over a fixed split of the outer axis (kChunks
// pieces, added in order), so the results do not depend on the thread count.
#include <algorithm>
#include <cmath>
#include <vector>

#include "tapeflow/core/threadpool.h"
#include "tapeflow/cpu/kernels.h"

namespace tapeflow {
namespace cpu {
namespace {

constexpr int64_t kChunks = 32;

// K sums per channel: f(o, c, acc) adds row (o, c)'s terms to acc[0..K); the outer axis is split into fixed
// chunks summed in parallel, then the chunks are added in order.
template <int K, class F>
std::vector<double> channel_sums(int64_t outer, int64_t C, F f) {
  const int64_t chunks = std::max<int64_t>(1, std::min(kChunks, outer));
  std::vector<double> part(chunks * C * K, 0.0);
  parallel_for(chunks, 1, [&](int64_t lo, int64_t hi) {
    for (int64_t ch = lo; ch < hi; ++ch) {
      double* p = part.data() + ch * C * K;
      const int64_t o0 = outer * ch / chunks, o1 = outer * (ch + 1) / chunks;
      for (int64_t o = o0; o < o1; ++o)
        for (int64_t c = 0; c < C; ++c) f(o, c, p + c * K);
    }
  });
  std::vector<double> out(C * K, 0.0);
  for (int64_t ch = 0; ch < chunks; ++ch)
    for (int64_t j = 0; j < C * K; ++j) out[j] += part[ch * C * K + j];
  return out;
}

template <class T>
void forward_t(const T* x, const T* gamma, const T* beta, int64_t outer, int64_t C, int64_t inner, double eps, T* y,
               T* mean_out, T* var_out) {
  const double n = static_cast<double>(outer * inner);
  const std::vector<double> sum = channel_sums<1>(outer, C, [&](int64_t o, int64_t c, double* acc) {
    const T* row = x + (o * C + c) * inner;
    double s = 0;
    for (int64_t i = 0; i < inner; ++i) s += row[i];
    acc[0] += s;
  });
  std::vector<T> mean(C);
  for (int64_t c = 0; c < C; ++c) mean[c] = n > 0 ? static_cast<T>(sum[c] / n) : T(0);
  const std::vector<double> sq = channel_sums<1>(outer, C, [&](int64_t o, int64_t c, double* acc) {
    const T* row = x + (o * C + c) * inner;
    double s = 0;
    for (int64_t i = 0; i < inner; ++i) {
      const double d = static_cast<double>(row[i]) - mean[c];
      s += d * d;
    }
    acc[0] += s;
  });
  std::vector<T> scale(C), shift(C);
  for (int64_t c = 0; c < C; ++c) {
    const T var = n > 0 ? static_cast<T>(sq[c] / n) : T(0);
    mean_out[c] = mean[c];
    var_out[c] = var;
    const T inv = T(1) / std::sqrt(var + static_cast<T>(eps));
    scale[c] = gamma ? inv * gamma[c] : inv;
    shift[c] = (beta ? beta[c] : T(0)) - mean[c] * scale[c];
  }
  parallel_for(outer, std::max<int64_t>(1, 16384 / std::max<int64_t>(1, C * inner)), [&](int64_t lo, int64_t hi) {
    for (int64_t o = lo; o < hi; ++o)
      for (int64_t c = 0; c < C; ++c) {
        const T* xr = x + (o * C + c) * inner;
        T* yr = y + (o * C + c) * inner;
        const T a = scale[c], b = shift[c];
        for (int64_t i = 0; i < inner; ++i) yr[i] = xr[i] * a + b;
      }
  });
}

template <class T>
void backward_t(const T* x, const T* gamma, const T* mean, const T* var, const T* dy, const T* dmean, const T* dvar,
                int64_t outer, int64_t C, int64_t inner, double eps, T* dx, T* dgamma, T* dbeta) {
  const double n = static_cast<double>(outer * inner);
  std::vector<T> inv(C);
  for (int64_t c = 0; c < C; ++c) inv[c] = T(1) / std::sqrt(var[c] + static_cast<T>(eps));
  // per channel: sum dy, sum dy * xhat
  const std::vector<double> sums = channel_sums<2>(outer, C, [&](int64_t o, int64_t c, double* acc) {
    const T* xr = x + (o * C + c) * inner;
    const T* gr = dy + (o * C + c) * inner;
    double s = 0, sx = 0;
    for (int64_t i = 0; i < inner; ++i) {
      s += gr[i];
      sx += static_cast<double>(gr[i]) * ((xr[i] - mean[c]) * inv[c]);
    }
    acc[0] += s;
    acc[1] += sx;
  });
  // dx = gamma * inv * (dy - sum(dy) / n - xhat * sum(dy * xhat) / n) + dmean / n + dvar * 2 (x - mean) / n
  std::vector<T> a(C), b(C), k(C);
  for (int64_t c = 0; c < C; ++c) {
    const T g = gamma ? gamma[c] : T(1);
    dbeta[c] = static_cast<T>(sums[2 * c]);
    dgamma[c] = static_cast<T>(sums[2 * c + 1]);
    const T gi = g * inv[c];
    a[c] = gi;  // dx = a dy + b + k (x - mean)
    b[c] = n > 0 ? static_cast<T>(-gi * sums[2 * c] / n + (dmean ? dmean[c] / n : 0.0)) : T(0);
    k[c] = n > 0 ? static_cast<T>(-gi * inv[c] * sums[2 * c + 1] / n + (dvar ? 2.0 * dvar[c] / n : 0.0)) : T(0);
  }
  parallel_for(outer, std::max<int64_t>(1, 16384 / std::max<int64_t>(1, C * inner)), [&](int64_t lo, int64_t hi) {
    for (int64_t o = lo; o < hi; ++o)
      for (int64_t c = 0; c < C; ++c) {
        const int64_t off = (o * C + c) * inner;
        for (int64_t i = 0; i < inner; ++i) dx[off + i] = dy[off + i] * a[c] + b[c] + (x[off + i] - mean[c]) * k[c];
      }
  });
}

template <class T>
const T* opt(const Tensor& t) { return t.defined() ? t.data<T>() : nullptr; }

}  // namespace

void batch_norm_forward(const Tensor& x, const Tensor& gamma, const Tensor& beta, int64_t outer, int64_t C,
                        int64_t inner, double eps, const Tensor& y, const Tensor& mean, const Tensor& var) {
  if (x.dtype() == DType::Float32)
    forward_t<float>(x.data<float>(), opt<float>(gamma), opt<float>(beta), outer, C, inner, eps, y.data<float>(),
                     mean.data<float>(), var.data<float>());
  else
    forward_t<double>(x.data<double>(), opt<double>(gamma), opt<double>(beta), outer, C, inner, eps,
                      y.data<double>(), mean.data<double>(), var.data<double>());
}

void batch_norm_backward(const Tensor& x, const Tensor& gamma, const Tensor& mean, const Tensor& var, const Tensor& dy,
                         const Tensor& dmean, const Tensor& dvar, int64_t outer, int64_t C, int64_t inner, double eps,
                         const Tensor& dx, const Tensor& dgamma, const Tensor& dbeta) {
  if (x.dtype() == DType::Float32)
    backward_t<float>(x.data<float>(), opt<float>(gamma), mean.data<float>(), var.data<float>(), dy.data<float>(),
                      opt<float>(dmean), opt<float>(dvar), outer, C, inner, eps, dx.data<float>(), dgamma.data<float>(),
                      dbeta.data<float>());
  else
    backward_t<double>(x.data<double>(), opt<double>(gamma), mean.data<double>(), var.data<double>(),
                       dy.data<double>(), opt<double>(dmean), opt<double>(dvar), outer, C, inner, eps,
                       dx.data<double>(), dgamma.data<double>(), dbeta.data<double>());
}

}  // namespace cpu
}  // namespace tapeflow
