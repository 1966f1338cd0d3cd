// CPU kernel entry points. Operands are validated by the op layer: same shapes
// for elementwise kernels (broadcast operands are stride-0 views), matching
// dtypes, allocated outputs. Kernels never throw on values except where noted.
#pragma once
#include <cstdint>
#include <vector>

#include "tapeflow/core/tensor.h"
#include "tapeflow/cpu/gemm.h"

namespace tapeflow {
namespace cpu {

enum class UnaryOp {
  Neg, Abs, Sign, Sqrt, Rsqrt, Exp, Log, Log1p, Expm1, Tanh, Sigmoid, Relu, Erf, Softplus,
  Square, Sin, Cos, Reciprocal, Floor, Ceil, Round, LogicalNot, IsNan, IsInf, IsFinite
};
enum class BinaryOp {
  Add, Sub, Mul, Div, FloorDiv, Mod, Pow, Max, Min, Eq, Ne, Lt, Le, Gt, Ge, And, Or, Xor,
  ReluGrad  // internal: a = relu's input, b = the incoming gradient; b where a > 0, else 0
};
enum class ReduceOp { Sum, Prod, Max, Min, Any, All };

void fill_scalar(const Tensor& out, double v);
double read_scalar(const Tensor& t);
void copy(const Tensor& src, const Tensor& dst);  // same shape and dtype, any strides
void cast(const Tensor& src, const Tensor& dst);  // same shape
void unary(UnaryOp op, const Tensor& x, const Tensor& out);
// Integer division/modulo by zero and negative integer powers throw InvalidArgument.
void binary(BinaryOp op, const Tensor& a, const Tensor& b, const Tensor& out);
void where(const Tensor& cond, const Tensor& x, const Tensor& y, const Tensor& out);

// Whether t views one value (every axis of size 1 or stride 0: a scalar broadcast to the whole shape).
bool one_value(const Tensor& t);

// float32 maps over ranges of values: what unary() and binary() run on contiguous float32 operands, and what a
// fused chain of them runs (graph/fuse.cpp), so both give the same bits. Only for the ops whose _ok is true.
// f32_range_binary: steps sa, sb of 1 (a range) or 0 (one value for all). f32_range_grain: values per thread.
bool f32_range_unary_ok(UnaryOp op);
bool f32_range_binary_ok(BinaryOp op);
int64_t f32_range_grain(UnaryOp op);
void f32_range_unary(UnaryOp op, const float* x, float* o, int64_t n);
void f32_range_binary(BinaryOp op, const float* a, int64_t sa, const float* b, int64_t sb, float* o, int64_t n);

// Reduces contiguous `x` over `reduce_mask` (one flag per axis) into contiguous out.
void reduce(ReduceOp op, const Tensor& x, const std::vector<bool>& reduce_mask, const Tensor& out);
void arg_reduce(const Tensor& x, int64_t axis, bool is_max, const Tensor& out);
void cumulative(const Tensor& x, int64_t axis, bool exclusive, bool reverse, bool product, const Tensor& out);
// out (int64, x's shape): for each line along `axis` of contiguous x, the positions that sort it, stably
// (equal values keep their order), ascending or descending; NaN sorts above every number (last ascending, first
// descending), as NumPy puts it.
void argsort(const Tensor& x, int64_t axis, bool descending, const Tensor& out);
void softmax(const Tensor& x, int64_t axis, bool log, const Tensor& out);
// Softmax cross-entropy over the last axis of contiguous float logits (rows, C), fused: one pass per row, nothing
// kept between the forward and the backward kernel. Labels are class ids (int32/int64, (rows)) when `sparse`, else
// contiguous probabilities of the logits' dtype (rows, C). Sparse labels outside [0, C) throw InvalidArgument.
// loss (rows) = logsumexp(x) - x[label] (sparse) or sum_c labels_c (logsumexp(x) - x_c) (dense).
void softmax_xent(const Tensor& logits, const Tensor& labels, bool sparse, const Tensor& loss);
// out (rows, C) = (softmax(x) - labels) * g[row], labels one-hot when sparse; g (rows).
void softmax_xent_grad(const Tensor& logits, const Tensor& labels, bool sparse, const Tensor& g, const Tensor& out);
// Float class labels (contiguous float32/64) as int64 class ids, truncated as a cast would; a NaN or infinite
// label throws InvalidArgument (a cast would make it class 0).
void class_ids(const Tensor& labels, const Tensor& out);
// Sigmoid cross-entropy of contiguous float logits x and labels z of one shape, elementwise:
// loss = (max(x, 0) - x z) + log1p(exp(-|x|)); its gradient out = (sigmoid(x) - z) g.
void sigmoid_xent(const Tensor& logits, const Tensor& labels, const Tensor& loss);
void sigmoid_xent_grad(const Tensor& logits, const Tensor& labels, const Tensor& g, const Tensor& out);

// Fused optimizer step on contiguous float32/float64 operands of one shape, in place. On x86 the loops run with
// flush-to-zero and denormals-are-zero, as TensorFlow runs its CPU kernels (elsewhere only the moments are flushed).
// SGD: w -= lr g. Momentum (a = momentum): m = a m - lr g; w += m (Nesterov: w += a m - lr g).
// Adam (lr = the bias-corrected step size, a = 1 - beta_1, b = 1 - beta_2): m += (g - m) a;
// v += (g^2 - v) b; w -= lr m / (sqrt(v) + eps) (AdamAmsgrad uses vhat = max(vhat, v)).
// RMSprop (a = rho, b = 1 - rho): v = a v + b g^2; w -= lr g / sqrt(v + eps).
// Adagrad: acc += g^2; w -= lr g / sqrt(acc + eps).
enum class UpdateRule { SGD, Momentum, Nesterov, Adam, AdamAmsgrad, RMSprop, Adagrad };
struct UpdateParams { double lr, a, b, eps; };
int update_rule_slots(UpdateRule rule);
// One step over many variables (of one dtype) in one parallel pass over all their elements: vars[i], grads[i] and
// slots[i] as above. Each element's result equals that of a step over its variable alone.
void apply_update(UpdateRule rule, const std::vector<Tensor>& vars, const std::vector<Tensor>& grads,
                  const std::vector<std::vector<Tensor>>& slots, const UpdateParams& p);
// The same step for a gradient given as rows: values (n, row...) for rows `indices` (int64, n) of var. Duplicate
// rows are summed in order. The result equals the dense step on the scattered gradient: rules whose state decays
// (momentum, Adam, RMSprop) update every row, SGD and Adagrad only the given ones. Throws IndexError on a bad row.
void apply_sparse_update(UpdateRule rule, const Tensor& var, const Tensor& indices, const Tensor& values,
                         const std::vector<Tensor>& slots, const UpdateParams& p);

// A 2-D sliding window over contiguous NHWC input (N, H, W, C): window KH x KW, strides, dilations, and the
// top / left padding (bottom / right padding is implied by the output size OH x OW).
struct Window2D { int64_t N, H, W, C, KH, KW, OH, OW, sh, sw, dh, dw, pt, pl; };
// cols (N*OH*OW, KH*KW*C): each output position's window, zeros where it reaches into padding.
void im2col(const Tensor& x, const Window2D& w, const Tensor& cols);
// dx (zeroed by the caller, NHWC) += the windows in cols added back at their positions.
void col2im(const Tensor& cols, const Window2D& w, const Tensor& dx);
// out (N, OH, OW, C): the window maxima (NaN wins; -inf for a window entirely in padding); argmax (int32, same
// shape): the window tap (kh * KW + kw) of the first maximum, -1 for an all-padding window.
void max_pool2d(const Tensor& x, const Window2D& w, const Tensor& out, const Tensor& argmax);
// dx (zeroed) += g at each window's argmax tap.
void max_pool2d_grad(const Tensor& argmax, const Tensor& g, const Window2D& w, const Tensor& dx);
// Averages over the window positions inside the input (padding not counted).
void avg_pool2d(const Tensor& x, const Window2D& w, const Tensor& out);
void avg_pool2d_grad(const Tensor& g, const Window2D& w, const Tensor& dx);  // dx zeroed

// Whole-sequence recurrent layers over contiguous batch-major tensors (cpu/rnn.cpp). G gates: SimpleRNN 1,
// LSTM 4 (i, f, c, o), GRU 3 (z, r, h~; reset gate applied after the recurrent GEMM).
// xw (B, T, G*H): the input projection; u (H, G*H); rbias (G*H, may be undefined): added to h @ U (for GRU the
// recurrent bias; SimpleRNN and LSTM take their one bias here); h0, c0 (B, H); mask (B, T) of 0/1 (a 0
// step carries the states over) and rmask (B, H) (multiplies h_{t-1} before the GEMM) may be undefined.
// Writes hs (B, T, H), cs (LSTM cell states), saved (B, T, G*H: gate activations) and aux (B, T, H; LSTM:
// activation(c), GRU: h @ U_h + rbias_h; undefined for SimpleRNN).
enum class RnnCell { SimpleRNN, LSTM, GRU };
struct RnnSpec { RnnCell cell; Act act, rec_act; int64_t B, T, H; };
void rnn_forward(const RnnSpec& s, const Tensor& xw, const Tensor& u, const Tensor& rbias, const Tensor& h0,
                 const Tensor& c0, const Tensor& mask, const Tensor& rmask, const Tensor& hs, const Tensor& cs,
                 const Tensor& saved, const Tensor& aux);
// From the gradients of hs and cs (LSTM), writes those of xw, u, rbias (if defined), h0 and c0 (LSTM).
void rnn_backward(const RnnSpec& s, const Tensor& u, const Tensor& h0, const Tensor& c0, const Tensor& mask,
                  const Tensor& rmask, const Tensor& hs, const Tensor& cs, const Tensor& saved, const Tensor& aux,
                  const Tensor& dhs, const Tensor& dcs, const Tensor& dxw, const Tensor& du, const Tensor& drbias,
                  const Tensor& dh0, const Tensor& dc0);

// Batch normalization over contiguous x viewed as (outer, C, inner) (cpu/norm.cpp): mean and (biased) variance
// per channel, y = (x - mean) / sqrt(var + eps) * gamma + beta (gamma, beta may be undefined). The backward pass
// takes the gradients of y, mean and var (the last two may be undefined) and writes dx, dgamma and dbeta.
void batch_norm_forward(const Tensor& x, const Tensor& gamma, const Tensor& beta, int64_t outer, int64_t C,
                        int64_t inner, double eps, const Tensor& y, const Tensor& mean, const Tensor& var);
void batch_norm_backward(const Tensor& x, const Tensor& gamma, const Tensor& mean, const Tensor& var, const Tensor& dy,
                         const Tensor& dmean, const Tensor& dvar, int64_t outer, int64_t C, int64_t inner, double eps,
                         const Tensor& dx, const Tensor& dgamma, const Tensor& dbeta);

// out (M x N, contiguous, float32 or float64) = op(a) @ op(b) over 2-D operands of any strides, plus out's values
// when accumulating, then act(. + bias) (bias (N) may be undefined).
void gemm(const Tensor& a, bool ta, const Tensor& b, bool tb, const Tensor& out, bool accumulate, const Tensor& bias,
          Act act);
// Batched C[b] = op(A[b]) @ op(B[b]) for rank-3 views (batch broadcast by stride 0).
void matmul(const Tensor& a, const Tensor& b, bool transpose_a, bool transpose_b, const Tensor& out);

// out[b, o, n, i] = params[b, o, idx[b, n], i] (all contiguous). Throws on bad indices.
void gather(const Tensor& params, const Tensor& indices, int64_t batch, int64_t outer, int64_t inner, const Tensor& out);
// out (zeroed by caller) [b, o, idx[b, n], i] += g[b, o, n, i].
void gather_grad(const Tensor& g, const Tensor& indices, int64_t batch, int64_t outer, int64_t inner, const Tensor& out);
// params shape P[0..k) + rest; indices (..., k). Throws on bad indices.
void gather_nd(const Tensor& params, const Tensor& indices, const Tensor& out);
void scatter_nd_add(const Tensor& indices, const Tensor& updates, const Tensor& out);

void range_fill(const Tensor& out, double start, double delta);
// Philox-based fills; `key` selects the stream, element i always gets the same value.
void random_uniform(const Tensor& out, uint64_t key, double lo, double hi);
void random_normal(const Tensor& out, uint64_t key, double mean, double stddev, bool truncated);

}  // namespace cpu
}  // namespace tapeflow
