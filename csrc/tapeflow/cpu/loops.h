// Strided N-ary iteration for elementwise kernels. All operands have the same
// shape (broadcast operands arrive as stride-0 views). Dimensions are coalesced,
// the flat index range is split across threads, and the inner function sees
// runs along the innermost dimension: inner(ptrs, byte_strides, n).
#pragma once
#include <array>
#include <cstdint>
#include <vector>

#include "tapeflow/core/tensor.h"
#include "tapeflow/core/threadpool.h"

namespace tapeflow {
namespace cpu {

constexpr int64_t kElementwiseGrain = 1 << 15;

template <int N>
struct LoopDims {
  std::vector<int64_t> shape;                 // outermost first
  std::array<std::vector<int64_t>, N> strides;  // bytes
};

template <int N>
LoopDims<N> make_loop_dims(const Shape& shape, const std::array<const Tensor*, N>& ts) {
  LoopDims<N> d;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] == 1) continue;
    bool merged = false;
    if (!d.shape.empty()) {
      merged = true;
      for (int k = 0; k < N; ++k) {
        int64_t s_outer = d.strides[k].back();
        int64_t s_inner = ts[k]->strides()[i] * static_cast<int64_t>(itemsize(ts[k]->dtype()));
        if (s_outer != s_inner * shape[i]) { merged = false; break; }
      }
    }
    if (merged) {
      d.shape.back() *= shape[i];
      for (int k = 0; k < N; ++k) d.strides[k].back() = ts[k]->strides()[i] * static_cast<int64_t>(itemsize(ts[k]->dtype()));
    } else {
      d.shape.push_back(shape[i]);
      for (int k = 0; k < N; ++k) d.strides[k].push_back(ts[k]->strides()[i] * static_cast<int64_t>(itemsize(ts[k]->dtype())));
    }
  }
  if (d.shape.empty()) {
    d.shape.push_back(1);
    for (int k = 0; k < N; ++k) d.strides[k].push_back(0);
  }
  return d;
}

template <int N, class F>
void for_each_strided(const Shape& shape, const std::array<const Tensor*, N>& ts, F&& inner,
                      int64_t grain = kElementwiseGrain) {
  int64_t total = 1;
  for (int64_t s : shape) total *= s;
  if (total == 0) return;
  LoopDims<N> d = make_loop_dims<N>(shape, ts);
  const int nd = static_cast<int>(d.shape.size());
  const int64_t inner_n = d.shape[nd - 1];
  std::array<char*, N> base;
  for (int k = 0; k < N; ++k) base[k] = static_cast<char*>(ts[k]->raw_data());
  parallel_for(total, grain, [&](int64_t begin, int64_t end) {
    std::vector<int64_t> idx(nd, 0);
    int64_t rem = begin;
    for (int i = nd - 1; i >= 0; --i) { idx[i] = rem % d.shape[i]; rem /= d.shape[i]; }
    std::array<char*, N> p;
    std::array<int64_t, N> s_in;
    for (int k = 0; k < N; ++k) {
      p[k] = base[k];
      for (int i = 0; i < nd; ++i) p[k] += idx[i] * d.strides[k][i];
      s_in[k] = d.strides[k][nd - 1];
    }
    int64_t pos = begin;
    while (pos < end) {
      int64_t n = std::min(inner_n - idx[nd - 1], end - pos);
      inner(p.data(), s_in.data(), n);
      pos += n;
      if (pos >= end) break;
      // advance the multi-index past the run
      for (int k = 0; k < N; ++k) p[k] += (n - 0) * s_in[k];
      idx[nd - 1] += n;
      for (int i = nd - 1; i > 0 && idx[i] == d.shape[i]; --i) {
        idx[i] = 0;
        ++idx[i - 1];
        for (int k = 0; k < N; ++k) p[k] += d.strides[k][i - 1] - d.shape[i] * d.strides[k][i];
      }
    }
  });
}

}  // namespace cpu
}  // namespace tapeflow
