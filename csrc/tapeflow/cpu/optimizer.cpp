// Fused optimizer updates: one pass over a variable, its gradient and its slot
// variables, in place. Layout: all operands contiguous, same shape and dtype
// (float32 or float64), computed in that dtype in the same order of operations as
// the equivalent sequence of elementwise ops. Elementwise, so the result does not
// depend on the thread count.
//
// Slot values that decay below the smallest normal number are flushed to zero
// (as TensorFlow's flush-to-zero mode does): a gradient that stays 0, such as
// that of a weight on an always-black pixel, would otherwise leave moments
// decaying through the subnormal range, where arithmetic is ~100x slower.
#include <cmath>
#include <limits>

#include "tapeflow/core/threadpool.h"
#include "tapeflow/cpu/kernels.h"

namespace tapeflow {
namespace cpu {
namespace {

template <class T>
inline T flush(T x) {
  return std::fabs(x) < std::numeric_limits<T>::min() ? T(0) : x;
}

template <class T>
void update_range(UpdateRule rule, T* w, const T* g, T* s0, T* s1, T* s2, const UpdateParams& p, int64_t lo,
                  int64_t hi) {
  const T lr = static_cast<T>(p.lr), a = static_cast<T>(p.a), b = static_cast<T>(p.b), eps = static_cast<T>(p.eps);
  switch (rule) {
    case UpdateRule::SGD:
      for (int64_t i = lo; i < hi; ++i) w[i] -= g[i] * lr;
      break;
    case UpdateRule::Momentum:
      for (int64_t i = lo; i < hi; ++i) { s0[i] = flush(s0[i] * a - g[i] * lr); w[i] += s0[i]; }
      break;
    case UpdateRule::Nesterov:
      for (int64_t i = lo; i < hi; ++i) { s0[i] = flush(s0[i] * a - g[i] * lr); w[i] += s0[i] * a - g[i] * lr; }
      break;
    case UpdateRule::Adam:
      for (int64_t i = lo; i < hi; ++i) {
        s0[i] = flush(s0[i] + (g[i] - s0[i]) * a);
        s1[i] = flush(s1[i] + (g[i] * g[i] - s1[i]) * b);
        w[i] -= (s0[i] * lr) / (std::sqrt(s1[i]) + eps);
      }
      break;
    case UpdateRule::AdamAmsgrad:
      for (int64_t i = lo; i < hi; ++i) {
        s0[i] = flush(s0[i] + (g[i] - s0[i]) * a);
        s1[i] = flush(s1[i] + (g[i] * g[i] - s1[i]) * b);
        s2[i] = s2[i] > s1[i] ? s2[i] : s1[i];
        w[i] -= (s0[i] * lr) / (std::sqrt(s2[i]) + eps);
      }
      break;
    case UpdateRule::RMSprop:
      for (int64_t i = lo; i < hi; ++i) {
        s0[i] = flush(s0[i] * a + (g[i] * g[i]) * b);
        w[i] -= (g[i] * lr) / std::sqrt(s0[i] + eps);
      }
      break;
    case UpdateRule::Adagrad:
      for (int64_t i = lo; i < hi; ++i) {
        s0[i] += g[i] * g[i];
        w[i] -= (g[i] * lr) / std::sqrt(s0[i] + eps);
      }
      break;
  }
}

template <class T>
void update_typed(UpdateRule rule, const Tensor& var, const Tensor& grad, const std::vector<Tensor>& slots,
                  const UpdateParams& p) {
  T* w = var.data<T>();
  const T* g = grad.data<T>();
  T* s[3] = {nullptr, nullptr, nullptr};
  for (size_t i = 0; i < slots.size() && i < 3; ++i) s[i] = slots[i].data<T>();
  parallel_for(var.numel(), 1 << 15, [&](int64_t lo, int64_t hi) { update_range<T>(rule, w, g, s[0], s[1], s[2], p, lo, hi); });
}

}  // namespace

int update_rule_slots(UpdateRule rule) {
  switch (rule) {
    case UpdateRule::SGD: return 0;
    case UpdateRule::Momentum: case UpdateRule::Nesterov: case UpdateRule::RMSprop: case UpdateRule::Adagrad: return 1;
    case UpdateRule::Adam: return 2;
    case UpdateRule::AdamAmsgrad: return 3;
  }
  return 0;
}

void apply_update(UpdateRule rule, const Tensor& var, const Tensor& grad, const std::vector<Tensor>& slots,
                  const UpdateParams& p) {
  if (var.dtype() == DType::Float32) update_typed<float>(rule, var, grad, slots, p);
  else update_typed<double>(rule, var, grad, slots, p);
}

}  // namespace cpu
}  // namespace tapeflow
