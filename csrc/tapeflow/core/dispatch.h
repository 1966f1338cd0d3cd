// The device seam: one kernel table per device type, each entry with the signature of its CPU kernel in
// cpu/kernels.h. Ops call kern::<name>(...), which runs the entry of the device that holds the call's first defined
// tensor argument (all of an op's tensors live on one device; the op layer checks that). The CPU table is
// cpu/table.cpp; the CUDA table (cuda/table.cpp) holds CUDA kernels, and for entries without one yet, the CPU
// kernel run on host copies of the operands (slow, but the same results).
//
// Adding a kernel: add its name to TF_KERNEL_TABLE, declare and define it in cpu/, and (optionally) give it a CUDA
// kernel in cuda/table.cpp.
#pragma once
#include <type_traits>
#include <utility>
#include <vector>

#include "tapeflow/core/tensor.h"
#include "tapeflow/cpu/kernels.h"

#define TF_KERNEL_TABLE(X)                                                                                        \
  X(fill_scalar) X(read_scalar) X(copy) X(cast) X(unary) X(binary) X(where) X(reduce) X(arg_reduce) X(cumulative) \
  X(argsort) X(softmax) X(softmax_xent) X(softmax_xent_grad) X(class_ids) X(sigmoid_xent) X(sigmoid_xent_grad)    \
  X(apply_update) X(apply_sparse_update) X(im2col) X(col2im) X(max_pool2d) X(max_pool2d_grad) X(avg_pool2d)       \
  X(avg_pool2d_grad) X(rnn_forward) X(rnn_backward) X(batch_norm_forward) X(batch_norm_backward) X(matmul)        \
  X(gemm) X(gather) X(gather_grad) X(gather_nd) X(scatter_nd_add) X(range_fill) X(random_uniform) X(random_normal)

namespace tapeflow {

struct KernelTable {
#define TF_TABLE_ENTRY(name) decltype(&cpu::name) name;
  TF_KERNEL_TABLE(TF_TABLE_ENTRY)
#undef TF_TABLE_ENTRY
};

const KernelTable& cpu_kernel_table();
const KernelTable& cuda_kernel_table();
inline const KernelTable& kernel_table(Device d) { return d.type == Device::CPU ? cpu_kernel_table() : cuda_kernel_table(); }

namespace kern {
namespace detail {
inline const Tensor* first_tensor() { return nullptr; }
template <class A, class... R> const Tensor* first_tensor(const A& a, const R&... r) {
  using T = std::decay_t<A>;
  if constexpr (std::is_same_v<T, Tensor>) {
    if (a.defined()) return &a;
  } else if constexpr (std::is_same_v<T, std::vector<Tensor>>) {
    if (!a.empty() && a[0].defined()) return &a[0];
  }
  return first_tensor(r...);
}
template <class... A> const KernelTable& table_for(const A&... a) {
  const Tensor* t = first_tensor(a...);
  return kernel_table(t ? t->device() : Device{});
}
}  // namespace detail

#define TF_KERN_CALL(name)                                                   \
  template <class... A> decltype(auto) name(A&&... a) {                      \
    return detail::table_for(a...).name(std::forward<A>(a)...);             \
  }
TF_KERNEL_TABLE(TF_KERN_CALL)
#undef TF_KERN_CALL
}  // namespace kern

}  // namespace tapeflow
