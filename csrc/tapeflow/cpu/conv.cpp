// Sliding-window kernels on NHWC tensors: im2col / col2im (convolution lowers to
// them plus GEMM) and 2-D max / average pooling with their gradients.
#include <algorithm>
#include <limits>
#include <utility>
#include <vector>

#include "tapeflow/core/threadpool.h"
#include "tapeflow/cpu/kernels.h"

namespace tapeflow {
namespace cpu {
namespace {

// Rows of the column matrix per parallel task: each row copies KH*KW runs of C values.
int64_t row_grain(const Window2D& w) { return std::max<int64_t>(1, 4096 / std::max<int64_t>(1, w.KH * w.KW * w.C)); }

template <class T>
void im2col_t(const T* x, T* cols, const Window2D& w) {
  const int64_t rows = w.N * w.OH * w.OW, K = w.KH * w.KW * w.C;
  parallel_for(rows, row_grain(w), [&](int64_t lo, int64_t hi) {
    for (int64_t r = lo; r < hi; ++r) {
      const int64_t n = r / (w.OH * w.OW), oh = r / w.OW % w.OH, ow = r % w.OW;
      T* dst = cols + r * K;
      const int64_t iw0 = ow * w.sw - w.pl;
      const bool row_inside = w.dw == 1 && iw0 >= 0 && iw0 + w.KW <= w.W;
      for (int64_t kh = 0; kh < w.KH; ++kh) {
        const int64_t ih = oh * w.sh - w.pt + kh * w.dh;
        if (row_inside && ih >= 0 && ih < w.H) {  // the KW taps of this row are one contiguous run of KW*C values
          const T* src = x + ((n * w.H + ih) * w.W + iw0) * w.C;
          std::copy(src, src + w.KW * w.C, dst);
          dst += w.KW * w.C;
          continue;
        }
        for (int64_t kw = 0; kw < w.KW; ++kw, dst += w.C) {
          const int64_t iw = ow * w.sw - w.pl + kw * w.dw;
          if (ih < 0 || ih >= w.H || iw < 0 || iw >= w.W) {
            std::fill(dst, dst + w.C, T(0));
          } else {
            const T* src = x + ((n * w.H + ih) * w.W + iw) * w.C;
            std::copy(src, src + w.C, dst);
          }
        }
      }
    }
  });
}

// The taps [lo, hi) of a window starting at input position `first` (may be negative), K taps `d` apart, that land
// inside an axis of `size` positions: the loops below visit only those (a huge window over padding costs nothing).
inline std::pair<int64_t, int64_t> inside_taps(int64_t first, int64_t K, int64_t d, int64_t size) {
  const int64_t lo = first >= 0 ? 0 : (-first + d - 1) / d;
  const int64_t hi = first >= size ? 0 : std::min(K, (size - 1 - first) / d + 1);
  return {lo, std::max(lo, hi)};
}

// Calls fn(tap, input_offset) for each window tap (kh * KW + kw) of output (n, oh, ow) inside the input.
template <class F>
inline void for_each_tap(const Window2D& w, int64_t n, int64_t oh, int64_t ow, F fn) {
  const int64_t ih0 = oh * w.sh - w.pt, iw0 = ow * w.sw - w.pl;
  const auto [kh0, kh1] = inside_taps(ih0, w.KH, w.dh, w.H);
  const auto [kw0, kw1] = inside_taps(iw0, w.KW, w.dw, w.W);
  for (int64_t kh = kh0; kh < kh1; ++kh) {
    const int64_t ih = ih0 + kh * w.dh;
    for (int64_t kw = kw0; kw < kw1; ++kw) fn(kh * w.KW + kw, ((n * w.H + ih) * w.W + iw0 + kw * w.dw) * w.C);
  }
}

// Calls fn(n, oh, ow, out_offset) for every output position; images are split across threads, so kernels that
// add into an image's input positions never race.
template <class F>
void for_each_image_window(const Window2D& w, F fn) {
  parallel_for(w.N, 1, [&](int64_t lo, int64_t hi) {
    for (int64_t n = lo; n < hi; ++n)
      for (int64_t oh = 0; oh < w.OH; ++oh)
        for (int64_t ow = 0; ow < w.OW; ++ow) fn(n, oh, ow, ((n * w.OH + oh) * w.OW + ow) * w.C);
  });
}

template <class T>
void col2im_t(const T* cols, T* dx, const Window2D& w) {
  const int64_t K = w.KH * w.KW * w.C;
  for_each_image_window(w, [&](int64_t n, int64_t oh, int64_t ow, int64_t o) {
    const T* row = cols + o / w.C * K;
    for_each_tap(w, n, oh, ow, [&](int64_t tap, int64_t at) {
      const T* src = row + tap * w.C;
      T* dst = dx + at;
      for (int64_t c = 0; c < w.C; ++c) dst[c] += src[c];
    });
  });
}

// Calls fn(n, oh, ow, out_offset) for every output position, images split across threads.
template <class F>
void for_each_window(const Window2D& w, F fn) {
  parallel_for(w.N * w.OH, std::max<int64_t>(1, 256 / std::max<int64_t>(1, w.OW)), [&](int64_t lo, int64_t hi) {
    for (int64_t r = lo; r < hi; ++r)
      for (int64_t ow = 0; ow < w.OW; ++ow) fn(r / w.OH, r % w.OH, ow, (r * w.OW + ow) * w.C);
  });
}

// Vectorizes (float and int32 lanes have one width): a compare and two selects per element. A branch per
// element mispredicts half the time on random data.
template <class T>
inline void update_max(const T* __restrict src, T* __restrict best, int32_t* __restrict arg, int32_t tap, int64_t C) {
  for (int64_t c = 0; c < C; ++c) {
    const T v = src[c], cur = best[c];
    const bool take = (v > cur) | ((v != v) & (cur == cur));  // NaN wins and stays, as in TF; ties keep the first
    best[c] = take ? v : cur;
    arg[c] = take ? tap : arg[c];
  }
}

template <class T>
void max_pool_t(const T* x, T* out, int32_t* arg, const Window2D& w) {
  for_each_window(w, [&](int64_t n, int64_t oh, int64_t ow, int64_t o) {
    T* best = out + o;
    int32_t* at = arg + o;
    std::fill(best, best + w.C, -std::numeric_limits<T>::infinity());  // stays for a window all in padding
    std::fill(at, at + w.C, -1);
    for_each_tap(w, n, oh, ow, [&](int64_t tap, int64_t i) {
      update_max(x + i, best, at, static_cast<int32_t>(tap), w.C);
    });
  });
}

// Each window's gradient goes to the tap the forward pass chose (ties: the first; -inf windows too).
template <class T>
void max_pool_grad_t(const int32_t* arg, const T* g, T* dx, const Window2D& w) {
  // Offset of each tap from the window's corner in dx (in elements): a table, so the loop below needs no division,
  // unless the window is too large for one (a window of up to 2^31 taps, mostly over padding, is valid).
  const bool table = w.KH * w.KW <= 65536;
  std::vector<int64_t> tap_table(table ? w.KH * w.KW : 0);
  for (int64_t kh = 0; table && kh < w.KH; ++kh)
    for (int64_t kw = 0; kw < w.KW; ++kw) tap_table[kh * w.KW + kw] = (kh * w.dh * w.W + kw * w.dw) * w.C;
  auto tap_offset = [&](int32_t tap) {
    return table ? tap_table[tap] : (tap / w.KW * w.dh * w.W + tap % w.KW * w.dw) * w.C;
  };
  for_each_image_window(w, [&](int64_t n, int64_t oh, int64_t ow, int64_t o) {
    // the corner may lie in the padding (a negative index); every chosen tap is inside the input
    const int64_t corner = ((n * w.H + oh * w.sh - w.pt) * w.W + ow * w.sw - w.pl) * w.C;
    for (int64_t c = 0; c < w.C; ++c) {
      const int32_t tap = arg[o + c];
      if (tap >= 0) dx[corner + tap_offset(tap) + c] += g[o + c];
    }
  });
}

// Average pooling counts only the taps inside the input (padding is not counted, as in TF).
template <class T>
void avg_pool_t(const T* x, T* out, const Window2D& w) {
  for_each_window(w, [&](int64_t n, int64_t oh, int64_t ow, int64_t o) {
    T* dst = out + o;
    std::fill(dst, dst + w.C, T(0));
    int64_t count = 0;
    for_each_tap(w, n, oh, ow, [&](int64_t, int64_t i) {
      for (int64_t c = 0; c < w.C; ++c) dst[c] += x[i + c];
      ++count;
    });
    const T scale = count ? T(1) / T(count) : T(0);
    for (int64_t c = 0; c < w.C; ++c) dst[c] *= scale;
  });
}

template <class T>
void avg_pool_grad_t(const T* g, T* dx, const Window2D& w) {
  for_each_image_window(w, [&](int64_t n, int64_t oh, int64_t ow, int64_t o) {
    int64_t count = 0;
    for_each_tap(w, n, oh, ow, [&](int64_t, int64_t) { ++count; });
    if (!count) return;
    const T scale = T(1) / T(count);
    for_each_tap(w, n, oh, ow, [&](int64_t, int64_t i) {
      for (int64_t c = 0; c < w.C; ++c) dx[i + c] += g[o + c] * scale;
    });
  });
}

}  // namespace

void im2col(const Tensor& x, const Window2D& w, const Tensor& cols) {
  TF_DISPATCH_FLOAT(x.dtype(), "im2col", im2col_t(x.data<T>(), cols.data<T>(), w));
}

void col2im(const Tensor& cols, const Window2D& w, const Tensor& dx) {
  TF_DISPATCH_FLOAT(cols.dtype(), "col2im", col2im_t(cols.data<T>(), dx.data<T>(), w));
}

void max_pool2d(const Tensor& x, const Window2D& w, const Tensor& out, const Tensor& argmax) {
  TF_DISPATCH_FLOAT(x.dtype(), "max_pool2d", max_pool_t(x.data<T>(), out.data<T>(), argmax.data<int32_t>(), w));
}

void max_pool2d_grad(const Tensor& argmax, const Tensor& g, const Window2D& w, const Tensor& dx) {
  TF_DISPATCH_FLOAT(g.dtype(), "max_pool2d_grad", max_pool_grad_t(argmax.data<int32_t>(), g.data<T>(), dx.data<T>(), w));
}

void avg_pool2d(const Tensor& x, const Window2D& w, const Tensor& out) {
  TF_DISPATCH_FLOAT(x.dtype(), "avg_pool2d", avg_pool_t(x.data<T>(), out.data<T>(), w));
}

void avg_pool2d_grad(const Tensor& g, const Window2D& w, const Tensor& dx) {
  TF_DISPATCH_FLOAT(g.dtype(), "avg_pool2d_grad", avg_pool_grad_t(g.data<T>(), dx.data<T>(), w));
}

}  // namespace cpu
}  // namespace tapeflow
