// Internal helpers for op implementations.
#pragma once
#include "tapeflow/autograd/tape.h"
#include "tapeflow/ops/ops.h"

namespace tapeflow {
namespace ops {

using autograd::Tensors;
void check_same_dtype(const char* op, const Tensor& a, const Tensor& b);
void check_cpu(const char* op, const Tensor& x);
void check_floating(const char* op, const Tensor& x);
Shape reduced_shape(const Shape& s, const std::vector<bool>& mask, bool keepdims);
std::vector<bool> axes_mask(const Axes& axes, int64_t ndim, const char* op);
// x viewed with `shape` by NumPy broadcasting (stride 0 on expanded axes).
Tensor broadcast_view(const Tensor& x, const Shape& shape);

inline Tensor f32(const Tensor& x) { return cast(x, DType::Float32); }
inline Tensor f16(const Tensor& x) { return cast(x, DType::Float16); }

}  // namespace ops
}  // namespace tapeflow
