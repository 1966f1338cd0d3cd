// matmul with batch broadcasting and transpose flags (as strides, never copies).
#include <string>

#include "tapeflow/ops/common.h"

namespace tapeflow {
namespace ops {
namespace {

// x (batch..., r, c) broadcast to `batch` as a rank-3 strided view (B, r, c).
Tensor as_batched(const Tensor& x, const Shape& batch) {
  Shape full = batch;
  full.push_back(x.dim(x.ndim() - 2));
  full.push_back(x.dim(x.ndim() - 1));
  Tensor v = broadcast_view(x, full);
  int64_t B = 1;
  for (int64_t d : batch) B *= d;
  // One batch stride works when the batch axes collapse (size-1 axes are free).
  int64_t bstride = 0;
  bool ok = true, first = true;
  int64_t expect = 0;
  for (size_t i = batch.size(); i-- > 0;) {
    if (batch[i] == 1) continue;
    int64_t s = v.strides()[i];
    if (first) { bstride = s; expect = s * batch[i]; first = false; }
    else if (s != expect) { ok = false; break; }
    else expect = s * batch[i];
  }
  if (!ok) {
    v = contiguous_copy(v);
    bstride = v.dim(v.ndim() - 2) * v.dim(v.ndim() - 1);
  }
  const size_t n = v.shape().size();
  return v.as_strided({B, v.dim(n - 2), v.dim(n - 1)}, {bstride, v.strides()[n - 2], v.strides()[n - 1]}, v.offset());
}

}  // namespace

Tensor matmul(const Tensor& a, const Tensor& b, bool ta, bool tb) {
  check_cpu("matmul", a);
  check_cpu("matmul", b);
  check_same_dtype("matmul", a, b);
  if (a.dtype() == DType::Bool) throw TypeError("[matmul] is not defined for bool tensors");
  if (a.ndim() < 2 || b.ndim() < 2)
    throw InvalidArgument("[matmul] both operands must have rank >= 2, got shapes " + shape_str(a.shape()) + " and " +
                          shape_str(b.shape()));
  if (a.dtype() == DType::Float16) return f16(matmul(f32(a), f32(b), ta, tb));
  const int64_t M = ta ? a.dim(a.ndim() - 1) : a.dim(a.ndim() - 2);
  const int64_t Ka = ta ? a.dim(a.ndim() - 2) : a.dim(a.ndim() - 1);
  const int64_t Kb = tb ? b.dim(b.ndim() - 1) : b.dim(b.ndim() - 2);
  const int64_t N = tb ? b.dim(b.ndim() - 2) : b.dim(b.ndim() - 1);
  if (Ka != Kb)
    throw InvalidArgument("[matmul] inner dimensions differ: " + shape_str(a.shape()) + (ta ? "^T" : "") + " @ " +
                          shape_str(b.shape()) + (tb ? "^T" : ""));
  Shape batch = broadcast_shapes(Shape(a.shape().begin(), a.shape().end() - 2), Shape(b.shape().begin(), b.shape().end() - 2),
                                 "matmul");
  Shape oshape = batch;
  oshape.push_back(M);
  oshape.push_back(N);
  Tensor out = Tensor::empty(oshape, a.dtype());
  int64_t B = 1;
  for (int64_t d : batch) B *= d;
  if (out.numel() > 0)
    cpu::matmul(as_batched(a, batch), as_batched(b, batch), ta, tb, out.as_strided({B, M, N}, {M * N, N, 1}, 0));
  TF_RECORD("matmul", {a, b}, {out}, [ta, tb](const Tensors& in, const Tensors&, const Tensors& g) {
    const Tensor &x = in[0], &y = in[1], &d = g[0];
    if (!ta && !tb) return Tensors{matmul(d, y, false, true), matmul(x, d, true, false)};
    if (!ta && tb) return Tensors{matmul(d, y, false, false), matmul(d, x, true, false)};
    if (ta && !tb) return Tensors{matmul(y, d, false, true), matmul(x, d, false, false)};
    return Tensors{matmul(y, d, true, true), matmul(d, x, true, true)};
  });
  return out;
}

}  // namespace ops
}  // namespace tapeflow
