// Helpers shared by the op files: validation, broadcast views, shapes of reductions.
#include "tapeflow/ops/common.h"

#include <string>

namespace tapeflow {
namespace ops {

OpDevice::OpDevice(const char* op, const std::vector<const Tensor*>& inputs) {
  const Tensor* first = nullptr;
  for (const Tensor* t : inputs) {
    if (!t->defined()) continue;
    if (!first) first = t;
    else if (t->device() != first->device())
      throw InvalidArgument(std::string("[") + op + "] expects its inputs on one device, got tensors on " +
                            first->device().str() + " and " + t->device().str());
  }
  if (first && first->device() != current_device()) scope_.emplace(first->device());
}

void check_same_dtype(const char* op, const Tensor& a, const Tensor& b) {
  if (a.dtype() != b.dtype())
    throw InvalidArgument(std::string("[") + op + "] cannot compute " + op +
                          " as input #1(zero-based) was expected to be a " + dtype_name(a.dtype()) + " tensor but is a " +
                          dtype_name(b.dtype()) + " tensor");
}

void check_floating(const char* op, const Tensor& x) {
  if (!is_floating(x.dtype()))
    throw TypeError(std::string("[") + op + "] expects a floating-point tensor (float16, float32, float64), got " +
                    dtype_name(x.dtype()));
}

Tensor as_contiguous(const Tensor& x, DType dtype) {
  if (!x.defined()) return x;
  return (x.dtype() == dtype ? x : cast(x, dtype)).contiguous();
}

void record_first_order_only(const char* op, const Tensors& gout, const Tensors& grads, const char* message) {
  Tensors defined;
  for (const Tensor& t : grads)
    if (t.defined()) defined.push_back(t);
  TF_RECORD(op, gout, defined, [message](const Tensors&, const Tensors&, const Tensors&) -> Tensors {
    throw Unimplemented(message);
  });
}

Tensor broadcast_view(const Tensor& x, const Shape& shape) {
  if (x.shape() == shape) return x;
  const int64_t lead = static_cast<int64_t>(shape.size()) - x.ndim();
  Shape strides(shape.size(), 0);
  for (int64_t i = 0; i < x.ndim(); ++i)
    strides[lead + i] = x.dim(i) == 1 && shape[lead + i] != 1 ? 0 : x.strides()[i];
  return x.as_strided(shape, strides, x.offset());
}

Tensor contiguous_copy(const Tensor& x) {
  Tensor out = Tensor::empty(x.shape(), x.dtype(), x.device());
  TF_KERNEL(kern::copy(x, out));
  return out;
}

Tensor to_device(const Tensor& x, Device d) {
  if (!x.defined() || x.device() == d) return x;
  const Tensor src = x.contiguous();
  Tensor out = Tensor::empty(x.shape(), x.dtype(), d);
  const size_t n = static_cast<size_t>(x.numel()) * itemsize(x.dtype());
  if (n) TF_KERNEL(copy_bytes(out.raw_data(), out.device(), src.raw_data(), src.device(), n));
  out.storage()->host_constant = x.storage()->host_constant;
  TF_RECORD("to_device", {x}, {out}, [from = x.device()](const Tensors&, const Tensors&, const Tensors& g) {
    return Tensors{to_device(g[0], from)};
  });
  return out;
}

std::vector<bool> axes_mask(const Axes& axes, int64_t ndim, const char* op) {
  std::vector<bool> mask(static_cast<size_t>(ndim), !axes.has_value());
  if (axes)
    for (int64_t a : *axes) {
      int64_t n = normalize_axis(a, ndim, op);
      mask[static_cast<size_t>(n)] = true;
    }
  return mask;
}

Shape reduced_shape(const Shape& s, const std::vector<bool>& mask, bool keepdims) {
  Shape out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (!mask[i]) out.push_back(s[i]);
    else if (keepdims) out.push_back(1);
  }
  return out;
}

}  // namespace ops
}  // namespace tapeflow
