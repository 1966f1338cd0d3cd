// Reductions, arg-reductions, scans, softmax and the cross-entropy losses.
#include <cmath>
#include <numeric>
#include <string>

#include "tapeflow/ops/common.h"

namespace tapeflow {
namespace ops {
namespace {

using cpu::ReduceOp;

const char* reduce_name(ReduceOp op) {
  switch (op) {
    case ReduceOp::Sum: return "reduce_sum";
    case ReduceOp::Prod: return "reduce_prod";
    case ReduceOp::Max: return "reduce_max";
    case ReduceOp::Min: return "reduce_min";
    case ReduceOp::Any: return "reduce_any";
    case ReduceOp::All: return "reduce_all";
  }
  return "reduce";
}

std::vector<int64_t> mask_axes(const std::vector<bool>& mask) {
  std::vector<int64_t> axes;
  for (size_t i = 0; i < mask.size(); ++i)
    if (mask[i]) axes.push_back(static_cast<int64_t>(i));
  return axes;
}

// Product of all other elements along the reduced axes, computed with
// exclusive scans so that zeros are handled exactly.
Tensor prod_others(const Tensor& x, const std::vector<bool>& mask) {
  std::vector<int64_t> perm;
  int64_t kept = 1, red = 1;
  for (size_t i = 0; i < mask.size(); ++i) if (!mask[i]) { perm.push_back(static_cast<int64_t>(i)); kept *= x.dim(i); }
  for (size_t i = 0; i < mask.size(); ++i) if (mask[i]) { perm.push_back(static_cast<int64_t>(i)); red *= x.dim(i); }
  Tensor xt = transpose(x, perm);
  Tensor flat = reshape(xt, {kept, red});
  Tensor others = multiply(cumprod(flat, 1, true, false), cumprod(flat, 1, true, true));
  std::vector<int64_t> inv(perm.size());
  for (size_t i = 0; i < perm.size(); ++i) inv[static_cast<size_t>(perm[i])] = static_cast<int64_t>(i);
  return transpose(reshape(others, xt.shape()), inv);
}

}  // namespace

Tensor reduce(ReduceOp op, const Tensor& x, const Axes& axes, bool keepdims) {
  const char* name = reduce_name(op);
  const OpDevice on_device(name, {&x});
  const bool logical = op == ReduceOp::Any || op == ReduceOp::All;
  if (logical != (x.dtype() == DType::Bool))
    throw TypeError(std::string("[") + name + "] " + (logical ? "expects a bool tensor" : "is not defined for bool tensors") +
                    ", got " + dtype_name(x.dtype()));
  std::vector<bool> mask = axes_mask(axes, x.ndim(), name);
  if (x.dtype() == DType::Float16) return f16(reduce(op, f32(x), axes, keepdims));
  Tensor out = Tensor::empty(reduced_shape(x.shape(), mask, keepdims), x.dtype());
  const Tensor xc = x.contiguous();
  TF_KERNEL(kern::reduce(op, xc, mask, out));
  if (op == ReduceOp::Any || op == ReduceOp::All) return out;
  TF_RECORD(name, {x}, {out}, [op, mask](const Tensors& in, const Tensors& o, const Tensors& g) {
    const Tensor& x = in[0];
    const Shape keep = reduced_shape(x.shape(), mask, true);
    Tensor gk = reshape(g[0], keep);
    switch (op) {
      case ReduceOp::Sum: return Tensors{broadcast_to(gk, x.shape())};
      case ReduceOp::Prod: return Tensors{multiply(gk, prod_others(x, mask))};
      default: {  // max / min: shared equally among the elements that attain it
        Tensor hit = cast(compare(cpu::BinaryOp::Eq, x, reshape(o[0], keep)), x.dtype());
        Tensor count = reduce_sum(hit, mask_axes(mask), true);
        return Tensors{divide(multiply(gk, hit), count)};
      }
    }
  });
  return out;
}

Tensor reduce_sum(const Tensor& x, const Axes& axes, bool keepdims) { return reduce(ReduceOp::Sum, x, axes, keepdims); }

Tensor reduce_mean(const Tensor& x, const Axes& axes, bool keepdims) {
  std::vector<bool> mask = axes_mask(axes, x.ndim(), "reduce_mean");
  int64_t count = 1;
  for (size_t i = 0; i < mask.size(); ++i) if (mask[i]) count *= x.dim(i);
  if (!is_floating(x.dtype()) && x.dtype() != DType::Bool) {
    // Integers: summed in int64 (a uint8 image of 200s, or three int32 2^30s, must not wrap), divided rounding
    // toward zero as TensorFlow does, and cast back (the mean always fits).
    Tensor s = reduce_sum(cast(x, DType::Int64), axes, keepdims);
    if (count > 0) s = divide(s, scalar_like(static_cast<double>(count), s));
    return cast(s, x.dtype());
  }
  Tensor s = reduce_sum(x, axes, keepdims);
  return divide(s, scalar_like(static_cast<double>(count), s));
}

Tensor reduce_variance(const Tensor& x, const Axes& axes, bool keepdims) {
  check_floating("reduce_variance", x);
  Tensor centered = subtract(x, reduce_mean(x, axes, true));
  return reduce_mean(square(centered), axes, keepdims);
}

Tensor reduce_std(const Tensor& x, const Axes& axes, bool keepdims) { return sqrt(reduce_variance(x, axes, keepdims)); }

Tensor reduce_logsumexp(const Tensor& x, const Axes& axes, bool keepdims) {
  check_floating("reduce_logsumexp", x);
  Tensor m = stop_gradient(reduce(ReduceOp::Max, x, axes, true));
  m = where(unary(cpu::UnaryOp::IsFinite, m), m, zeros_like(m));
  Tensor r = add(log(reduce_sum(exp(subtract(x, m)), axes, true)), m);
  if (keepdims) return r;
  return reshape(r, reduced_shape(x.shape(), axes_mask(axes, x.ndim(), "reduce_logsumexp"), false));
}

Tensor arg_reduce(const Tensor& x, int64_t axis, bool is_max, DType out_dtype) {
  const char* name = is_max ? "argmax" : "argmin";
  const OpDevice on_device(name, {&x});
  if (x.dtype() == DType::Bool) throw TypeError(std::string("[") + name + "] is not defined for bool tensors");
  if (out_dtype != DType::Int32 && out_dtype != DType::Int64)
    throw TypeError(std::string("[") + name + "] output_type must be int32 or int64");
  if (x.dtype() == DType::Float16) return arg_reduce(f32(x), axis, is_max, out_dtype);
  if (x.ndim() == 0) throw InvalidArgument(std::string("[") + name + "] expects a tensor of rank >= 1, got a scalar");
  axis = normalize_axis(axis, x.ndim(), name);
  if (x.dim(axis) == 0)
    throw InvalidArgument(std::string("[") + name + "] Reduction axis " + std::to_string(axis) + " is empty in shape " +
                          shape_str(x.shape()));
  Shape os = x.shape();
  os.erase(os.begin() + axis);
  Tensor out = Tensor::empty(os, DType::Int64);
  const Tensor xc = x.contiguous();
  TF_KERNEL(kern::arg_reduce(xc, axis, is_max, out));
  return out_dtype == DType::Int64 ? out : cast(out, out_dtype);
}

Tensor argsort(const Tensor& x, int64_t axis, bool descending) {
  const OpDevice on_device("argsort", {&x});
  if (x.dtype() == DType::Bool) throw TypeError("[argsort] is not defined for bool tensors");
  if (x.dtype() == DType::Float16) return argsort(f32(x), axis, descending);
  if (x.ndim() == 0) throw InvalidArgument("[argsort] expects a tensor of rank >= 1, got a scalar");
  axis = normalize_axis(axis, x.ndim(), "argsort");
  Tensor out = Tensor::empty(x.shape(), DType::Int64);
  const Tensor xc = x.contiguous();
  if (x.numel()) TF_KERNEL(kern::argsort(xc, axis, descending, out));
  return out;
}

static Tensor scan(const Tensor& x, int64_t axis, bool exclusive, bool reverse, bool product) {
  const char* name = product ? "cumprod" : "cumsum";
  const OpDevice on_device(name, {&x});
  if (x.dtype() == DType::Bool) throw TypeError(std::string("[") + name + "] is not defined for bool tensors");
  if (x.dtype() == DType::Float16) return f16(scan(f32(x), axis, exclusive, reverse, product));
  axis = normalize_axis(axis, x.ndim(), name);
  Tensor out = Tensor::empty(x.shape(), x.dtype());
  const Tensor xc = x.contiguous();
  TF_KERNEL(kern::cumulative(xc, axis, exclusive, reverse, product, out));
  TF_RECORD(name, {x}, {out}, [=](const Tensors& in, const Tensors& o, const Tensors& g) {
    if (!product) return Tensors{cumsum(g[0], axis, exclusive, !reverse)};
    return Tensors{divide(cumsum(multiply(g[0], o[0]), axis, exclusive, !reverse), in[0])};
  });
  return out;
}

Tensor cumsum(const Tensor& x, int64_t axis, bool exclusive, bool reverse) { return scan(x, axis, exclusive, reverse, false); }
Tensor cumprod(const Tensor& x, int64_t axis, bool exclusive, bool reverse) { return scan(x, axis, exclusive, reverse, true); }

static Tensor softmax_impl(const Tensor& x, int64_t axis, bool log) {
  const char* name = log ? "log_softmax" : "softmax";
  const OpDevice on_device(name, {&x});
  check_floating(name, x);
  if (x.dtype() == DType::Float16) return f16(softmax_impl(f32(x), axis, log));
  if (x.ndim() == 0) throw InvalidArgument(std::string("[") + name + "] expects a tensor of rank >= 1, got a scalar");
  axis = normalize_axis(axis, x.ndim(), name);
  Tensor out = Tensor::empty(x.shape(), x.dtype());
  const Tensor xc = x.contiguous();
  TF_KERNEL(kern::softmax(xc, axis, log, out));
  TF_RECORD(name, {x}, {out}, [=](const Tensors&, const Tensors& o, const Tensors& g) {
    std::vector<int64_t> ax{axis};
    if (log) return Tensors{subtract(g[0], multiply(exp(o[0]), reduce_sum(g[0], ax, true)))};
    return Tensors{multiply(o[0], subtract(g[0], reduce_sum(multiply(g[0], o[0]), ax, true)))};
  });
  return out;
}

Tensor softmax(const Tensor& x, int64_t axis) { return softmax_impl(x, axis, false); }
Tensor log_softmax(const Tensor& x, int64_t axis) { return softmax_impl(x, axis, true); }

namespace {

// (softmax(logits) - labels) * g[..., None] over the last axis (labels one-hot when sparse): the fused loss's
// gradient, itself differentiable.
Tensor softmax_xent_grad(const Tensor& logits, const Tensor& labels, bool sparse, const Tensor& g) {
  Tensor out = Tensor::empty(logits.shape(), logits.dtype());
  const Tensor x = logits.contiguous(), y = labels.contiguous(), gc = g.contiguous();
  TF_KERNEL(kern::softmax_xent_grad(x, y, sparse, gc, out));
  TF_RECORD("softmax_xent_grad", sparse ? Tensors{logits, g} : Tensors{logits, g, labels}, {out},
            [=](const Tensors& in, const Tensors&, const Tensors& h) {
              // With p = softmax(x) and u = h * g: dx = p (u - sum(u p)), dg = sum((p - y) h), dy = -u.
              const Tensor &xi = in[0], &gi = in[1];
              const std::vector<int64_t> last{-1};
              const Tensor p = softmax(xi, -1), u = multiply(h[0], expand_dims(gi, -1));
              const Tensor dx = multiply(p, subtract(u, reduce_sum(multiply(u, p), last, true)));
              const Tensor dg = reduce_sum(multiply(softmax_xent_grad(xi, sparse ? labels : in[2], sparse,
                                                                      ones_like(gi)), h[0]), last, false);
              return sparse ? Tensors{dx, dg} : Tensors{dx, dg, negative(u)};
            });
  return out;
}

// Softmax cross-entropy over the last axis in one kernel (cpu::softmax_xent); its gradient is one more.
Tensor softmax_xent(const Tensor& logits, const Tensor& labels, bool sparse) {
  const OpDevice on_device(sparse ? "sparse_softmax_cross_entropy_with_logits" : "softmax_cross_entropy_with_logits", {&logits, &labels});
  if (logits.dtype() == DType::Float16) return f16(softmax_xent(f32(logits), sparse ? labels : f32(labels), sparse));
  Tensor loss = Tensor::empty(Shape(logits.shape().begin(), logits.shape().end() - 1), logits.dtype());
  const Tensor x = logits.contiguous(), y = labels.contiguous();
  TF_KERNEL(kern::softmax_xent(x, y, sparse, loss));
  TF_RECORD(sparse ? "sparse_softmax_cross_entropy_with_logits" : "softmax_cross_entropy_with_logits",
            sparse ? Tensors{logits} : Tensors{logits, labels}, {loss},
            [=](const Tensors& in, const Tensors&, const Tensors& g) {
              Tensors grads{autograd::input_needed(0) ? softmax_xent_grad(in[0], sparse ? labels : in[1], sparse, g[0])
                                                      : Tensor()};
              if (!sparse)  // d/dlabels = -log_softmax(x) g
                grads.push_back(autograd::input_needed(1)
                                    ? multiply(negative(log_softmax(in[0], -1)), expand_dims(g[0], -1))
                                    : Tensor());
              return grads;
            });
  return loss;
}

// (sigmoid(x) - z) g, elementwise: the fused sigmoid cross-entropy's gradient, itself differentiable.
Tensor sigmoid_xent_grad(const Tensor& logits, const Tensor& labels, const Tensor& g) {
  Tensor out = Tensor::empty(logits.shape(), logits.dtype());
  const Tensor x = logits.contiguous(), z = labels.contiguous(), gc = g.contiguous();
  TF_KERNEL(kern::sigmoid_xent_grad(x, z, gc, out));
  TF_RECORD("sigmoid_xent_grad", {logits, labels, g}, {out}, [](const Tensors& in, const Tensors&, const Tensors& h) {
    // With s = sigmoid(x): dx = s (1 - s) g h, dz = -g h, dg = (s - z) h.
    const Tensor s = sigmoid(in[0]), gh = multiply(in[2], h[0]);
    return Tensors{multiply(multiply(s, subtract(ones_like(s), s)), gh), negative(gh),
                   multiply(subtract(s, in[1]), h[0])};
  });
  return out;
}

}  // namespace

Tensor sigmoid_cross_entropy_with_logits(const Tensor& labels, const Tensor& logits) {
  check_floating("sigmoid_cross_entropy_with_logits", logits);
  const OpDevice on_device("sigmoid_cross_entropy_with_logits", {&logits, &labels});
  if (labels.shape() != logits.shape())
    throw ValueError("[sigmoid_cross_entropy_with_logits] logits and labels must have the same shape " +
                     shape_str(logits.shape()) + " vs " + shape_str(labels.shape()));
  const Tensor z = labels.dtype() == logits.dtype() ? labels : cast(labels, logits.dtype());
  if (logits.dtype() == DType::Float16) return f16(sigmoid_cross_entropy_with_logits(f32(z), f32(logits)));
  // One kernel, max(x, 0) - x z + log1p(exp(-|x|)), stable for any x; its gradient is one more.
  Tensor loss = Tensor::empty(logits.shape(), logits.dtype());
  const Tensor x = logits.contiguous(), zc = z.contiguous();
  TF_KERNEL(kern::sigmoid_xent(x, zc, loss));
  TF_RECORD("sigmoid_cross_entropy_with_logits", {logits, z}, {loss},
            [](const Tensors& in, const Tensors&, const Tensors& g) {
              return Tensors{autograd::input_needed(0) ? sigmoid_xent_grad(in[0], in[1], g[0]) : Tensor(),
                             autograd::input_needed(1) ? negative(multiply(in[0], g[0])) : Tensor()};
            });
  return loss;
}

Tensor softmax_cross_entropy_with_logits(const Tensor& labels, const Tensor& logits, int64_t axis) {
  check_floating("softmax_cross_entropy_with_logits", logits);
  if (labels.shape() != logits.shape())
    throw ValueError("[softmax_cross_entropy_with_logits] logits and labels must have the same shape " +
                     shape_str(logits.shape()) + " vs " + shape_str(labels.shape()));
  if (logits.ndim() == 0)
    throw InvalidArgument("[softmax_cross_entropy_with_logits] expects logits of rank >= 1, got a scalar");
  axis = normalize_axis(axis, logits.ndim(), "softmax_cross_entropy_with_logits");
  const Tensor y = labels.dtype() == logits.dtype() ? labels : cast(labels, logits.dtype());
  if (axis == logits.ndim() - 1) return softmax_xent(logits, y, false);
  std::vector<int64_t> ax{axis};
  return negative(reduce_sum(multiply(y, log_softmax(logits, axis)), ax, false));
}

Tensor class_ids(const Tensor& labels) {
  if (!is_floating(labels.dtype())) return cast(labels, DType::Int64);
  const OpDevice on_device("class_ids", {&labels});
  const Tensor y = labels.dtype() == DType::Float16 ? cast(labels, DType::Float32) : labels.contiguous();
  Tensor ids = Tensor::empty(labels.shape(), DType::Int64);
  TF_KERNEL(kern::class_ids(y, ids));
  return ids;
}

Tensor sparse_softmax_cross_entropy_with_logits(const Tensor& labels, const Tensor& logits) {
  check_floating("sparse_softmax_cross_entropy_with_logits", logits);
  if (labels.dtype() != DType::Int32 && labels.dtype() != DType::Int64)
    throw TypeError(std::string("[sparse_softmax_cross_entropy_with_logits] labels must be int32 or int64, got ") +
                    dtype_name(labels.dtype()));
  if (logits.ndim() == 0 || labels.ndim() != logits.ndim() - 1 ||
      !std::equal(labels.shape().begin(), labels.shape().end(), logits.shape().begin()))
    throw InvalidArgument("[sparse_softmax_cross_entropy_with_logits] labels shape " + shape_str(labels.shape()) +
                          " must equal logits shape without its last dimension " + shape_str(logits.shape()));
  return softmax_xent(logits, labels, true);
}

}  // namespace ops
}  // namespace tapeflow
