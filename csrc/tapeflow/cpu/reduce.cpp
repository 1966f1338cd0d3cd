// Reductions over axis sets, arg-max/min, cumulative sum/product and
// softmax / log-softmax. Inputs are contiguous and viewed as (outer, R, inner).
// Determinism: every output is accumulated in a fixed order. Long rows are cut
// into fixed 8192-element chunks (independent of the thread count) whose
// partial results are combined in chunk order. float32 sums and products
// accumulate in float64.
#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <type_traits>
#include <vector>

#include "tapeflow/core/threadpool.h"
#include "tapeflow/cpu/kernels.h"
#include "tapeflow/cpu/scalar_ops.h"
#include "tapeflow/cpu/simd.h"

namespace tapeflow {
namespace cpu {
namespace {

constexpr int64_t kChunk = 8192;

template <class T> struct AccOf { using type = T; };
template <> struct AccOf<float> { using type = double; };

template <class T, ReduceOp OP> struct Reducer {
  using A = std::conditional_t<OP == ReduceOp::Sum || OP == ReduceOp::Prod, typename AccOf<T>::type, T>;
  static A init() {
    if constexpr (OP == ReduceOp::Sum) return A(0);
    else if constexpr (OP == ReduceOp::Prod) return A(1);
    else if constexpr (OP == ReduceOp::Any) return A(false);
    else if constexpr (OP == ReduceOp::All) return A(true);
    else if constexpr (OP == ReduceOp::Max)
      return std::numeric_limits<T>::has_infinity ? -std::numeric_limits<T>::infinity() : std::numeric_limits<T>::lowest();
    else
      return std::numeric_limits<T>::has_infinity ? std::numeric_limits<T>::infinity() : std::numeric_limits<T>::max();
  }
  static A step(A acc, A v) {
    if constexpr (OP == ReduceOp::Sum) return wrap_add(acc, v);
    else if constexpr (OP == ReduceOp::Prod) return wrap_mul(acc, v);
    else if constexpr (OP == ReduceOp::Any) return acc || v;
    else if constexpr (OP == ReduceOp::All) return acc && v;
    else if constexpr (OP == ReduceOp::Max) return (v > acc || v != v) && acc == acc ? v : acc;
    else return (v < acc || v != v) && acc == acc ? v : acc;
  }
};

// Column sums of an R x w block of rows `stride` apart, added to acc in double in row order: each column's order is
// the scalar loop's, so every ISA clone gives the same bits (the bias gradients of Dense layers go through here).
TF_SIMD_CLONES void sum_columns_f32(const float* x, int64_t R, int64_t stride, int64_t w, double* acc) {
  for (int64_t r = 0; r < R; ++r) {
    const float* row = x + r * stride;
    for (int64_t j = 0; j < w; ++j) acc[j] += row[j];
  }
}

template <class T, ReduceOp OP>
void reduce_3d(const T* x, T* out, int64_t outer, int64_t R, int64_t inner) {
  using Rd = Reducer<T, OP>;
  using A = typename Rd::A;
  if (inner == 1) {
    const int64_t nchunks = std::max<int64_t>(1, (R + kChunk - 1) / kChunk);
    std::vector<A> partial(static_cast<size_t>(outer * nchunks));
    parallel_for(outer * nchunks, std::max<int64_t>(1, kChunk / std::max<int64_t>(R, 1)), [&](int64_t lo, int64_t hi) {
      for (int64_t t = lo; t < hi; ++t) {
        int64_t o = t / nchunks, c = t % nchunks;
        const T* row = x + o * R;
        int64_t b = c * kChunk, e = std::min(R, b + kChunk);
        A acc = Rd::init();
        for (int64_t r = b; r < e; ++r) acc = Rd::step(acc, static_cast<A>(row[r]));
        partial[t] = acc;
      }
    });
    for (int64_t o = 0; o < outer; ++o) {
      A acc = partial[o * nchunks];
      for (int64_t c = 1; c < nchunks; ++c) acc = Rd::step(acc, partial[o * nchunks + c]);
      out[o] = static_cast<T>(acc);
    }
    return;
  }
  const int64_t block = 256;
  const int64_t nblocks = (inner + block - 1) / block;
  parallel_for(outer * nblocks, std::max<int64_t>(1, 65536 / std::max<int64_t>(R * block, 1)), [&](int64_t lo, int64_t hi) {
    std::vector<A> acc(block);
    for (int64_t t = lo; t < hi; ++t) {
      int64_t o = t / nblocks, jb = (t % nblocks) * block, je = std::min(inner, jb + block), w = je - jb;
      for (int64_t j = 0; j < w; ++j) acc[j] = Rd::init();
      if constexpr (std::is_same_v<T, float> && OP == ReduceOp::Sum) {
        sum_columns_f32(x + o * R * inner + jb, R, inner, w, acc.data());
      } else {
        for (int64_t r = 0; r < R; ++r) {
          const T* row = x + (o * R + r) * inner + jb;
          for (int64_t j = 0; j < w; ++j) acc[j] = Rd::step(acc[j], static_cast<A>(row[j]));
        }
      }
      for (int64_t j = 0; j < w; ++j) out[o * inner + jb + j] = static_cast<T>(acc[j]);
    }
  });
}

template <class T>
void reduce_typed(ReduceOp op, const T* x, T* out, int64_t outer, int64_t R, int64_t inner) {
  if constexpr (std::is_same_v<T, bool>) {
    if (op == ReduceOp::Any) reduce_3d<bool, ReduceOp::Any>(x, out, outer, R, inner);
    else if (op == ReduceOp::All) reduce_3d<bool, ReduceOp::All>(x, out, outer, R, inner);
    else throw TypeError("[reduce] only reduce_any / reduce_all accept bool tensors");
    return;
  } else switch (op) {
    case ReduceOp::Sum: reduce_3d<T, ReduceOp::Sum>(x, out, outer, R, inner); break;
    case ReduceOp::Prod: reduce_3d<T, ReduceOp::Prod>(x, out, outer, R, inner); break;
    case ReduceOp::Max: reduce_3d<T, ReduceOp::Max>(x, out, outer, R, inner); break;
    case ReduceOp::Min: reduce_3d<T, ReduceOp::Min>(x, out, outer, R, inner); break;
    case ReduceOp::Any: reduce_3d<T, ReduceOp::Any>(x, out, outer, R, inner); break;
    case ReduceOp::All: reduce_3d<T, ReduceOp::All>(x, out, outer, R, inner); break;
  }
}

// Splits a contiguous shape at `axis` into (outer, R, inner).
void split3(const Shape& s, int64_t axis, int64_t& outer, int64_t& R, int64_t& inner) {
  outer = 1; inner = 1;
  for (int64_t i = 0; i < axis; ++i) outer *= s[i];
  R = s[axis];
  for (size_t i = axis + 1; i < s.size(); ++i) inner *= s[i];
}

}  // namespace

void reduce(ReduceOp op, const Tensor& x, const std::vector<bool>& mask, const Tensor& out) {
  // Collapse runs of kept / reduced axes (size-1 axes are dropped).
  std::vector<int64_t> sizes;
  std::vector<bool> kinds;
  for (size_t i = 0; i < mask.size(); ++i) {
    if (x.dim(i) == 1) continue;
    if (!kinds.empty() && kinds.back() == mask[i]) sizes.back() *= x.dim(i);
    else { sizes.push_back(x.dim(i)); kinds.push_back(mask[i]); }
  }
  int64_t outer = 1, R = 1, inner = 1;
  Tensor src = x;
  size_t nred = 0;
  for (bool k : kinds) nred += k;
  if (nred <= 1) {
    size_t i = 0;
    for (; i < kinds.size() && !kinds[i]; ++i) outer *= sizes[i];
    if (i < kinds.size()) { R = sizes[i]; ++i; }
    for (; i < kinds.size(); ++i) inner *= sizes[i];
  } else {
    // Several reduced groups: permute kept groups first, reduced last, copy.
    Shape shp, str;
    Shape cs = contiguous_strides(Shape(sizes.begin(), sizes.end()));
    for (int pass = 0; pass < 2; ++pass)
      for (size_t i = 0; i < kinds.size(); ++i)
        if (kinds[i] == (pass == 1)) {
          shp.push_back(sizes[i]); str.push_back(cs[i]);
          (pass ? R : outer) *= sizes[i];
        }
    src = x.as_strided(shp, str, x.offset()).contiguous();
  }
  if (out.numel() == 0) return;
  if (R == 0 || x.numel() == 0) {  // empty reduction: the identity
    double ident = op == ReduceOp::Sum ? 0.0 : op == ReduceOp::Prod ? 1.0 : op == ReduceOp::Any ? 0.0 : op == ReduceOp::All ? 1.0
                 : op == ReduceOp::Max ? -std::numeric_limits<double>::infinity() : std::numeric_limits<double>::infinity();
    fill_scalar(out, ident);
    return;
  }
  if (src.dtype() == DType::Bool) {
    reduce_typed<bool>(op, src.data<bool>(), out.data<bool>(), outer, R, inner);
    return;
  }
  TF_DISPATCH_NUMERIC(src.dtype(), "reduce", reduce_typed<T>(op, src.data<T>(), out.data<T>(), outer, R, inner));
}

void arg_reduce(const Tensor& x, int64_t axis, bool is_max, const Tensor& out) {
  int64_t outer, R, inner;
  split3(x.shape(), axis, outer, R, inner);
  int64_t* o = out.data<int64_t>();
  TF_DISPATCH_NUMERIC(x.dtype(), "argmax", {
    const T* p = x.data<T>();
    parallel_for(outer * inner, 4096 / std::max<int64_t>(R, 1) + 1, [&](int64_t lo, int64_t hi) {
      for (int64_t t = lo; t < hi; ++t) {
        int64_t oo = t / inner, j = t % inner;
        const T* base = p + oo * R * inner + j;
        int64_t best = 0;
        T bv = base[0];
        for (int64_t r = 1; r < R; ++r) {
          T v = base[r * inner];
          if (bv != bv) break;  // NaN wins
          if ((is_max ? v > bv : v < bv) || v != v) { bv = v; best = r; }
        }
        o[t] = best;
      }
    });
  });
}

void cumulative(const Tensor& x, int64_t axis, bool exclusive, bool reverse, bool product, const Tensor& out) {
  int64_t outer, R, inner;
  split3(x.shape(), axis, outer, R, inner);
  TF_DISPATCH_NUMERIC(x.dtype(), "cumsum", {
    const T* p = x.data<T>();
    T* q = out.data<T>();
    parallel_for(outer * inner, 4096 / std::max<int64_t>(R, 1) + 1, [&](int64_t lo, int64_t hi) {
      for (int64_t t = lo; t < hi; ++t) {
        int64_t oo = t / inner, j = t % inner;
        const T* a = p + oo * R * inner + j;
        T* b = q + oo * R * inner + j;
        T acc = product ? T(1) : T(0);
        for (int64_t k = 0; k < R; ++k) {
          int64_t r = reverse ? R - 1 - k : k;
          T v = a[r * inner];
          if (exclusive) { b[r * inner] = acc; acc = product ? wrap_mul(acc, v) : wrap_add(acc, v); }
          else { acc = product ? wrap_mul(acc, v) : wrap_add(acc, v); b[r * inner] = acc; }
        }
      }
    });
  });
}

void argsort(const Tensor& x, int64_t axis, bool descending, const Tensor& out) {
  int64_t outer, R, inner;
  split3(x.shape(), axis, outer, R, inner);
  TF_DISPATCH_NUMERIC(x.dtype(), "argsort", {
    const T* p = x.data<T>();
    int64_t* q = out.data<int64_t>();
    parallel_for(outer * inner, std::max<int64_t>(1, 4096 / std::max<int64_t>(R, 1)), [&](int64_t lo, int64_t hi) {
      std::vector<int64_t> order(static_cast<size_t>(R));
      for (int64_t t = lo; t < hi; ++t) {
        const T* a = p + t / inner * R * inner + t % inner;
        // NaN above everything: "greater" is "NaN, or larger"
        auto above = [&](int64_t i, int64_t j) {
          const T u = a[i * inner], v = a[j * inner];
          return (u != u && v == v) || u > v;
        };
        for (int64_t k = 0; k < R; ++k) order[static_cast<size_t>(k)] = k;
        if (descending) std::stable_sort(order.begin(), order.end(), above);
        else std::stable_sort(order.begin(), order.end(), [&](int64_t i, int64_t j) { return above(j, i); });
        int64_t* b = q + t / inner * R * inner + t % inner;
        for (int64_t k = 0; k < R; ++k) b[k * inner] = order[static_cast<size_t>(k)];
      }
    });
  });
}

namespace {

// Class ids as int64, checked against [0, C) before any row is computed (the kernels' loops never throw).
std::vector<int64_t> class_ids(const Tensor& labels, int64_t C) {
  const int64_t n = labels.numel();
  std::vector<int64_t> ids(static_cast<size_t>(n));
  if (labels.dtype() == DType::Int32) std::copy_n(labels.data<int32_t>(), n, ids.data());
  else std::copy_n(labels.data<int64_t>(), n, ids.data());
  for (int64_t i = 0; i < n; ++i)
    if (ids[i] < 0 || ids[i] >= C) {
      std::string shown;
      for (int64_t j = 0; j < std::min<int64_t>(n, 20); ++j) shown += (j ? " " : "") + std::to_string(ids[j]);
      throw InvalidArgument("Received a label value of " + std::to_string(ids[i]) + " which is outside the valid "
                            "range of [0, " + std::to_string(C) + "). Label values: " + shown + (n > 20 ? " ..." : ""));
    }
  return ids;
}

// One row's max, the shift of its exponentials (0 when every logit is -inf, as in softmax).
template <class T>
inline T row_max(const T* x, int64_t C) {
  T m = x[0];
  for (int64_t c = 1; c < C; ++c) m = x[c] > m ? x[c] : m;
  return std::isinf(m) && m < 0 ? T(0) : m;
}

}  // namespace

void class_ids(const Tensor& labels, const Tensor& out) {
  TF_DISPATCH_FLOAT(labels.dtype(), "class_ids", {
    const T* y = labels.data<T>();
    int64_t* ids = out.data<int64_t>();
    for (int64_t i = 0; i < labels.numel(); ++i) {
      if (!(std::fabs(y[i]) < T(9.2e18)))  // NaN, infinite or beyond int64
        throw InvalidArgument("[sparse_categorical_crossentropy] Received a label value of " + std::to_string(y[i]) +
                              ", which is not a class index");
      ids[i] = static_cast<int64_t>(y[i]);
    }
  });
}

void softmax_xent(const Tensor& logits, const Tensor& labels, bool sparse, const Tensor& loss) {
  const int64_t C = logits.ndim() ? logits.dim(logits.ndim() - 1) : 1, rows = loss.numel();
  if (rows == 0) return;
  if (C == 0) {  // sparse labels can name no class; a dense row's sum is empty
    if (sparse) class_ids(labels, C);
    fill_scalar(loss, 0.0);
    return;
  }
  const std::vector<int64_t> ids = sparse ? class_ids(labels, C) : std::vector<int64_t>();
  TF_DISPATCH_FLOAT(logits.dtype(), "softmax_xent", {
    const T* x = logits.data<T>();
    const T* y = sparse ? nullptr : labels.data<T>();
    T* l = loss.data<T>();
    parallel_for(rows, 16384 / C + 1, [&](int64_t lo, int64_t hi) {
      for (int64_t r = lo; r < hi; ++r) {
        const T* a = x + r * C;
        const T m = row_max(a, C);
        double s = 0;  // summed in double
        for (int64_t c = 0; c < C; ++c) s += std::exp(a[c] - m);
        const T lse = static_cast<T>(std::log(s));
        if (sparse) {
          l[r] = lse - (a[ids[r]] - m);
        } else {
          T acc = 0;
          for (int64_t c = 0; c < C; ++c) acc += y[r * C + c] * (lse - (a[c] - m));
          l[r] = acc;
        }
      }
    });
  });
}

void softmax_xent_grad(const Tensor& logits, const Tensor& labels, bool sparse, const Tensor& g, const Tensor& out) {
  const int64_t C = logits.ndim() ? logits.dim(logits.ndim() - 1) : 1, rows = g.numel();
  if (rows == 0 || C == 0) return;
  const std::vector<int64_t> ids = sparse ? class_ids(labels, C) : std::vector<int64_t>();
  TF_DISPATCH_FLOAT(logits.dtype(), "softmax_xent_grad", {
    const T* x = logits.data<T>();
    const T* y = sparse ? nullptr : labels.data<T>();
    const T* gp = g.data<T>();
    T* o = out.data<T>();
    parallel_for(rows, 16384 / C + 1, [&](int64_t lo, int64_t hi) {
      for (int64_t r = lo; r < hi; ++r) {
        const T* a = x + r * C;
        T* b = o + r * C;
        const T m = row_max(a, C);
        double s = 0;  // as in softmax_xent, keeping each exp(x - max) in the output row
        for (int64_t c = 0; c < C; ++c) {
          b[c] = std::exp(a[c] - m);
          s += b[c];
        }
        const T inv = static_cast<T>(1.0 / s), gr = gp[r];
        for (int64_t c = 0; c < C; ++c) {
          const T target = sparse ? T(c == ids[r] ? 1 : 0) : y[r * C + c];
          b[c] = (b[c] * inv - target) * gr;
        }
      }
    });
  });
}

void sigmoid_xent(const Tensor& logits, const Tensor& labels, const Tensor& loss) {
  TF_DISPATCH_FLOAT(logits.dtype(), "sigmoid_xent", {
    const T* x = logits.data<T>();
    const T* z = labels.data<T>();
    T* l = loss.data<T>();
    parallel_for(loss.numel(), 1 << 14, [&](int64_t lo, int64_t hi) {
      for (int64_t i = lo; i < hi; ++i)
        l[i] = ((x[i] > T(0) ? x[i] : T(0)) - x[i] * z[i]) + std::log1p(std::exp(-std::fabs(x[i])));
    });
  });
}

void sigmoid_xent_grad(const Tensor& logits, const Tensor& labels, const Tensor& g, const Tensor& out) {
  TF_DISPATCH_FLOAT(logits.dtype(), "sigmoid_xent_grad", {
    const T* x = logits.data<T>();
    const T* z = labels.data<T>();
    const T* gp = g.data<T>();
    T* o = out.data<T>();
    parallel_for(out.numel(), 1 << 14, [&](int64_t lo, int64_t hi) {
      for (int64_t i = lo; i < hi; ++i) o[i] = (T(1) / (T(1) + std::exp(-x[i])) - z[i]) * gp[i];
    });
  });
}

void softmax(const Tensor& x, int64_t axis, bool log, const Tensor& out) {
  int64_t outer, C, inner;
  split3(x.shape(), axis, outer, C, inner);
  if (C == 0) return;
  TF_DISPATCH_FLOAT(x.dtype(), "softmax", {
    const T* p = x.data<T>();
    T* q = out.data<T>();
    parallel_for(outer * inner, 16384 / std::max<int64_t>(C, 1) + 1, [&](int64_t lo, int64_t hi) {
      for (int64_t t = lo; t < hi; ++t) {
        int64_t oo = t / inner, j = t % inner;
        const T* a = p + oo * C * inner + j;
        T* b = q + oo * C * inner + j;
        T m = a[0];
        for (int64_t c = 1; c < C; ++c) m = a[c * inner] > m ? a[c * inner] : m;
        if (std::isinf(m) && m < 0) m = 0;  // all -inf: keep NaN-free shifts
        double s = 0;
        if (log) {
          for (int64_t c = 0; c < C; ++c) s += std::exp(a[c * inner] - m);
          T ls = static_cast<T>(std::log(s));
          for (int64_t c = 0; c < C; ++c) b[c * inner] = a[c * inner] - m - ls;
        } else {
          for (int64_t c = 0; c < C; ++c) { T e = std::exp(a[c * inner] - m); b[c * inner] = e; s += e; }
          T inv = static_cast<T>(1.0 / s);
          for (int64_t c = 0; c < C; ++c) b[c * inner] *= inv;
        }
      }
    });
  });
}

}  // namespace cpu
}  // namespace tapeflow
