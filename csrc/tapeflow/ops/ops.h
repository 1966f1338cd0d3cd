// Public ops: free functions that validate their arguments (errors start with
// "[op_name]"), infer the output shape and dtype, dispatch to the tensor's
// device backend and record themselves on the active tapes with one gradient
// rule each. Composite ops are written with other ops and need no rule.
// float16 tensors are computed in float32 and rounded back.
#pragma once
#include <functional>
#include <optional>
#include <vector>

#include "tapeflow/core/tensor.h"
#include "tapeflow/cpu/kernels.h"

namespace tapeflow {
namespace ops {

using Axes = std::optional<std::vector<int64_t>>;  // nullopt: all axes

// ---- creation
Tensor full(const Shape& shape, double value, DType dtype);
Tensor zeros(const Shape& shape, DType dtype);
Tensor ones(const Shape& shape, DType dtype);
Tensor zeros_like(const Tensor& x);
Tensor ones_like(const Tensor& x);
Tensor range(double start, double limit, double delta, DType dtype);
Tensor linspace(double start, double stop, int64_t num, DType dtype);
Tensor eye(int64_t rows, int64_t cols, DType dtype);
// `key` gives the Philox stream of each fill; it is called again at every replay of a captured step.
Tensor random_uniform(const Shape& shape, double minval, double maxval, DType dtype, std::function<uint64_t()> key);
Tensor random_normal(const Shape& shape, double mean, double stddev, DType dtype, std::function<uint64_t()> key,
                     bool truncated);

// ---- elementwise
Tensor unary(cpu::UnaryOp op, const Tensor& x);
Tensor add(const Tensor& a, const Tensor& b);
Tensor subtract(const Tensor& a, const Tensor& b);
Tensor multiply(const Tensor& a, const Tensor& b);
Tensor divide(const Tensor& a, const Tensor& b);  // same dtype; integers truncate
Tensor floordiv(const Tensor& a, const Tensor& b);
Tensor floormod(const Tensor& a, const Tensor& b);
Tensor pow(const Tensor& a, const Tensor& b);
Tensor maximum(const Tensor& a, const Tensor& b);
Tensor minimum(const Tensor& a, const Tensor& b);
Tensor compare(cpu::BinaryOp op, const Tensor& a, const Tensor& b);  // Eq..Ge
Tensor logical(cpu::BinaryOp op, const Tensor& a, const Tensor& b);  // And/Or/Xor
Tensor logical_not(const Tensor& x);
Tensor negative(const Tensor& x);
Tensor abs(const Tensor& x);
Tensor sign(const Tensor& x);
Tensor sqrt(const Tensor& x);
Tensor rsqrt(const Tensor& x);
Tensor exp(const Tensor& x);
Tensor log(const Tensor& x);
Tensor log1p(const Tensor& x);
Tensor expm1(const Tensor& x);
Tensor square(const Tensor& x);
Tensor tanh(const Tensor& x);
Tensor sigmoid(const Tensor& x);
Tensor relu(const Tensor& x);
Tensor erf(const Tensor& x);
Tensor softplus(const Tensor& x);
Tensor sin(const Tensor& x);
Tensor cos(const Tensor& x);
Tensor reciprocal(const Tensor& x);
Tensor where(const Tensor& cond, const Tensor& x, const Tensor& y);
Tensor cast(const Tensor& x, DType dtype);
Tensor identity(const Tensor& x);       // a fresh value, gradient passes through
Tensor stop_gradient(const Tensor& x);  // same data, never recorded

// composites
Tensor relu6(const Tensor& x);
Tensor leaky_relu(const Tensor& x, double alpha);
Tensor elu(const Tensor& x, double alpha);
Tensor selu(const Tensor& x);
Tensor gelu(const Tensor& x, bool approximate);
Tensor softsign(const Tensor& x);
Tensor swish(const Tensor& x);
Tensor clip_by_value(const Tensor& x, const Tensor& lo, const Tensor& hi);
Tensor squared_difference(const Tensor& a, const Tensor& b);
Tensor scalar_like(double v, const Tensor& like);

// ---- reductions and normalisers
Tensor reduce(cpu::ReduceOp op, const Tensor& x, const Axes& axes, bool keepdims);
Tensor reduce_sum(const Tensor& x, const Axes& axes, bool keepdims);
Tensor reduce_mean(const Tensor& x, const Axes& axes, bool keepdims);
Tensor reduce_variance(const Tensor& x, const Axes& axes, bool keepdims);
Tensor reduce_std(const Tensor& x, const Axes& axes, bool keepdims);
Tensor reduce_logsumexp(const Tensor& x, const Axes& axes, bool keepdims);
Tensor arg_reduce(const Tensor& x, int64_t axis, bool is_max, DType out_dtype);
Tensor cumsum(const Tensor& x, int64_t axis, bool exclusive, bool reverse);
// The int64 positions that sort x along axis (stable; NaN above every number); no gradient (an index).
Tensor argsort(const Tensor& x, int64_t axis, bool descending);
Tensor cumprod(const Tensor& x, int64_t axis, bool exclusive, bool reverse);
Tensor softmax(const Tensor& x, int64_t axis);
Tensor log_softmax(const Tensor& x, int64_t axis);
Tensor sigmoid_cross_entropy_with_logits(const Tensor& labels, const Tensor& logits);
Tensor softmax_cross_entropy_with_logits(const Tensor& labels, const Tensor& logits, int64_t axis);
Tensor sparse_softmax_cross_entropy_with_logits(const Tensor& labels, const Tensor& logits);
// Class labels of any real dtype as int64 ids; floats are checked in the kernel (also in a replayed step): NaN or
// infinite labels raise InvalidArgument instead of becoming class 0.
Tensor class_ids(const Tensor& labels);

// ---- linear algebra
Tensor matmul(const Tensor& a, const Tensor& b, bool transpose_a, bool transpose_b);
// act(x @ w + bias) in one GEMM with the bias and activation applied as each output tile is finished. x has
// rank >= 2 (leading axes are batch), w is (K, N), bias (N,) or undefined; act is Linear, Relu, Sigmoid, Tanh,
// Gelu or GeluTanh.
Tensor dense(const Tensor& x, const Tensor& w, const Tensor& bias, cpu::Act act);

// ---- shapes, views and indexing
Tensor reshape(const Tensor& x, const Shape& shape);  // one -1 allowed
Tensor transpose(const Tensor& x, const std::vector<int64_t>& perm);  // empty: reverse
Tensor broadcast_to(const Tensor& x, const Shape& shape);
Tensor expand_dims(const Tensor& x, int64_t axis);
Tensor squeeze(const Tensor& x, const std::vector<int64_t>& axes);  // empty: all size-1
Tensor reverse(const Tensor& x, const std::vector<int64_t>& axes);

struct SliceSpec {
  enum Kind { Index, Range, NewAxis, Ellipsis } kind;
  int64_t start = 0, stop = 0, step = 1;
  bool has_start = false, has_stop = false;
};
Tensor strided_slice(const Tensor& x, const std::vector<SliceSpec>& specs);
// The view strided_slice(x, specs) would take, for writing into.
Tensor slice_view(const Tensor& x, const std::vector<SliceSpec>& specs);
Tensor slice(const Tensor& x, const std::vector<int64_t>& begin, const std::vector<int64_t>& size);
Tensor concat(const std::vector<Tensor>& xs, int64_t axis);

// NHWC convolution (filters: height, width, in_channels / groups, out_channels) and pooling. pads: top, bottom,
// left, right. Gradients for input and filters (conv2d) and input (pooling).
Tensor conv2d(const Tensor& x, const Tensor& filters, const std::vector<int64_t>& strides,
              const std::vector<int64_t>& dilations, const std::vector<int64_t>& pads, int64_t groups);
// The transpose (input gradient) of conv2d: filters (height, width, out_channels, in_channels), output size given.
Tensor conv2d_transpose(const Tensor& x, const Tensor& filters, const std::vector<int64_t>& output_hw,
                        const std::vector<int64_t>& strides, const std::vector<int64_t>& dilations,
                        const std::vector<int64_t>& pads);
Tensor max_pool2d(const Tensor& x, const std::vector<int64_t>& ksize, const std::vector<int64_t>& strides,
                  const std::vector<int64_t>& pads);
Tensor avg_pool2d(const Tensor& x, const std::vector<int64_t>& ksize, const std::vector<int64_t>& strides,
                  const std::vector<int64_t>& pads);
// A recurrent layer over a whole sequence (see cpu::rnn_forward for the operands; rbias, c0, mask and rmask may be
// undefined where the cell has none). Returns {hs} or, for LSTM, {hs, cs}. Gradients for xw, u, rbias, h0, c0.
std::vector<Tensor> rnn_sequence(cpu::RnnCell cell, cpu::Act act, cpu::Act rec_act, const Tensor& xw,
                                 const Tensor& u, const Tensor& rbias, const Tensor& h0, const Tensor& c0,
                                 const Tensor& mask, const Tensor& rmask);
// Batch normalization with the batch's statistics over every axis but `axis`: {y, mean, variance} (mean and
// the biased variance have shape (C,)). gamma and beta (shape (C,)) may be undefined. First derivatives only.
std::vector<Tensor> batch_norm(const Tensor& x, const Tensor& gamma, const Tensor& beta, int64_t axis, double epsilon);
Tensor stack(const std::vector<Tensor>& xs, int64_t axis);
std::vector<Tensor> unstack(const Tensor& x, int64_t axis);
std::vector<Tensor> split(const Tensor& x, const std::vector<int64_t>& sizes, int64_t axis);
Tensor tile(const Tensor& x, const std::vector<int64_t>& multiples);
// mode: 0 CONSTANT, 1 REFLECT, 2 SYMMETRIC
Tensor pad(const Tensor& x, const std::vector<std::pair<int64_t, int64_t>>& paddings, int mode, double constant);
Tensor gather(const Tensor& params, const Tensor& indices, int64_t axis, int64_t batch_dims);
Tensor gather_nd(const Tensor& params, const Tensor& indices);
Tensor scatter_nd(const Tensor& indices, const Tensor& updates, const Shape& shape);
Tensor one_hot(const Tensor& indices, int64_t depth, double on_value, double off_value, int64_t axis, DType dtype);

Tensor contiguous_copy(const Tensor& x);  // always a new buffer
// x's values on device d (x itself when it is there); differentiable: the gradient goes back to x's device.
Tensor to_device(const Tensor& x, Device d);

}  // namespace ops
}  // namespace tapeflow
