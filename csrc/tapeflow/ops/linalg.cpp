// matmul with batch broadcasting and transpose flags (as strides, never copies), and the fused dense layer
// product act(x @ w + bias).
#include <string>

#include "tapeflow/cpu/gemm.h"
#include "tapeflow/cpu/kernels.h"

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

// out (M x N, contiguous, float32 or float64) = op(a) @ op(b), plus out's values when accumulating, then the
// bias and activation epilogue: one GEMM kernel over 2-D operands of any strides, profiled as `where`.
void gemm_2d(const char* where, const Tensor& a, bool ta, const Tensor& b, bool tb, const Tensor& out,
             bool accumulate, const Tensor& bias = Tensor(), cpu::Act act = cpu::Act::Linear) {
  graph::kernel(where, [=]() { kern::gemm(a, ta, b, tb, out, accumulate, bias, act); });
}

// The product op(a) @ op(b) as the gradient of a rule's input j. When the tape offers a buffer holding what the
// input's other uses gave (a weight used twice), a plain 2-D float32/float64 product is added into it by the GEMM
// (accumulate-into-output) instead of being summed with it afterwards.
Tensor grad_product(size_t j, const Tensor& a, const Tensor& b, bool ta, bool tb) {
  const Tensor t = autograd::accumulation_target(j);
  const DType dt = t.defined() ? t.dtype() : DType::Bool;
  if ((dt == DType::Float32 || dt == DType::Float64) && a.ndim() == 2 && b.ndim() == 2 && a.dtype() == dt &&
      b.dtype() == dt && b.dim(tb ? 1 : 0) == a.dim(ta ? 0 : 1) &&
      t.shape() == Shape{a.dim(ta ? 1 : 0), b.dim(tb ? 0 : 1)}) {
    gemm_2d("grad_product", a, ta, b, tb, t, true);
    autograd::mark_accumulated(j);
    return t;
  }
  Tensor r = matmul(a, b, ta, tb);
  autograd::mark_fresh(j);
  return r;
}

}  // namespace

Tensor matmul(const Tensor& a, const Tensor& b, bool ta, bool tb) {
  const OpDevice on_device("matmul", {&a, &b});
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
  if (out.numel() > 0) {
    if (a.ndim() == 2 && b.ndim() == 2 && a.dtype() == DType::Float32) {  // no batch views to build
      gemm_2d("matmul", a, ta, b, tb, out, false);
    } else {
      const Tensor ab = as_batched(a, batch), bb = as_batched(b, batch), ob = out.as_strided({B, M, N}, {M * N, N, 1}, 0);
      TF_KERNEL(kern::matmul(ab, bb, ta, tb, ob));
    }
  }
  TF_RECORD("matmul", {a, b}, {out}, [ta, tb](const Tensors& in, const Tensors&, const Tensors& g) {
    const Tensor &x = in[0], &y = in[1], &d = g[0];
    // da = d @ op(y)^T, transposed back when a was; db = op(x)^T @ d, likewise (each only when needed).
    Tensor da, db;
    if (autograd::input_needed(0)) da = ta ? grad_product(0, y, d, tb, true) : grad_product(0, d, y, false, !tb);
    if (autograd::input_needed(1)) db = tb ? grad_product(1, d, x, true, ta) : grad_product(1, x, d, !ta, false);
    return Tensors{da, db};
  });
  return out;
}

Tensor dense(const Tensor& x, const Tensor& w, const Tensor& bias, cpu::Act act) {
  using cpu::Act;
  if (act != Act::Linear && act != Act::Relu && act != Act::Sigmoid && act != Act::Tanh && act != Act::Gelu &&
      act != Act::GeluTanh)
    throw InvalidArgument("[dense] unsupported activation code " + std::to_string(static_cast<int>(act)));
  const OpDevice on_device("dense", {&x, &w});
  check_floating("dense", x);
  check_same_dtype("dense", x, w);
  if (bias.defined()) check_same_dtype("dense", x, bias);
  if (x.ndim() < 2 || w.ndim() != 2)
    throw InvalidArgument("[dense] expects inputs of rank >= 2 and a kernel of rank 2, got shapes " +
                          shape_str(x.shape()) + " and " + shape_str(w.shape()));
  const int64_t K = w.dim(0), N = w.dim(1);
  if (x.dim(x.ndim() - 1) != K)
    throw InvalidArgument("[dense] inner dimensions differ: " + shape_str(x.shape()) + " @ " + shape_str(w.shape()));
  if (bias.defined() && (bias.ndim() != 1 || bias.dim(0) != N))
    throw InvalidArgument("[dense] bias must have shape (" + std::to_string(N) + ",), got " + shape_str(bias.shape()));
  if (x.dtype() == DType::Float16)
    return f16(dense(f32(x), f32(w), bias.defined() ? f32(bias) : bias, act));
  if (x.ndim() > 2) {
    Shape out_shape(x.shape().begin(), x.shape().end() - 1);
    out_shape.push_back(N);
    return reshape(dense(reshape(x, {-1, K}), w, bias, act), out_shape);
  }
  // GELU's derivative needs its input: under a tape the GEMM fuses only the bias and GELU runs as its own op.
  if ((act == Act::Gelu || act == Act::GeluTanh) && autograd::any_active())
    return gelu(dense(x, w, bias, Act::Linear), act == Act::GeluTanh);
  const int64_t M = x.dim(0);
  Tensor out = Tensor::empty({M, N}, x.dtype());
  const Tensor b = bias.defined() ? as_contiguous(bias, x.dtype()) : bias;
  gemm_2d("dense", x, false, w, false, out, false, b, act);
  const bool has_bias = bias.defined();
  TF_RECORD("dense", has_bias ? Tensors{x, w, bias} : Tensors{x, w}, {out},
            [act, has_bias](const Tensors& in, const Tensors& outs, const Tensors& g) {
              const Tensor& y = outs[0];
              Tensor dz = g[0];
              if (act == Act::Relu) dz = unary_grad(cpu::UnaryOp::Relu, y, y, dz);  // y > 0 exactly where x @ w + b > 0
              if (act == Act::Sigmoid) dz = unary_grad(cpu::UnaryOp::Sigmoid, Tensor(), y, dz);
              if (act == Act::Tanh) dz = unary_grad(cpu::UnaryOp::Tanh, Tensor(), y, dz);
              Tensors grads{autograd::input_needed(0) ? grad_product(0, dz, in[1], false, true) : Tensor(),
                            autograd::input_needed(1) ? grad_product(1, in[0], dz, true, false) : Tensor()};
              if (has_bias) grads.push_back(reduce_sum(dz, std::vector<int64_t>{0}, false));
              return grads;
            });
  return out;
}

}  // namespace ops
}  // namespace tapeflow
