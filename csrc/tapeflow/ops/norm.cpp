// Fused batch normalization (training statistics). Its gradient rule is the fused kernel, so like the recurrent
// op it has first derivatives only: differentiating the rule raises Unimplemented.
#include <string>

#include "tapeflow/cpu/kernels.h"
#include "tapeflow/ops/common.h"

namespace tapeflow {
namespace ops {

std::vector<Tensor> batch_norm(const Tensor& x, const Tensor& gamma, const Tensor& beta, int64_t axis,
                               double epsilon) {
  check_floating("batch_norm", x);
  const OpDevice on_device("batch_norm", {&x});
  if (x.ndim() == 0) throw InvalidArgument("[batch_norm] needs an input of rank >= 1");
  if (axis < -x.ndim() || axis >= x.ndim())
    throw InvalidArgument("[batch_norm] axis " + std::to_string(axis) + " is out of range for rank " +
                          std::to_string(x.ndim()));
  if (axis < 0) axis += x.ndim();
  if (epsilon < 0) throw InvalidArgument("[batch_norm] epsilon must be >= 0");
  const int64_t C = x.dim(axis);
  for (const Tensor* p : {&gamma, &beta})
    if (p->defined() && (p->ndim() != 1 || p->dim(0) != C))
      throw InvalidArgument("[batch_norm] gamma and beta must have shape (" + std::to_string(C) + "), got " +
                            shape_str(p->shape()));
  if (x.dtype() == DType::Float16) {
    auto up = [](const Tensor& t) { return t.defined() ? f32(t) : t; };
    std::vector<Tensor> r = batch_norm(f32(x), up(gamma), up(beta), axis, epsilon);
    for (Tensor& t : r) t = f16(t);
    return r;
  }
  int64_t outer = 1, inner = 1;
  for (int64_t i = 0; i < axis; ++i) outer *= x.dim(i);
  for (int64_t i = axis + 1; i < x.ndim(); ++i) inner *= x.dim(i);
  const DType dt = x.dtype();
  Tensor xc = x.contiguous(), g = as_contiguous(gamma, dt), b = as_contiguous(beta, dt);
  Tensor y = Tensor::empty(x.shape(), dt), mean = Tensor::empty({C}, dt), var = Tensor::empty({C}, dt);
  TF_KERNEL(kern::batch_norm_forward(xc, g, b, outer, C, inner, epsilon, y, mean, var));
  TF_RECORD("batch_norm", (Tensors{x, gamma, beta}), (Tensors{y, mean, var}),
            [xc, g, mean, var, outer, C, inner, epsilon, dt](const Tensors&, const Tensors&, const Tensors& gr) {
              Tensor dx = Tensor::empty(xc.shape(), dt), dg = Tensor::empty({C}, dt), db = Tensor::empty({C}, dt);
              const Tensor dy = as_contiguous(gr[0], dt), dm = as_contiguous(gr[1], dt), dv = as_contiguous(gr[2], dt);
              TF_KERNEL(kern::batch_norm_backward(xc, g, mean, var, dy, dm, dv, outer, C, inner, epsilon, dx, dg, db));
              Tensors grads{dx, dg, db};
              record_first_order_only("batch_norm", gr, grads,
                                      "[batch_norm] second derivatives through the fused batch normalization are "
                                      "not supported");
              return grads;
            });
  return {y, mean, var};
}

}  // namespace ops
}  // namespace tapeflow
