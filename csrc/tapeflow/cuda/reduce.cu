// Reductions and row-wise CUDA kernels: reductions over any set of axes, softmax / log-softmax, the fused softmax
// and sigmoid cross-entropies and their gradients, gather, the fused optimizer updates and the bias + activation
// epilogue of a matrix product.
//
// Determinism: one warp reduces one output; each lane accumulates a fixed, strided subset in order and the lanes
// combine in a fixed tree, so a run gives the same bits every time. Sums of float32 accumulate in double, as on
// the CPU.
#include <cmath>
#include <cstdint>
#include <limits>

#include "tapeflow/cuda/common.cuh"
#include "tapeflow/cuda/kernels.h"

namespace tapeflow {
namespace cuda {

using cpu::ReduceOp;

namespace {

constexpr int kWarpsPerBlock = 8;

template <class A> __device__ inline A shfl_down(A v, int d) { return __shfl_down_sync(0xffffffffu, v, d); }
template <> __device__ inline bool shfl_down<bool>(bool v, int d) { return __shfl_down_sync(0xffffffffu, int(v), d) != 0; }

template <class T, ReduceOp OP> struct Red {
  using A = std::conditional_t<(OP == ReduceOp::Sum || OP == ReduceOp::Prod) && std::is_same_v<T, float>, double, T>;
  __device__ static A init() {
    if constexpr (OP == ReduceOp::Sum) return A(0);
    else if constexpr (OP == ReduceOp::Prod) return A(1);
    else if constexpr (OP == ReduceOp::Any) return A(false);
    else if constexpr (OP == ReduceOp::All) return A(true);
    else if constexpr (OP == ReduceOp::Max)
      return std::numeric_limits<T>::has_infinity ? -std::numeric_limits<T>::infinity() : std::numeric_limits<T>::lowest();
    else
      return std::numeric_limits<T>::has_infinity ? std::numeric_limits<T>::infinity() : std::numeric_limits<T>::max();
  }
  __device__ static A step(A acc, A v) {
    if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool> && (OP == ReduceOp::Sum || OP == ReduceOp::Prod)) {
      using U = std::make_unsigned_t<T>;
      return OP == ReduceOp::Sum ? static_cast<T>(U(static_cast<U>(acc) + static_cast<U>(v)))
                                 : static_cast<T>(U(static_cast<U>(acc) * static_cast<U>(v)));
    } else if constexpr (OP == ReduceOp::Sum) return acc + v;
    else if constexpr (OP == ReduceOp::Prod) return acc * v;
    else if constexpr (OP == ReduceOp::Any) return acc || v;
    else if constexpr (OP == ReduceOp::All) return acc && v;
    else if constexpr (OP == ReduceOp::Max) return (v > acc || v != v) && acc == acc ? v : acc;
    else return (v < acc || v != v) && acc == acc ? v : acc;
  }
};

// The kept axes (outputs, row-major) and the reduced axes of contiguous x.
struct ReducePlan {
  Indexer kept, red;  // shapes and x's strides of each group
  int64_t outputs, R;
};

template <class T, ReduceOp OP>
__global__ void reduce_kernel(const T* x, ReducePlan p, T* out) {
  using R_ = Red<T, OP>;
  using A = typename R_::A;
  const int lane = threadIdx.x & 31;
  const int64_t o = blockIdx.x * int64_t(kWarpsPerBlock) + (threadIdx.x >> 5);
  if (o >= p.outputs) return;
  const T* base = x + p.kept.offset(o);
  A acc = R_::init();
  for (int64_t r = lane; r < p.R; r += 32) acc = R_::step(acc, static_cast<A>(base[p.red.offset(r)]));
  for (int d = 16; d > 0; d >>= 1) acc = R_::step(acc, shfl_down(acc, d));
  if (lane == 0) out[o] = static_cast<T>(acc);
}

template <class T> __device__ inline T warp_max(T v) {
  for (int d = 16; d > 0; d >>= 1) { const T o = __shfl_xor_sync(0xffffffffu, v, d); v = o > v ? o : v; }
  return v;
}
__device__ inline double warp_sum(double v) {
  for (int d = 16; d > 0; d >>= 1) v += __shfl_xor_sync(0xffffffffu, v, d);
  return v;
}

// One warp per line of C values `inner` apart.
template <class T> __global__ void softmax_kernel(const T* x, T* y, int64_t lines, int64_t C, int64_t inner, bool log_) {
  const int lane = threadIdx.x & 31;
  const int64_t t = blockIdx.x * int64_t(kWarpsPerBlock) + (threadIdx.x >> 5);
  if (t >= lines) return;
  const int64_t oo = t / inner, j = t % inner;
  const T* a = x + oo * C * inner + j;
  T* b = y + oo * C * inner + j;
  T m = -std::numeric_limits<T>::infinity();
  for (int64_t c = lane; c < C; c += 32) m = a[c * inner] > m ? a[c * inner] : m;
  m = warp_max(m);
  if (isinf(m) && m < 0) m = 0;
  double s = 0;
  for (int64_t c = lane; c < C; c += 32) s += exp(a[c * inner] - m);
  s = warp_sum(s);
  if (log_) {
    const T ls = static_cast<T>(log(s));
    for (int64_t c = lane; c < C; c += 32) b[c * inner] = a[c * inner] - m - ls;
  } else {
    const T inv = static_cast<T>(1.0 / s);
    for (int64_t c = lane; c < C; c += 32) b[c * inner] = exp(a[c * inner] - m) * inv;
  }
}

// Row r's max and log-sum-exp of (x - max); a label outside [0, C) gives NaN (as TensorFlow's GPU kernel).
template <class T, class I>
__global__ void softmax_xent_kernel(const T* x, const I* ids, const T* y, T* loss, const T* g, T* grad, int64_t rows,
                                    int64_t C) {
  const int lane = threadIdx.x & 31;
  const int64_t r = blockIdx.x * int64_t(kWarpsPerBlock) + (threadIdx.x >> 5);
  if (r >= rows) return;
  const T* a = x + r * C;
  T m = -std::numeric_limits<T>::infinity();
  for (int64_t c = lane; c < C; c += 32) m = a[c] > m ? a[c] : m;
  m = warp_max(m);
  if (isinf(m) && m < 0) m = 0;
  double s = 0;
  for (int64_t c = lane; c < C; c += 32) s += exp(a[c] - m);
  s = warp_sum(s);
  const T lse = static_cast<T>(log(s));
  const int64_t id = ids ? static_cast<int64_t>(ids[r]) : -1;
  const bool bad = ids && (id < 0 || id >= C);
  if (!grad) {
    if (lane != 0 && ids) return;
    if (ids) {
      loss[r] = bad ? std::numeric_limits<T>::quiet_NaN() : lse - (a[id] - m);
    } else {
      double acc = 0;
      for (int64_t c = lane; c < C; c += 32) acc += y[r * C + c] * (lse - (a[c] - m));
      acc = warp_sum(acc);
      if (lane == 0) loss[r] = static_cast<T>(acc);
    }
    return;
  }
  const T gr = g[r];
  for (int64_t c = lane; c < C; c += 32) {
    const T p = exp(a[c] - m - lse);
    const T label = ids ? T(c == id) : y[r * C + c];
    grad[r * C + c] = bad ? std::numeric_limits<T>::quiet_NaN() : (p - label) * gr;
  }
}

template <class T> __global__ void sigmoid_xent_kernel(const T* x, const T* z, const T* g, T* out, int64_t n) {
  TF_CUDA_LOOP(i, n) {
    const T v = x[i];
    if (g) out[i] = (T(1) / (T(1) + exp(-v)) - z[i]) * g[i];
    else out[i] = ((v > 0 ? v : T(0)) - v * z[i]) + log1p(exp(-fabs(v)));
  }
}

template <class T, class I>
__global__ void gather_kernel(const T* params, const I* idx, T* out, int64_t n, int64_t outer, int64_t N, int64_t P,
                              int64_t inner) {
  TF_CUDA_LOOP(e, n) {
    int64_t t = e;
    const int64_t i = t % inner; t /= inner;
    const int64_t k = t % N; t /= N;
    const int64_t o = t % outer; const int64_t b = t / outer;
    const int64_t row = static_cast<int64_t>(idx[b * N + k]);
    out[e] = (row >= 0 && row < P) ? params[((b * outer + o) * P + row) * inner + i] : T(0);
  }
}

template <class T> __device__ inline T flush(T x) {
  return fabs(x) < std::numeric_limits<T>::min() ? T(0) : x;
}

template <class T>
__global__ void update_kernel(cpu::UpdateRule rule, T* w, const T* g, T* s0, T* s1, T* s2, int64_t n, T lr, T a, T b,
                              T eps) {
  using cpu::UpdateRule;
  TF_CUDA_LOOP(i, n) {
    const T gi = g[i];
    switch (rule) {
      case UpdateRule::SGD: w[i] -= gi * lr; break;
      case UpdateRule::Momentum: { const T m = flush(s0[i] * a - gi * lr); s0[i] = m; w[i] += m; break; }
      case UpdateRule::Nesterov: { const T m = flush(s0[i] * a - gi * lr); s0[i] = m; w[i] += m * a - gi * lr; break; }
      case UpdateRule::Adam: {
        const T m = flush(s0[i] + (gi - s0[i]) * a), v = flush(s1[i] + (gi * gi - s1[i]) * b);
        s0[i] = m; s1[i] = v;
        w[i] -= (m * lr) / (sqrt(v) + eps);
        break;
      }
      case UpdateRule::AdamAmsgrad: {
        const T m = flush(s0[i] + (gi - s0[i]) * a), v = flush(s1[i] + (gi * gi - s1[i]) * b);
        const T vhat = s2[i] > v ? s2[i] : v;
        s0[i] = m; s1[i] = v; s2[i] = vhat;
        w[i] -= (m * lr) / (sqrt(vhat) + eps);
        break;
      }
      case UpdateRule::RMSprop: { const T v = flush(s0[i] * a + (gi * gi) * b); s0[i] = v; w[i] -= (gi * lr) / sqrt(v + eps); break; }
      case UpdateRule::Adagrad: { const T acc = s0[i] + gi * gi; s0[i] = acc; w[i] -= (gi * lr) / sqrt(acc + eps); break; }
    }
  }
}

template <class T> __device__ inline T act_fn(cpu::Act act, T v) {
  using cpu::Act;
  switch (act) {
    case Act::Linear: return v;
    case Act::Tanh: return tanh(v);
    case Act::Sigmoid: return T(1) / (T(1) + exp(-v));
    case Act::Relu: return v < T(0) ? T(0) : v;
    case Act::HardSigmoid: { const T y = v / T(6) + T(0.5); return y < T(0) ? T(0) : (y > T(1) ? T(1) : y); }
    case Act::Gelu: return T(0.5) * v * erfc(-v * T(0.70710678118654752));
    case Act::GeluTanh: return T(0.5) * v * (T(1) + tanh(T(0.7978845608028654) * (v + T(0.044715) * v * v * v)));
  }
  return v;
}

template <class T> __global__ void bias_act_kernel(T* out, const T* bias, int64_t n, int64_t N, cpu::Act act) {
  TF_CUDA_LOOP(i, n) out[i] = act_fn(act, bias ? out[i] + bias[i % N] : out[i]);
}

// One thread per line of R values `inner` apart, in the CPU kernels' order (cpu/reduce.cpp), so the results are
// the CPU's bit for bit.
template <class T> __global__ void arg_reduce_kernel(const T* x, int64_t* out, int64_t lines, int64_t R, int64_t inner,
                                                     bool is_max) {
  TF_CUDA_LOOP(t, lines) {
    const T* base = x + (t / inner) * R * inner + t % inner;
    int64_t best = 0;
    T bv = base[0];
    for (int64_t r = 1; r < R; ++r) {
      const T v = base[r * inner];
      if (bv != bv) break;  // NaN wins
      if ((is_max ? v > bv : v < bv) || v != v) { bv = v; best = r; }
    }
    out[t] = best;
  }
}

template <class T> __device__ inline T acc_step(T acc, T v, bool product) {
  if constexpr (std::is_integral_v<T>) {
    using U = std::make_unsigned_t<T>;
    return static_cast<T>(product ? U(static_cast<U>(acc) * static_cast<U>(v)) : U(static_cast<U>(acc) + static_cast<U>(v)));
  } else {
    return product ? acc * v : acc + v;
  }
}

template <class T> __global__ void cumulative_kernel(const T* x, T* y, int64_t lines, int64_t R, int64_t inner,
                                                     bool exclusive, bool reverse, bool product) {
  TF_CUDA_LOOP(t, lines) {
    const int64_t base = (t / inner) * R * inner + t % inner;
    T acc = product ? T(1) : T(0);
    for (int64_t k = 0; k < R; ++k) {
      const int64_t i = base + (reverse ? R - 1 - k : k) * inner;
      const T v = x[i];
      if (exclusive) { y[i] = acc; acc = acc_step(acc, v, product); }
      else { acc = acc_step(acc, v, product); y[i] = acc; }
    }
  }
}

void split3(const Tensor& x, int64_t axis, int64_t& outer, int64_t& R, int64_t& inner) {
  outer = 1, inner = 1;
  for (int64_t d = 0; d < axis; ++d) outer *= x.dim(d);
  for (int64_t d = axis + 1; d < x.ndim(); ++d) inner *= x.dim(d);
  R = x.ndim() ? x.dim(axis) : 1;
}

// Calls f(T{}) for the numeric dtypes these kernels take; false for the others.
template <class F> bool for_numeric(DType d, F f) {
  switch (d) {
    case DType::Float32: f(float{}); return true;
    case DType::Float64: f(double{}); return true;
    case DType::Int32: f(int32_t{}); return true;
    case DType::Int64: f(int64_t{}); return true;
    default: return false;
  }
}

unsigned warp_blocks(int64_t n) { return static_cast<unsigned>((n + kWarpsPerBlock - 1) / kWarpsPerBlock); }

}  // namespace

bool reduce(ReduceOp op, const Tensor& x, const std::vector<bool>& mask, const Tensor& out) {
  ReducePlan p;
  const Shape& s = x.shape();
  Shape kept_shape, kept_st, red_shape, red_st;
  const Shape st = x.strides();
  for (size_t d = 0; d < s.size(); ++d) {
    (mask[d] ? red_shape : kept_shape).push_back(s[d]);
    (mask[d] ? red_st : kept_st).push_back(st[d]);
  }
  if (kept_shape.size() > kMaxDims || red_shape.size() > kMaxDims || !x.is_contiguous()) return false;
  auto fill = [](Indexer& ix, const Shape& sh, const Shape& sd) {
    ix.ndim = static_cast<int>(sh.size());
    ix.contiguous = false;
    for (int d = 0; d < ix.ndim; ++d) { ix.shape[d] = sh[d]; ix.strides[d] = sd[d]; }
  };
  fill(p.kept, kept_shape, kept_st);
  fill(p.red, red_shape, red_st);
  p.outputs = out.numel();
  p.R = 1;
  for (int64_t d : red_shape) p.R *= d;
  if (p.outputs == 0) return true;
  cudaStream_t stm = stream_of(out);
  const unsigned grid = warp_blocks(p.outputs), threads = 32 * kWarpsPerBlock;
  auto run = [&](auto tag) -> bool {
    using T = decltype(tag);
    switch (op) {
      case ReduceOp::Sum: reduce_kernel<T, ReduceOp::Sum><<<grid, threads, 0, stm>>>(x.data<T>(), p, out.data<T>()); break;
      case ReduceOp::Prod: reduce_kernel<T, ReduceOp::Prod><<<grid, threads, 0, stm>>>(x.data<T>(), p, out.data<T>()); break;
      case ReduceOp::Max: reduce_kernel<T, ReduceOp::Max><<<grid, threads, 0, stm>>>(x.data<T>(), p, out.data<T>()); break;
      case ReduceOp::Min: reduce_kernel<T, ReduceOp::Min><<<grid, threads, 0, stm>>>(x.data<T>(), p, out.data<T>()); break;
      default: return false;
    }
    return true;
  };
  bool ok = true;
  switch (x.dtype()) {
    case DType::Float32: ok = run(float{}); break;
    case DType::Float64: ok = run(double{}); break;
    case DType::Int32: ok = run(int32_t{}); break;
    case DType::Int64: ok = run(int64_t{}); break;
    case DType::Bool:
      if (op == ReduceOp::Any) reduce_kernel<bool, ReduceOp::Any><<<grid, threads, 0, stm>>>(x.data<bool>(), p, out.data<bool>());
      else if (op == ReduceOp::All) reduce_kernel<bool, ReduceOp::All><<<grid, threads, 0, stm>>>(x.data<bool>(), p, out.data<bool>());
      else ok = false;
      break;
    default: ok = false;
  }
  if (ok) check_launch("reduce");
  return ok;
}

bool arg_reduce(const Tensor& x, int64_t axis, bool is_max, const Tensor& out) {
  if (!x.is_contiguous()) return false;
  int64_t outer, R, inner;
  split3(x, axis, outer, R, inner);
  const int64_t lines = outer * inner;
  if (lines == 0) return true;
  if (R == 0) return false;  // whatever the CPU kernel does with an empty axis
  auto run = [&](auto tag) {
    using T = decltype(tag);
    arg_reduce_kernel<T><<<blocks_for(lines), kThreads, 0, stream_of(out)>>>(x.data<T>(), out.data<int64_t>(), lines, R, inner, is_max);
  };
  if (!for_numeric(x.dtype(), run)) return false;
  check_launch("arg_reduce");
  return true;
}

bool cumulative(const Tensor& x, int64_t axis, bool exclusive, bool reverse, bool product, const Tensor& out) {
  if (!x.is_contiguous() || !out.is_contiguous()) return false;
  int64_t outer, R, inner;
  split3(x, axis, outer, R, inner);
  const int64_t lines = outer * inner;
  if (lines == 0 || R == 0) return true;
  auto run = [&](auto tag) {
    using T = decltype(tag);
    cumulative_kernel<T><<<blocks_for(lines), kThreads, 0, stream_of(out)>>>(x.data<T>(), out.data<T>(), lines, R, inner,
                                                                            exclusive, reverse, product);
  };
  if (!for_numeric(x.dtype(), run)) return false;
  check_launch("cumulative");
  return true;
}

bool softmax(const Tensor& x, int64_t axis, bool log_, const Tensor& out) {
  if (!x.is_contiguous() || !out.is_contiguous()) return false;
  int64_t outer = 1, inner = 1;
  for (int64_t d = 0; d < axis; ++d) outer *= x.dim(d);
  for (int64_t d = axis + 1; d < x.ndim(); ++d) inner *= x.dim(d);
  const int64_t C = x.ndim() ? x.dim(axis) : 1, lines = outer * inner;
  if (C == 0 || lines == 0) return true;
  const unsigned grid = warp_blocks(lines), threads = 32 * kWarpsPerBlock;
  if (x.dtype() == DType::Float32) softmax_kernel<float><<<grid, threads, 0, stream_of(out)>>>(x.data<float>(), out.data<float>(), lines, C, inner, log_);
  else if (x.dtype() == DType::Float64) softmax_kernel<double><<<grid, threads, 0, stream_of(out)>>>(x.data<double>(), out.data<double>(), lines, C, inner, log_);
  else return false;
  check_launch("softmax");
  return true;
}

namespace {
template <class T>
bool xent(const Tensor& logits, const Tensor& labels, bool sparse, const Tensor& loss, const Tensor& g, const Tensor& grad) {
  const int64_t C = logits.ndim() ? logits.dim(logits.ndim() - 1) : 1, rows = C ? logits.numel() / C : 0;
  if (C == 0 || rows == 0 || !logits.is_contiguous() || !labels.is_contiguous()) return C != 0 && rows == 0;
  const unsigned grid = warp_blocks(rows), threads = 32 * kWarpsPerBlock;
  cudaStream_t stm = stream_of(logits);
  T* l = loss.defined() ? loss.data<T>() : nullptr;
  const T* gp = g.defined() ? g.data<T>() : nullptr;
  T* gr = grad.defined() ? grad.data<T>() : nullptr;
  if (!sparse) {
    if (labels.dtype() != logits.dtype()) return false;
    softmax_xent_kernel<T, int32_t><<<grid, threads, 0, stm>>>(logits.data<T>(), nullptr, labels.data<T>(), l, gp, gr, rows, C);
  } else if (labels.dtype() == DType::Int32) {
    softmax_xent_kernel<T, int32_t><<<grid, threads, 0, stm>>>(logits.data<T>(), labels.data<int32_t>(), nullptr, l, gp, gr, rows, C);
  } else if (labels.dtype() == DType::Int64) {
    softmax_xent_kernel<T, int64_t><<<grid, threads, 0, stm>>>(logits.data<T>(), labels.data<int64_t>(), nullptr, l, gp, gr, rows, C);
  } else {
    return false;
  }
  check_launch("softmax_xent");
  return true;
}
}  // namespace

bool softmax_xent(const Tensor& logits, const Tensor& labels, bool sparse, const Tensor& loss) {
  if (logits.dtype() == DType::Float32) return xent<float>(logits, labels, sparse, loss, Tensor(), Tensor());
  if (logits.dtype() == DType::Float64) return xent<double>(logits, labels, sparse, loss, Tensor(), Tensor());
  return false;
}

bool softmax_xent_grad(const Tensor& logits, const Tensor& labels, bool sparse, const Tensor& g, const Tensor& out) {
  if (!g.is_contiguous()) return false;
  if (logits.dtype() == DType::Float32) return xent<float>(logits, labels, sparse, Tensor(), g, out);
  if (logits.dtype() == DType::Float64) return xent<double>(logits, labels, sparse, Tensor(), g, out);
  return false;
}

namespace {
bool sig_xent(const Tensor& x, const Tensor& z, const Tensor& g, const Tensor& out) {
  const int64_t n = x.numel();
  if (!x.is_contiguous() || !z.is_contiguous() || (g.defined() && !g.is_contiguous()) || z.dtype() != x.dtype()) return false;
  if (n == 0) return true;
  if (x.dtype() == DType::Float32)
    sigmoid_xent_kernel<float><<<blocks_for(n), kThreads, 0, stream_of(x)>>>(x.data<float>(), z.data<float>(), g.defined() ? g.data<float>() : nullptr, out.data<float>(), n);
  else if (x.dtype() == DType::Float64)
    sigmoid_xent_kernel<double><<<blocks_for(n), kThreads, 0, stream_of(x)>>>(x.data<double>(), z.data<double>(), g.defined() ? g.data<double>() : nullptr, out.data<double>(), n);
  else
    return false;
  check_launch("sigmoid_xent");
  return true;
}
}  // namespace

bool sigmoid_xent(const Tensor& logits, const Tensor& labels, const Tensor& loss) { return sig_xent(logits, labels, Tensor(), loss); }
bool sigmoid_xent_grad(const Tensor& logits, const Tensor& labels, const Tensor& g, const Tensor& out) {
  return sig_xent(logits, labels, g, out);
}

bool gather(const Tensor& params, const Tensor& indices, int64_t batch, int64_t outer, int64_t inner, const Tensor& out) {
  const int64_t n = out.numel();
  if (n == 0) return true;
  const int64_t N = indices.numel() / (batch ? batch : 1), denom = batch * outer * inner;
  const int64_t P = denom ? params.numel() / denom : 0;
  auto run = [&](auto tag) -> bool {
    using T = decltype(tag);
    if (indices.dtype() == DType::Int32)
      gather_kernel<T, int32_t><<<blocks_for(n), kThreads, 0, stream_of(out)>>>(params.data<T>(), indices.data<int32_t>(), out.data<T>(), n, outer, N, P, inner);
    else if (indices.dtype() == DType::Int64)
      gather_kernel<T, int64_t><<<blocks_for(n), kThreads, 0, stream_of(out)>>>(params.data<T>(), indices.data<int64_t>(), out.data<T>(), n, outer, N, P, inner);
    else
      return false;
    return true;
  };
  bool ok;
  switch (itemsize(params.dtype())) {
    case 8: ok = run(int64_t{}); break;
    case 4: ok = run(int32_t{}); break;
    case 2: ok = run(uint16_t{}); break;
    default: ok = run(uint8_t{}); break;
  }
  if (ok) check_launch("gather");
  return ok;
}

bool apply_update(cpu::UpdateRule rule, const std::vector<Tensor>& vars, const std::vector<Tensor>& grads,
                  const std::vector<std::vector<Tensor>>& slots, const cpu::UpdateParams& p) {
  for (size_t v = 0; v < vars.size(); ++v) {
    const Tensor& w = vars[v];
    if (w.dtype() != DType::Float32 && w.dtype() != DType::Float64) return false;
  }
  for (size_t v = 0; v < vars.size(); ++v) {
    const Tensor &w = vars[v], &g = grads[v];
    const int64_t n = w.numel();
    if (n == 0) continue;
    auto slot = [&](size_t k) { return k < slots[v].size() ? slots[v][k] : Tensor(); };
    const Tensor s0 = slot(0), s1 = slot(1), s2 = slot(2);
    if (w.dtype() == DType::Float32) {
      auto ptr = [](const Tensor& t) { return t.defined() ? t.data<float>() : nullptr; };
      update_kernel<float><<<blocks_for(n), kThreads, 0, stream_of(w)>>>(rule, w.data<float>(), g.data<float>(), ptr(s0), ptr(s1), ptr(s2), n,
                                                                         float(p.lr), float(p.a), float(p.b), float(p.eps));
    } else {
      auto ptr = [](const Tensor& t) { return t.defined() ? t.data<double>() : nullptr; };
      update_kernel<double><<<blocks_for(n), kThreads, 0, stream_of(w)>>>(rule, w.data<double>(), g.data<double>(), ptr(s0), ptr(s1), ptr(s2), n,
                                                                          p.lr, p.a, p.b, p.eps);
    }
  }
  check_launch("apply_update");
  return true;
}

bool bias_act(const Tensor& out, const Tensor& bias, cpu::Act act) {
  const int64_t n = out.numel(), N = out.dim(out.ndim() - 1);
  if (n == 0 || (!bias.defined() && act == cpu::Act::Linear)) return true;
  if (out.dtype() == DType::Float32)
    bias_act_kernel<float><<<blocks_for(n), kThreads, 0, stream_of(out)>>>(out.data<float>(), bias.defined() ? bias.data<float>() : nullptr, n, N, act);
  else
    bias_act_kernel<double><<<blocks_for(n), kThreads, 0, stream_of(out)>>>(out.data<double>(), bias.defined() ? bias.data<double>() : nullptr, n, N, act);
  check_launch("bias_act");
  return true;
}

}  // namespace cuda
}  // namespace tapeflow
