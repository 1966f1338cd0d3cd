// Index kernels: gather along an axis (with leading batch dimensions) and its
// gradient (scatter-add), gather_nd and scatter_nd (add), and range fills.
// Layouts: params (batch, outer, P, inner), indices (batch, N), out (batch, outer,
// N, inner), all contiguous. Indices are validated before any write.
#include <cstring>
#include <string>

#include "tapeflow/core/threadpool.h"
#include "tapeflow/cpu/kernels.h"
#include "tapeflow/cpu/scalar_ops.h"

namespace tapeflow {
namespace cpu {
namespace {

template <class I>
void check_indices(const I* idx, int64_t n, int64_t limit, const char* op) {
  for (int64_t i = 0; i < n; ++i)
    if (idx[i] < 0 || static_cast<int64_t>(idx[i]) >= limit)
      throw InvalidArgument(std::string("[") + op + "] indices[" + std::to_string(i) + "] = " + std::to_string(idx[i]) +
                            " is not in [0, " + std::to_string(limit) + ")");
}

// Rows of k indices into the leading k dimensions of `shape`.
template <class I>
void check_nd_indices(const I* idx, int64_t rows, int64_t k, const Shape& shape, const char* op) {
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t d = 0; d < k; ++d)
      if (idx[r * k + d] < 0 || idx[r * k + d] >= shape[d])
        throw InvalidArgument(std::string("[") + op + "] indices[" + std::to_string(r) + "] = [" +
                              std::to_string(idx[r * k + d]) + "] does not index into shape " + shape_str(shape));
}

// Calls f(ptr) with the index data typed as int32 or int64.
template <class F> void with_indices(const Tensor& idx, F f) {
  if (idx.dtype() == DType::Int32) f(idx.data<int32_t>());
  else f(idx.data<int64_t>());
}

// The number of index rows: the product of indices.shape[:-1] (also when the last dimension is 0).
int64_t nd_rows(const Tensor& indices) {
  int64_t rows = 1;
  for (int64_t d = 0; d + 1 < indices.ndim(); ++d) rows *= indices.dim(d);
  return rows;
}

}  // namespace

void gather(const Tensor& params, const Tensor& indices, int64_t batch, int64_t outer, int64_t inner, const Tensor& out) {
  const int64_t N = indices.numel() / std::max<int64_t>(batch, 1);
  const int64_t P = params.numel() / std::max<int64_t>(batch * outer * inner, 1);
  const size_t es = itemsize(params.dtype());
  const char* src = static_cast<const char*>(params.raw_data());
  char* dst = static_cast<char*>(out.raw_data());
  with_indices(indices, [&](auto* idx) {
    check_indices(idx, indices.numel(), params.numel() == 0 ? 0 : P, "gather");
    parallel_for(batch * outer * N, std::max<int64_t>(1, 16384 / std::max<int64_t>(inner, 1)), [&](int64_t lo, int64_t hi) {
      for (int64_t t = lo; t < hi; ++t) {
        int64_t n = t % N, bo = t / N, bi = bo / outer;
        std::memcpy(dst + t * inner * es, src + ((bo * P) + idx[bi * N + n]) * inner * es, inner * es);
      }
    });
  });
}

void gather_grad(const Tensor& g, const Tensor& indices, int64_t batch, int64_t outer, int64_t inner, const Tensor& out) {
  const int64_t N = indices.numel() / std::max<int64_t>(batch, 1);
  const int64_t P = out.numel() / std::max<int64_t>(batch * outer * inner, 1);
  with_indices(indices, [&](auto* idx) {
    check_indices(idx, indices.numel(), P, "gather_grad");
    TF_DISPATCH_NUMERIC(g.dtype(), "gather_grad", {
      const T* pg = g.data<T>();
      T* po = out.data<T>();
      // Parallel over (batch*outer) and inner columns: each output element is
      // summed in index order by exactly one thread.
      const int64_t cols = std::max<int64_t>(1, (inner + 63) / 64);
      parallel_for(batch * outer * cols, 1, [&](int64_t lo, int64_t hi) {
        for (int64_t t = lo; t < hi; ++t) {
          int64_t bo = t / cols, j0 = (t % cols) * 64, j1 = std::min(inner, j0 + 64), bi = bo / outer;
          for (int64_t n = 0; n < N; ++n) {
            const T* s = pg + (bo * N + n) * inner;
            T* d = po + (bo * P + idx[bi * N + n]) * inner;
            for (int64_t j = j0; j < j1; ++j) d[j] = wrap_add(d[j], s[j]);
          }
        }
      });
    });
  });
}

void gather_nd(const Tensor& params, const Tensor& indices, const Tensor& out) {
  const int64_t k = indices.dim(indices.ndim() - 1);
  const int64_t rows = nd_rows(indices);
  int64_t slice = 1;
  for (int64_t i = k; i < params.ndim(); ++i) slice *= params.dim(i);
  const Shape pstr = contiguous_strides(params.shape());
  const size_t es = itemsize(params.dtype());
  const char* src = static_cast<const char*>(params.raw_data());
  char* dst = static_cast<char*>(out.raw_data());
  with_indices(indices, [&](auto* idx) {
    check_nd_indices(idx, rows, k, params.shape(), "gather_nd");
    for (int64_t r = 0; r < rows; ++r) {
      int64_t off = 0;
      for (int64_t d = 0; d < k; ++d) off += idx[r * k + d] * pstr[d];
      if (slice) std::memcpy(dst + r * slice * es, src + off * es, slice * es);
    }
  });
}

void scatter_nd_add(const Tensor& indices, const Tensor& updates, const Tensor& out) {
  const int64_t k = indices.dim(indices.ndim() - 1);
  const int64_t rows = nd_rows(indices);
  int64_t slice = 1;
  for (int64_t i = k; i < out.ndim(); ++i) slice *= out.dim(i);
  const Shape ostr = contiguous_strides(out.shape());
  with_indices(indices, [&](auto* idx) {
    check_nd_indices(idx, rows, k, out.shape(), "scatter_nd");
    TF_DISPATCH_NUMERIC(out.dtype(), "scatter_nd", {
      const T* pu = updates.data<T>();
      T* po = out.data<T>();
      for (int64_t r = 0; r < rows; ++r) {
        int64_t off = 0;
        for (int64_t d = 0; d < k; ++d) off += idx[r * k + d] * ostr[d];
        for (int64_t j = 0; j < slice; ++j) po[off + j] = wrap_add(po[off + j], pu[r * slice + j]);
      }
    });
  });
}

void range_fill(const Tensor& out, double start, double delta) {
  TF_DISPATCH_NUMERIC(out.dtype(), "range", {
    T* p = out.data<T>();
    for (int64_t i = 0; i < out.numel(); ++i) p[i] = convert<T>(start + static_cast<double>(i) * delta);
  });
}

}  // namespace cpu
}  // namespace tapeflow
