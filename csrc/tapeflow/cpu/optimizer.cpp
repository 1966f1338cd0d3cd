// Fused optimizer updates: one pass over a variable, its gradient and its slot
// variables, in place. Layout: all operands contiguous, same shape and dtype
// (float32 or float64), computed in that dtype in the same order of operations as
// the equivalent sequence of elementwise ops. Elementwise, so the result does not
// depend on the thread count.
//
// Subnormal numbers are flushed to zero, as in TensorFlow, whose CPU kernels run
// in flush-to-zero and denormals-are-zero mode: a gradient that stays 0, such as
// that of a weight on an always-black pixel, would otherwise leave moments (and
// the products of them) decaying through the subnormal range, where x86
// arithmetic takes a microcode assist ~100x slower than normal. On x86 the loops
// set that mode (ScopedFlushDenormal); the moments are flushed explicitly too, for
// the platforms without it.
#include <cmath>
#include <algorithm>
#include <limits>
#include <string>
#include <vector>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

#include "tapeflow/core/threadpool.h"
#include "tapeflow/cpu/kernels.h"
#include "tapeflow/cpu/simd.h"

namespace tapeflow {
namespace cpu {
namespace {

// Flush-to-zero and denormals-are-zero for this thread while in scope (the MXCSR FTZ and DAZ bits).
class ScopedFlushDenormal {
 public:
#if defined(__x86_64__) || defined(__i386__)
  ScopedFlushDenormal() : saved_(_mm_getcsr()) { _mm_setcsr(saved_ | 0x8040); }  // FTZ (bit 15), DAZ (bit 6)
  ~ScopedFlushDenormal() { _mm_setcsr(saved_); }

 private:
  unsigned saved_;
#else
  ScopedFlushDenormal() {}  // user-provided, so a scope guard that does nothing is not an unused variable
#endif
};

template <class T>
inline T flush(T x) {
  return std::fabs(x) < std::numeric_limits<T>::min() ? T(0) : x;
}

// The operands never overlap; with -fno-math-errno (CMakeLists.txt) these loops vectorise, in one clone per ISA
// (update_range below). Vector sqrt and division round as the scalar ones do: the same bits on every ISA.
template <class T>
TF_INLINE void update_body(UpdateRule rule, T* __restrict w, const T* __restrict g, T* __restrict s0, T* __restrict s1,
                  T* __restrict s2, const UpdateParams& p, int64_t lo, int64_t hi) {
  const T lr = static_cast<T>(p.lr), a = static_cast<T>(p.a), b = static_cast<T>(p.b), eps = static_cast<T>(p.eps);
  switch (rule) {
    case UpdateRule::SGD:
      for (int64_t i = lo; i < hi; ++i) w[i] -= g[i] * lr;
      break;
    case UpdateRule::Momentum:
      for (int64_t i = lo; i < hi; ++i) {
        const T m = flush(s0[i] * a - g[i] * lr);
        s0[i] = m;
        w[i] += m;
      }
      break;
    case UpdateRule::Nesterov:
      for (int64_t i = lo; i < hi; ++i) {
        const T m = flush(s0[i] * a - g[i] * lr);
        s0[i] = m;
        w[i] += m * a - g[i] * lr;
      }
      break;
    case UpdateRule::Adam:
      for (int64_t i = lo; i < hi; ++i) {
        const T gi = g[i], m = flush(s0[i] + (gi - s0[i]) * a), v = flush(s1[i] + (gi * gi - s1[i]) * b);
        s0[i] = m;
        s1[i] = v;
        w[i] -= (m * lr) / (std::sqrt(v) + eps);
      }
      break;
    case UpdateRule::AdamAmsgrad:
      for (int64_t i = lo; i < hi; ++i) {
        const T gi = g[i], m = flush(s0[i] + (gi - s0[i]) * a), v = flush(s1[i] + (gi * gi - s1[i]) * b);
        const T vhat = s2[i] > v ? s2[i] : v;
        s0[i] = m;
        s1[i] = v;
        s2[i] = vhat;
        w[i] -= (m * lr) / (std::sqrt(vhat) + eps);
      }
      break;
    case UpdateRule::RMSprop:
      for (int64_t i = lo; i < hi; ++i) {
        const T gi = g[i], v = flush(s0[i] * a + (gi * gi) * b);
        s0[i] = v;
        w[i] -= (gi * lr) / std::sqrt(v + eps);
      }
      break;
    case UpdateRule::Adagrad:
      for (int64_t i = lo; i < hi; ++i) {
        const T gi = g[i], acc = s0[i] + gi * gi;
        s0[i] = acc;
        w[i] -= (gi * lr) / std::sqrt(acc + eps);
      }
      break;
  }
}

TF_SIMD_CLONES void update_range_f32(UpdateRule rule, float* w, const float* g, float* s0, float* s1, float* s2,
                                     const UpdateParams& p, int64_t lo, int64_t hi) {
  update_body<float>(rule, w, g, s0, s1, s2, p, lo, hi);
}
TF_SIMD_CLONES void update_range_f64(UpdateRule rule, double* w, const double* g, double* s0, double* s1, double* s2,
                                     const UpdateParams& p, int64_t lo, int64_t hi) {
  update_body<double>(rule, w, g, s0, s1, s2, p, lo, hi);
}
void update_range(UpdateRule rule, float* w, const float* g, float* s0, float* s1, float* s2, const UpdateParams& p,
                  int64_t lo, int64_t hi) {
  update_range_f32(rule, w, g, s0, s1, s2, p, lo, hi);
}
void update_range(UpdateRule rule, double* w, const double* g, double* s0, double* s1, double* s2,
                  const UpdateParams& p, int64_t lo, int64_t hi) {
  update_range_f64(rule, w, g, s0, s1, s2, p, lo, hi);
}

// The variables' elements as one range: threads split it evenly, whatever the variables' sizes, in one fork/join.
template <class T>
void update_typed(UpdateRule rule, const std::vector<Tensor>& vars, const std::vector<Tensor>& grads,
                  const std::vector<std::vector<Tensor>>& slots, const UpdateParams& p) {
  struct Operands { T* w; const T* g; T* s[3]; int64_t begin, end; };
  std::vector<Operands> ops(vars.size());
  int64_t total = 0;
  for (size_t i = 0; i < vars.size(); ++i) {
    Operands& o = ops[i];
    o = {vars[i].data<T>(), grads[i].data<T>(), {nullptr, nullptr, nullptr}, total, total + vars[i].numel()};
    for (size_t j = 0; j < slots[i].size() && j < 3; ++j) o.s[j] = slots[i][j].data<T>();
    total = o.end;
  }
  parallel_for(total, 1 << 15, [&](int64_t lo, int64_t hi) {
    ScopedFlushDenormal ftz;
    auto it = std::upper_bound(ops.begin(), ops.end(), lo, [](int64_t x, const Operands& o) { return x < o.end; });
    for (; it != ops.end() && it->begin < hi; ++it)
      update_range(rule, it->w, it->g, it->s[0], it->s[1], it->s[2], p, std::max(lo, it->begin) - it->begin,
                   std::min(hi, it->end) - it->begin);
  });
}

template <class T>
void sparse_update_typed(UpdateRule rule, const Tensor& var, const Tensor& indices, const Tensor& values,
                         const std::vector<Tensor>& slots, const UpdateParams& p) {
  const int64_t rows = var.dim(0), width = rows > 0 ? var.numel() / rows : 0, n = indices.numel();
  const int64_t* idx = indices.data<int64_t>();
  const T* v = values.data<T>();
  // Sum duplicate rows in order of appearance: slot[r] is the row's place in `summed`, or -1.
  std::vector<int64_t> slot(rows, -1);
  std::vector<T> summed;
  for (int64_t i = 0; i < n; ++i) {
    const int64_t r = idx[i];
    if (r < 0 || r >= rows)
      throw IndexError("[apply_update] sparse gradient row " + std::to_string(r) + " is out of range [0, " +
                       std::to_string(rows) + ")");
    if (slot[r] < 0) {
      slot[r] = static_cast<int64_t>(summed.size()) / std::max<int64_t>(width, 1);
      summed.insert(summed.end(), v + i * width, v + (i + 1) * width);
      if (width == 0) slot[r] = 0;
    } else {
      T* dst = summed.data() + slot[r] * width;
      for (int64_t j = 0; j < width; ++j) dst[j] += v[i * width + j];
    }
  }
  const bool all_rows = rule != UpdateRule::SGD && rule != UpdateRule::Adagrad;
  const std::vector<T> zeros(width, T(0));
  T* w = var.data<T>();
  T* s[3] = {nullptr, nullptr, nullptr};
  for (size_t i = 0; i < slots.size() && i < 3; ++i) s[i] = slots[i].data<T>();
  parallel_for(rows, std::max<int64_t>(1, (1 << 14) / std::max<int64_t>(width, 1)), [&](int64_t lo, int64_t hi) {
    ScopedFlushDenormal ftz;
    for (int64_t r = lo; r < hi; ++r) {
      if (slot[r] < 0 && !all_rows) continue;
      const T* g = slot[r] < 0 ? zeros.data() : summed.data() + slot[r] * width;
      const int64_t off = r * width;
      update_range(rule, w + off, g, s[0] ? s[0] + off : nullptr, s[1] ? s[1] + off : nullptr,
                      s[2] ? s[2] + off : nullptr, p, 0, width);
    }
  });
}

}  // namespace

void apply_sparse_update(UpdateRule rule, const Tensor& var, const Tensor& indices, const Tensor& values,
                         const std::vector<Tensor>& slots, const UpdateParams& p) {
  Tensor vals = values.contiguous();
  if (var.dtype() == DType::Float32) sparse_update_typed<float>(rule, var, indices, vals, slots, p);
  else sparse_update_typed<double>(rule, var, indices, vals, slots, p);
}

int update_rule_slots(UpdateRule rule) {
  switch (rule) {
    case UpdateRule::SGD: return 0;
    case UpdateRule::Momentum: case UpdateRule::Nesterov: case UpdateRule::RMSprop: case UpdateRule::Adagrad: return 1;
    case UpdateRule::Adam: return 2;
    case UpdateRule::AdamAmsgrad: return 3;
  }
  return 0;
}

void apply_update(UpdateRule rule, const std::vector<Tensor>& vars, const std::vector<Tensor>& grads,
                  const std::vector<std::vector<Tensor>>& slots, const UpdateParams& p) {
  if (vars.empty()) return;
  if (vars[0].dtype() == DType::Float32) update_typed<float>(rule, vars, grads, slots, p);
  else update_typed<double>(rule, vars, grads, slots, p);
}

}  // namespace cpu
}  // namespace tapeflow
