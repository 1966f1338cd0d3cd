// CUDA kernels with the signatures of their CPU counterparts (cpu/kernels.h), for the CUDA kernel table
// (cuda/table.cpp). Each returns false, having done nothing, for arguments it does not handle (a dtype, more than
// 8 axes); the table then runs the CPU kernel on host copies instead.
#pragma once
#include <vector>

#include "tapeflow/cpu/kernels.h"

namespace tapeflow {
namespace cuda {

bool fill_scalar(const Tensor& out, double v);
bool read_scalar(const Tensor& t, double* value);
bool copy(const Tensor& src, const Tensor& dst);
bool cast(const Tensor& src, const Tensor& dst);
bool unary(cpu::UnaryOp op, const Tensor& x, const Tensor& out);
bool binary(cpu::BinaryOp op, const Tensor& a, const Tensor& b, const Tensor& out);
bool where(const Tensor& cond, const Tensor& x, const Tensor& y, const Tensor& out);
bool range_fill(const Tensor& out, double start, double delta);
bool random_uniform(const Tensor& out, uint64_t key, double lo, double hi);
bool random_normal(const Tensor& out, uint64_t key, double mean, double stddev, bool truncated);
bool reduce(cpu::ReduceOp op, const Tensor& x, const std::vector<bool>& mask, const Tensor& out);
bool softmax(const Tensor& x, int64_t axis, bool log, const Tensor& out);
bool softmax_xent(const Tensor& logits, const Tensor& labels, bool sparse, const Tensor& loss);
bool softmax_xent_grad(const Tensor& logits, const Tensor& labels, bool sparse, const Tensor& g, const Tensor& out);
bool sigmoid_xent(const Tensor& logits, const Tensor& labels, const Tensor& loss);
bool sigmoid_xent_grad(const Tensor& logits, const Tensor& labels, const Tensor& g, const Tensor& out);
bool gather(const Tensor& params, const Tensor& indices, int64_t batch, int64_t outer, int64_t inner, const Tensor& out);
bool arg_reduce(const Tensor& x, int64_t axis, bool is_max, const Tensor& out);
bool cumulative(const Tensor& x, int64_t axis, bool exclusive, bool reverse, bool product, const Tensor& out);
bool im2col(const Tensor& x, const cpu::Window2D& w, const Tensor& cols);
bool col2im(const Tensor& cols, const cpu::Window2D& w, const Tensor& dx);
bool max_pool2d(const Tensor& x, const cpu::Window2D& w, const Tensor& out, const Tensor& argmax);
bool max_pool2d_grad(const Tensor& argmax, const Tensor& g, const cpu::Window2D& w, const Tensor& dx);
bool avg_pool2d(const Tensor& x, const cpu::Window2D& w, const Tensor& out);
bool avg_pool2d_grad(const Tensor& g, const cpu::Window2D& w, const Tensor& dx);
bool batch_norm_forward(const Tensor& x, const Tensor& gamma, const Tensor& beta, int64_t outer, int64_t C,
                        int64_t inner, double eps, const Tensor& y, const Tensor& mean, const Tensor& var);
bool batch_norm_backward(const Tensor& x, const Tensor& gamma, const Tensor& mean, const Tensor& var, const Tensor& dy,
                         const Tensor& dmean, const Tensor& dvar, int64_t outer, int64_t C, int64_t inner, double eps,
                         const Tensor& dx, const Tensor& dgamma, const Tensor& dbeta);
bool apply_update(cpu::UpdateRule rule, const std::vector<Tensor>& vars, const std::vector<Tensor>& grads,
                  const std::vector<std::vector<Tensor>>& slots, const cpu::UpdateParams& p);
bool matmul(const Tensor& a, const Tensor& b, bool ta, bool tb, const Tensor& out);
bool gemm(const Tensor& a, bool ta, const Tensor& b, bool tb, const Tensor& out, bool accumulate, const Tensor& bias,
          cpu::Act act);
// out (M x N, contiguous) = act(out + bias[n]) (bias may be undefined).
bool bias_act(const Tensor& out, const Tensor& bias, cpu::Act act);

}  // namespace cuda
}  // namespace tapeflow
