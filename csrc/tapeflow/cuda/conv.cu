// Sliding-window CUDA kernels on NHWC tensors, the counterparts of cpu/conv.cpp: im2col / col2im (convolution is
// them plus a cuBLAS product) and 2-D max / average pooling with their gradients.
//
// The gradients are written gather-style: one thread per input element sums what every window covering it sends
// back, in a fixed tap order, so they need no atomics and give the same bits run to run. That costs a loop over
// the KH x KW taps per input element; windows of more than kMaxTaps taps (valid, but only ever mostly padding) go
// to the host fallback.
#include <cstdint>
#include <limits>

#include "tapeflow/cuda/common.cuh"
#include "tapeflow/cuda/kernels.h"

namespace tapeflow {
namespace cuda {

using cpu::Window2D;

namespace {

constexpr int64_t kMaxTaps = 4096;

// The taps [lo, hi) of a window starting at `first`, K taps `d` apart, that land inside an axis of `size`.
__device__ inline void inside_taps(int64_t first, int64_t K, int64_t d, int64_t size, int64_t& lo, int64_t& hi) {
  lo = first >= 0 ? 0 : (-first + d - 1) / d;
  hi = first >= size ? 0 : min(K, (size - 1 - first) / d + 1);
  if (hi < lo) hi = lo;
}

template <class T> __global__ void im2col_kernel(const T* x, T* cols, Window2D w, int64_t n) {
  const int64_t K = w.KH * w.KW * w.C;
  TF_CUDA_LOOP(e, n) {
    const int64_t r = e / K, k = e % K;
    const int64_t tap = k / w.C, c = k % w.C, kh = tap / w.KW, kw = tap % w.KW;
    const int64_t b = r / (w.OH * w.OW), oh = r / w.OW % w.OH, ow = r % w.OW;
    const int64_t ih = oh * w.sh - w.pt + kh * w.dh, iw = ow * w.sw - w.pl + kw * w.dw;
    cols[e] = (ih >= 0 && ih < w.H && iw >= 0 && iw < w.W) ? x[((b * w.H + ih) * w.W + iw) * w.C + c] : T(0);
  }
}

// For input position i along an axis: the output position o whose tap k lands on it, if any.
__device__ inline bool window_of(int64_t i, int64_t k, int64_t stride, int64_t pad, int64_t dil, int64_t OUT,
                                 int64_t& o) {
  const int64_t t = i + pad - k * dil;
  if (t < 0 || t % stride) return false;
  o = t / stride;
  return o < OUT;
}

// mode 0: col2im (dx += cols); 1: max-pool gradient (g where the window chose this tap); 2: average-pool gradient.
template <class T, int MODE>
__global__ void window_grad_kernel(const T* src, const int32_t* arg, T* dx, Window2D w, int64_t n) {
  TF_CUDA_LOOP(e, n) {
    const int64_t c = e % w.C, iw = e / w.C % w.W, ih = e / (w.C * w.W) % w.H, b = e / (w.C * w.W * w.H);
    T acc = 0;
    for (int64_t kh = 0; kh < w.KH; ++kh) {
      int64_t oh;
      if (!window_of(ih, kh, w.sh, w.pt, w.dh, w.OH, oh)) continue;
      for (int64_t kw = 0; kw < w.KW; ++kw) {
        int64_t ow;
        if (!window_of(iw, kw, w.sw, w.pl, w.dw, w.OW, ow)) continue;
        const int64_t o = (b * w.OH + oh) * w.OW + ow;
        const int64_t tap = kh * w.KW + kw;
        if (MODE == 0) {
          acc += src[o * (w.KH * w.KW * w.C) + tap * w.C + c];
        } else if (MODE == 1) {
          if (arg[o * w.C + c] == tap) acc += src[o * w.C + c];
        } else {
          int64_t h0, h1, w0, w1;
          inside_taps(oh * w.sh - w.pt, w.KH, w.dh, w.H, h0, h1);
          inside_taps(ow * w.sw - w.pl, w.KW, w.dw, w.W, w0, w1);
          acc += src[o * w.C + c] * (T(1) / T((h1 - h0) * (w1 - w0)));
        }
      }
    }
    dx[e] += acc;
  }
}

template <class T> __global__ void pool_kernel(const T* x, T* out, int32_t* arg, Window2D w, int64_t n, bool max_) {
  TF_CUDA_LOOP(e, n) {
    const int64_t c = e % w.C, ow = e / w.C % w.OW, oh = e / (w.C * w.OW) % w.OH, b = e / (w.C * w.OW * w.OH);
    const int64_t ih0 = oh * w.sh - w.pt, iw0 = ow * w.sw - w.pl;
    int64_t h0, h1, w0, w1;
    inside_taps(ih0, w.KH, w.dh, w.H, h0, h1);
    inside_taps(iw0, w.KW, w.dw, w.W, w0, w1);
    T best = -std::numeric_limits<T>::infinity(), sum = 0;
    int32_t at = -1;
    for (int64_t kh = h0; kh < h1; ++kh)
      for (int64_t kw = w0; kw < w1; ++kw) {
        const T v = x[((b * w.H + ih0 + kh * w.dh) * w.W + iw0 + kw * w.dw) * w.C + c];
        if (max_) {
          if (v > best || (v != v && best == best)) { best = v; at = static_cast<int32_t>(kh * w.KW + kw); }
        } else {
          sum += v;
        }
      }
    if (max_) {
      out[e] = best;
      arg[e] = at;
    } else {
      const int64_t count = (h1 - h0) * (w1 - w0);
      out[e] = count ? sum * (T(1) / T(count)) : T(0);
    }
  }
}

bool is_float(const Tensor& t) { return t.dtype() == DType::Float32 || t.dtype() == DType::Float64; }

template <int MODE> bool window_grad(const Tensor& src, const Tensor& arg, const Window2D& w, const Tensor& dx) {
  if (!is_float(dx) || w.KH * w.KW > kMaxTaps) return false;
  const int64_t n = dx.numel();
  if (n == 0) return true;
  const int32_t* a = arg.defined() ? arg.data<int32_t>() : nullptr;
  if (dx.dtype() == DType::Float32)
    window_grad_kernel<float, MODE><<<blocks_for(n), kThreads, 0, stream_of(dx)>>>(src.data<float>(), a, dx.data<float>(), w, n);
  else
    window_grad_kernel<double, MODE><<<blocks_for(n), kThreads, 0, stream_of(dx)>>>(src.data<double>(), a, dx.data<double>(), w, n);
  check_launch("window_grad");
  return true;
}

bool pool(const Tensor& x, const Window2D& w, const Tensor& out, const Tensor& arg, bool max_) {
  if (!is_float(x)) return false;
  const int64_t n = out.numel();
  if (n == 0) return true;
  int32_t* a = arg.defined() ? arg.data<int32_t>() : nullptr;
  if (x.dtype() == DType::Float32)
    pool_kernel<float><<<blocks_for(n), kThreads, 0, stream_of(out)>>>(x.data<float>(), out.data<float>(), a, w, n, max_);
  else
    pool_kernel<double><<<blocks_for(n), kThreads, 0, stream_of(out)>>>(x.data<double>(), out.data<double>(), a, w, n, max_);
  check_launch("pool2d");
  return true;
}

}  // namespace

bool im2col(const Tensor& x, const Window2D& w, const Tensor& cols) {
  if (!is_float(x)) return false;
  const int64_t n = cols.numel();
  if (n == 0) return true;
  if (x.dtype() == DType::Float32)
    im2col_kernel<float><<<blocks_for(n), kThreads, 0, stream_of(cols)>>>(x.data<float>(), cols.data<float>(), w, n);
  else
    im2col_kernel<double><<<blocks_for(n), kThreads, 0, stream_of(cols)>>>(x.data<double>(), cols.data<double>(), w, n);
  check_launch("im2col");
  return true;
}

bool col2im(const Tensor& cols, const Window2D& w, const Tensor& dx) { return window_grad<0>(cols, Tensor(), w, dx); }
bool max_pool2d(const Tensor& x, const Window2D& w, const Tensor& out, const Tensor& argmax) {
  return pool(x, w, out, argmax, true);
}
bool max_pool2d_grad(const Tensor& argmax, const Tensor& g, const Window2D& w, const Tensor& dx) {
  return window_grad<1>(g, argmax, w, dx);
}
bool avg_pool2d(const Tensor& x, const Window2D& w, const Tensor& out) { return pool(x, w, out, Tensor(), false); }
bool avg_pool2d_grad(const Tensor& g, const Window2D& w, const Tensor& dx) { return window_grad<2>(g, Tensor(), w, dx); }

}  // namespace cuda
}  // namespace tapeflow
