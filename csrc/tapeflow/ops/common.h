// Internal helpers for op implementations.
#pragma once
#include "tapeflow/autograd/tape.h"
#include "tapeflow/core/dispatch.h"
#include "tapeflow/graph/plan.h"
#include "tapeflow/ops/ops.h"

#include <optional>

namespace tapeflow {
namespace ops {

using autograd::Tensors;
void check_same_dtype(const char* op, const Tensor& a, const Tensor& b);
// For the rest of an op: new tensors are allocated on the device its inputs live on (restored when the op returns).
// Inputs on two devices raise InvalidArgument; Python's conversions copy tensors to the device in scope first, so
// ops from Python run where TensorFlow would place them.
class OpDevice {
 public:
  OpDevice(const char* op, const std::vector<const Tensor*>& inputs);
 private:
  std::optional<DeviceScope> scope_;
};
void check_floating(const char* op, const Tensor& x);
Shape reduced_shape(const Shape& s, const std::vector<bool>& mask, bool keepdims);
std::vector<bool> axes_mask(const Axes& axes, int64_t ndim, const char* op);
// x viewed with `shape` by NumPy broadcasting (stride 0 on expanded axes).
Tensor broadcast_view(const Tensor& x, const Shape& shape);

// x as a contiguous tensor of `dtype` (itself when it already is one); undefined stays undefined.
Tensor as_contiguous(const Tensor& x, DType dtype);
// For a gradient rule that is a fused kernel rather than public ops: records its results `grads` (computed
// from the incoming gradients `gout`) so that differentiating them again raises Unimplemented with `message`,
// instead of silently giving no second derivative.
void record_first_order_only(const char* op, const Tensors& gout, const Tensors& grads, const char* message);

inline Tensor f32(const Tensor& x) { return cast(x, DType::Float32); }
inline Tensor f16(const Tensor& x) { return cast(x, DType::Float16); }
// The gradient of a differentiable unary op from its input x, output y and the incoming gradient g (for the
// rules of fused ops that end in one).
Tensor unary_grad(cpu::UnaryOp op, const Tensor& x, const Tensor& y, const Tensor& g);

}  // namespace ops
}  // namespace tapeflow
