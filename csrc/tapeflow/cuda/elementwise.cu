// Elementwise CUDA kernels: fills, strided copies and casts, unary and binary maps (operands of any strides,
// broadcast operands as stride-0 views, out contiguous), where, range and the Philox random fills. Each thread
// computes whole elements in the operands' dtype, as the CPU kernels do; float16 is stored as IEEE half and
// converted with round-to-nearest-even, as on the CPU.
#include <cuda_fp16.h>

#include <cmath>
#include <cstdint>

#include "tapeflow/core/philox.h"
#include "tapeflow/cpu/scalar_ops.h"
#include "tapeflow/cuda/common.cuh"
#include "tapeflow/cuda/cuda_api.h"
#include "tapeflow/cuda/kernels.h"

namespace tapeflow {
namespace cuda {

using cpu::BinaryOp;
using cpu::UnaryOp;

namespace {

// Storage types and their conversions through double (float16 as raw bits).
struct h16 { uint16_t bits; };
template <class T> __device__ inline double to_d(T v) { return static_cast<double>(v); }
template <> __device__ inline double to_d<h16>(h16 v) { return __half2float(__ushort_as_half(v.bits)); }
template <class T> __device__ inline T from_d(double v) {
  if constexpr (std::is_same_v<T, h16>) {
    return h16{__half_as_ushort(__float2half_rn(static_cast<float>(v)))};
  } else if constexpr (std::is_same_v<T, bool>) {
    return v != 0.0;
  } else if constexpr (std::is_integral_v<T>) {  // saturating, NaN -> 0, as cpu::convert
    if (v != v) return T(0);
    if (v <= static_cast<double>(std::numeric_limits<T>::min())) return std::numeric_limits<T>::min();
    if (v >= static_cast<double>(std::numeric_limits<T>::max())) return std::numeric_limits<T>::max();
    return static_cast<T>(v);
  } else {
    return static_cast<T>(v);
  }
}

#define TF_CUDA_DISPATCH_ALL(d, ...)                                  \
  switch (d) {                                                        \
    case DType::Float32: { using T = float; __VA_ARGS__; break; }     \
    case DType::Float64: { using T = double; __VA_ARGS__; break; }    \
    case DType::Float16: { using T = h16; __VA_ARGS__; break; }       \
    case DType::Int32: { using T = int32_t; __VA_ARGS__; break; }     \
    case DType::Int64: { using T = int64_t; __VA_ARGS__; break; }     \
    case DType::UInt8: { using T = uint8_t; __VA_ARGS__; break; }     \
    case DType::Bool: { using T = bool; __VA_ARGS__; break; }         \
  }

template <class T> __global__ void fill_kernel(T* p, Indexer ix, int64_t n, T v) {
  TF_CUDA_LOOP(i, n) p[ix.offset(i)] = v;
}

template <class T> __global__ void copy_kernel(const T* src, Indexer si, T* dst, Indexer di, int64_t n) {
  TF_CUDA_LOOP(i, n) dst[di.offset(i)] = src[si.offset(i)];
}

template <class To, class From> __global__ void cast_kernel(const From* src, Indexer si, To* dst, Indexer di, int64_t n) {
  TF_CUDA_LOOP(i, n) {
    if constexpr (std::is_same_v<To, From>) dst[di.offset(i)] = src[si.offset(i)];
    else dst[di.offset(i)] = from_d<To>(to_d<From>(src[si.offset(i)]));
  }
}

template <class T> __device__ inline T unary_float(UnaryOp op, T v) {
  switch (op) {
    case UnaryOp::Neg: return -v;
    case UnaryOp::Abs: return fabs(v);
    case UnaryOp::Sign: return v > 0 ? T(1) : (v < 0 ? T(-1) : v);
    case UnaryOp::Sqrt: return sqrt(v);
    case UnaryOp::Rsqrt: return T(1) / sqrt(v);
    case UnaryOp::Exp: return exp(v);
    case UnaryOp::Log: return log(v);
    case UnaryOp::Log1p: return log1p(v);
    case UnaryOp::Expm1: return expm1(v);
    case UnaryOp::Tanh: return tanh(v);
    case UnaryOp::Sigmoid: return T(1) / (T(1) + exp(-v));
    case UnaryOp::Relu: return v < 0 ? T(0) : v;  // NaN passes, as in TF
    case UnaryOp::Erf: return erf(v);
    case UnaryOp::Softplus: return v > 0 ? v + log1p(exp(-v)) : log1p(exp(v));
    case UnaryOp::Square: return v * v;
    case UnaryOp::Sin: return sin(v);
    case UnaryOp::Cos: return cos(v);
    case UnaryOp::Reciprocal: return T(1) / v;
    case UnaryOp::Floor: return floor(v);
    case UnaryOp::Ceil: return ceil(v);
    case UnaryOp::Round: return rint(v);
    default: return v;
  }
}

template <class T> __global__ void unary_float_kernel(UnaryOp op, const T* x, Indexer xi, T* out, int64_t n) {
  TF_CUDA_LOOP(i, n) out[i] = unary_float(op, x[xi.offset(i)]);
}

template <class T> __global__ void unary_test_kernel(UnaryOp op, const T* x, Indexer xi, bool* out, int64_t n) {
  TF_CUDA_LOOP(i, n) {
    const T v = x[xi.offset(i)];
    out[i] = op == UnaryOp::IsNan ? isnan(v) : op == UnaryOp::IsInf ? isinf(v) : isfinite(v);
  }
}

template <class T> __device__ inline T wrap(T a, T b, int k) {  // integer add/sub/mul wrapping, as the CPU
  using U = std::make_unsigned_t<T>;
  const U x = static_cast<U>(a), y = static_cast<U>(b);
  return static_cast<T>(k == 0 ? U(x + y) : k == 1 ? U(x - y) : U(x * y));
}

template <class T> __global__ void unary_int_kernel(UnaryOp op, const T* x, Indexer xi, T* out, int64_t n) {
  TF_CUDA_LOOP(i, n) {
    const T v = x[xi.offset(i)];
    T r = v;
    switch (op) {
      case UnaryOp::Neg: r = wrap<T>(T(0), v, 1); break;
      case UnaryOp::Abs: r = v < 0 ? wrap<T>(T(0), v, 1) : v; break;
      case UnaryOp::Sign: r = static_cast<T>((v > 0) - (v < 0)); break;
      case UnaryOp::Square: r = wrap<T>(v, v, 2); break;
      case UnaryOp::Relu: r = v < 0 ? T(0) : v; break;
      default: break;  // Floor, Ceil, Round: the value
    }
    out[i] = r;
  }
}

__global__ void logical_not_kernel(const bool* x, Indexer xi, bool* out, int64_t n) {
  TF_CUDA_LOOP(i, n) out[i] = !x[xi.offset(i)];
}

template <class T> __device__ inline T float_floormod(T x, T y) {  // Python's sign convention, as the CPU
  T r = fmod(x, y);
  if (r != 0 && ((r < 0) != (y < 0))) r += y;
  return r;
}

template <class T, class O>
__global__ void binary_kernel(BinaryOp op, const T* a, Indexer ai, const T* b, Indexer bi, O* out, int64_t n) {
  TF_CUDA_LOOP(i, n) {
    const T x = a[ai.offset(i)], y = b[bi.offset(i)];
    O r{};
    switch (op) {
      case BinaryOp::Add: if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) r = wrap<T>(x, y, 0); else r = x + y; break;
      case BinaryOp::Sub: if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) r = wrap<T>(x, y, 1); else r = x - y; break;
      case BinaryOp::Mul: if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) r = wrap<T>(x, y, 2); else r = x * y; break;
      case BinaryOp::Div: r = x / y; break;
      case BinaryOp::FloorDiv: if constexpr (std::is_floating_point_v<T>) r = floor(x / y); break;
      case BinaryOp::Mod: if constexpr (std::is_floating_point_v<T>) r = float_floormod(x, y); break;
      case BinaryOp::Pow: if constexpr (std::is_floating_point_v<T>) r = pow(x, y); break;
      case BinaryOp::Max: r = (x > y || x != x) ? x : y; break;
      case BinaryOp::Min: r = (x < y || x != x) ? x : y; break;
      case BinaryOp::ReluGrad: r = x > T(0) ? y : T(0); break;
      case BinaryOp::Eq: r = x == y; break;
      case BinaryOp::Ne: r = x != y; break;
      case BinaryOp::Lt: r = x < y; break;
      case BinaryOp::Le: r = x <= y; break;
      case BinaryOp::Gt: r = x > y; break;
      case BinaryOp::Ge: r = x >= y; break;
      case BinaryOp::And: r = x && y; break;
      case BinaryOp::Or: r = x || y; break;
      case BinaryOp::Xor: r = (x != 0) != (y != 0); break;
    }
    out[i] = r;
  }
}

template <class T>
__global__ void where_kernel(const bool* c, Indexer ci, const T* x, Indexer xi, const T* y, Indexer yi, T* out, int64_t n) {
  TF_CUDA_LOOP(i, n) out[i] = c[ci.offset(i)] ? x[xi.offset(i)] : y[yi.offset(i)];
}

template <class T> __global__ void range_kernel(T* out, int64_t n, double start, double delta) {
  TF_CUDA_LOOP(i, n) out[i] = from_d<T>(start + static_cast<double>(i) * delta);
}

// The CPU's counter layout (cpu/random.cpp): element i uses counter (i, stream) under `key`.
using philox::Block;
using philox::u01;

__device__ inline double normal_at(uint64_t key, int64_t i, uint32_t stream, bool dbl) {
  const Block b = philox::block(static_cast<uint64_t>(i), stream, key);
  const double u1 = u01(b.v[0], b.v[1], dbl), u2 = u01(b.v[2], b.v[3], dbl);
  return sqrt(-2.0 * log(1.0 - u1)) * cos(6.283185307179586 * u2);
}

template <class T> __global__ void uniform_kernel(T* out, int64_t n, uint64_t key, double lo, double hi, bool dbl) {
  TF_CUDA_LOOP(i, n) {
    const Block b = philox::block(static_cast<uint64_t>(i), 0, key);
    if constexpr (std::is_integral_v<T>) {
      const uint64_t range = static_cast<uint64_t>(hi - lo);
      out[i] = from_d<T>(lo + static_cast<double>(((uint64_t(b.v[0]) << 32) | b.v[1]) % range));
    } else {
      const double v = lo + (hi - lo) * u01(b.v[0], b.v[1], dbl);
      out[i] = from_d<T>(v < hi ? v : lo);
    }
  }
}

template <class T>
__global__ void normal_kernel(T* out, int64_t n, uint64_t key, double mean, double stddev, bool truncated, bool dbl) {
  TF_CUDA_LOOP(i, n) {
    double z = normal_at(key, i, 0, dbl);
    for (uint32_t s = 1; truncated && fabs(z) > 2.0; ++s) z = normal_at(key, i, s, dbl);
    out[i] = from_d<T>(mean + stddev * z);
  }
}

// v as a T on the host, converted as cpu::convert does.
template <class T> T host_value(double v) {
  if constexpr (std::is_same_v<T, h16>) return h16{float_to_half(static_cast<float>(v))};
  else return cpu::convert<T>(v);
}

bool is_float(DType d) { return d == DType::Float32 || d == DType::Float64; }

}  // namespace

bool fill_scalar(const Tensor& out, double v) {
  if (!indexable(out)) return false;
  const int64_t n = out.numel();
  if (n == 0) return true;
  TF_CUDA_DISPATCH_ALL(out.dtype(), {
    fill_kernel<T><<<blocks_for(n), kThreads, 0, stream_of(out)>>>(out.data<T>(), indexer(out), n, host_value<T>(v));
  });
  check_launch("fill");
  return true;
}

bool read_scalar(const Tensor& t, double* value) {
  const size_t es = itemsize(t.dtype());
  alignas(8) unsigned char buf[8] = {0};
  copy_bytes(buf, -1, t.raw_data(), t.device().index, es);
  Tensor host = Tensor::empty({}, t.dtype(), Device{});
  std::memcpy(host.raw_data(), buf, es);
  *value = cpu::read_scalar(host);
  return true;
}

bool copy(const Tensor& src, const Tensor& dst) {
  if (!indexable(src) || !indexable(dst)) return false;
  const int64_t n = dst.numel();
  if (n == 0) return true;
  if (src.is_contiguous() && dst.is_contiguous()) {
    check(cudaMemcpyAsync(dst.raw_data(), src.raw_data(), n * itemsize(dst.dtype()), cudaMemcpyDeviceToDevice,
                          stream_of(dst)), "copy");
    return true;
  }
  TF_CUDA_DISPATCH_ALL(dst.dtype(), {
    copy_kernel<T><<<blocks_for(n), kThreads, 0, stream_of(dst)>>>(src.data<T>(), indexer(src), dst.data<T>(),
                                                                   indexer(dst), n);
  });
  check_launch("copy");
  return true;
}

bool cast(const Tensor& src, const Tensor& dst) {
  if (!indexable(src) || !indexable(dst)) return false;
  const int64_t n = dst.numel();
  if (n == 0) return true;
  TF_CUDA_DISPATCH_ALL(src.dtype(), {
    using From = T;
    TF_CUDA_DISPATCH_ALL(dst.dtype(), {
      cast_kernel<T, From><<<blocks_for(n), kThreads, 0, stream_of(dst)>>>(src.data<From>(), indexer(src),
                                                                           dst.data<T>(), indexer(dst), n);
    });
  });
  check_launch("cast");
  return true;
}

bool unary(UnaryOp op, const Tensor& x, const Tensor& out) {
  if (!indexable(x) || !out.is_contiguous()) return false;
  const int64_t n = out.numel();
  const DType d = x.dtype();
  const bool test = op == UnaryOp::IsNan || op == UnaryOp::IsInf || op == UnaryOp::IsFinite;
  if (n == 0) return true;
  cudaStream_t st = stream_of(out);
  if (op == UnaryOp::LogicalNot) {
    if (d != DType::Bool) return false;
    logical_not_kernel<<<blocks_for(n), kThreads, 0, st>>>(x.data<bool>(), indexer(x), out.data<bool>(), n);
  } else if (is_float(d)) {
    if (test) {
      if (d == DType::Float32) unary_test_kernel<float><<<blocks_for(n), kThreads, 0, st>>>(op, x.data<float>(), indexer(x), out.data<bool>(), n);
      else unary_test_kernel<double><<<blocks_for(n), kThreads, 0, st>>>(op, x.data<double>(), indexer(x), out.data<bool>(), n);
    } else if (d == DType::Float32) {
      unary_float_kernel<float><<<blocks_for(n), kThreads, 0, st>>>(op, x.data<float>(), indexer(x), out.data<float>(), n);
    } else {
      unary_float_kernel<double><<<blocks_for(n), kThreads, 0, st>>>(op, x.data<double>(), indexer(x), out.data<double>(), n);
    }
  } else if (d == DType::Int32 || d == DType::Int64) {
    const bool ok = op == UnaryOp::Neg || op == UnaryOp::Abs || op == UnaryOp::Sign || op == UnaryOp::Square ||
                    op == UnaryOp::Relu || op == UnaryOp::Floor || op == UnaryOp::Ceil || op == UnaryOp::Round;
    if (!ok) return false;
    if (d == DType::Int32) unary_int_kernel<int32_t><<<blocks_for(n), kThreads, 0, st>>>(op, x.data<int32_t>(), indexer(x), out.data<int32_t>(), n);
    else unary_int_kernel<int64_t><<<blocks_for(n), kThreads, 0, st>>>(op, x.data<int64_t>(), indexer(x), out.data<int64_t>(), n);
  } else {
    return false;
  }
  check_launch("unary");
  return true;
}

bool binary(BinaryOp op, const Tensor& a, const Tensor& b, const Tensor& out) {
  if (!indexable(a) || !indexable(b) || !out.is_contiguous()) return false;
  const int64_t n = out.numel();
  const DType d = a.dtype();
  const bool compare = op >= BinaryOp::Eq && op <= BinaryOp::Ge;
  const bool logical = op == BinaryOp::And || op == BinaryOp::Or || op == BinaryOp::Xor;
  if (n == 0) return true;
  if (logical != (d == DType::Bool) && !(compare && d == DType::Bool)) return false;
  if ((d == DType::Int32 || d == DType::Int64) &&
      (op == BinaryOp::Div || op == BinaryOp::FloorDiv || op == BinaryOp::Mod || op == BinaryOp::Pow))
    return false;  // integer division by zero and negative powers raise on the CPU
  cudaStream_t st = stream_of(out);
  auto launch = [&](auto tag) {
    using T = decltype(tag);
    if (compare || std::is_same_v<T, bool>)
      binary_kernel<T, bool><<<blocks_for(n), kThreads, 0, st>>>(op, a.data<T>(), indexer(a), b.data<T>(), indexer(b), out.data<bool>(), n);
    else
      binary_kernel<T, T><<<blocks_for(n), kThreads, 0, st>>>(op, a.data<T>(), indexer(a), b.data<T>(), indexer(b), out.data<T>(), n);
  };
  switch (d) {
    case DType::Float32: launch(float{}); break;
    case DType::Float64: launch(double{}); break;
    case DType::Int32: launch(int32_t{}); break;
    case DType::Int64: launch(int64_t{}); break;
    case DType::Bool: launch(bool{}); break;
    default: return false;
  }
  check_launch("binary");
  return true;
}

bool where(const Tensor& cond, const Tensor& x, const Tensor& y, const Tensor& out) {
  if (!indexable(cond) || !indexable(x) || !indexable(y) || !out.is_contiguous()) return false;
  const int64_t n = out.numel();
  if (n == 0) return true;
  TF_CUDA_DISPATCH_ALL(x.dtype(), {
    where_kernel<T><<<blocks_for(n), kThreads, 0, stream_of(out)>>>(cond.data<bool>(), indexer(cond), x.data<T>(),
                                                                    indexer(x), y.data<T>(), indexer(y), out.data<T>(), n);
  });
  check_launch("where");
  return true;
}

bool range_fill(const Tensor& out, double start, double delta) {
  const int64_t n = out.numel();
  if (n == 0) return true;
  switch (out.dtype()) {
    case DType::Float32: range_kernel<float><<<blocks_for(n), kThreads, 0, stream_of(out)>>>(out.data<float>(), n, start, delta); break;
    case DType::Float64: range_kernel<double><<<blocks_for(n), kThreads, 0, stream_of(out)>>>(out.data<double>(), n, start, delta); break;
    case DType::Int32: range_kernel<int32_t><<<blocks_for(n), kThreads, 0, stream_of(out)>>>(out.data<int32_t>(), n, start, delta); break;
    case DType::Int64: range_kernel<int64_t><<<blocks_for(n), kThreads, 0, stream_of(out)>>>(out.data<int64_t>(), n, start, delta); break;
    default: return false;
  }
  check_launch("range");
  return true;
}

bool random_uniform(const Tensor& out, uint64_t key, double lo, double hi) {
  const int64_t n = out.numel();
  if (n == 0) return true;
  const bool dbl = out.dtype() == DType::Float64;
  switch (out.dtype()) {
    case DType::Float32: uniform_kernel<float><<<blocks_for(n), kThreads, 0, stream_of(out)>>>(out.data<float>(), n, key, lo, hi, dbl); break;
    case DType::Float64: uniform_kernel<double><<<blocks_for(n), kThreads, 0, stream_of(out)>>>(out.data<double>(), n, key, lo, hi, dbl); break;
    case DType::Int32: uniform_kernel<int32_t><<<blocks_for(n), kThreads, 0, stream_of(out)>>>(out.data<int32_t>(), n, key, lo, hi, dbl); break;
    case DType::Int64: uniform_kernel<int64_t><<<blocks_for(n), kThreads, 0, stream_of(out)>>>(out.data<int64_t>(), n, key, lo, hi, dbl); break;
    default: return false;
  }
  check_launch("random_uniform");
  return true;
}

bool random_normal(const Tensor& out, uint64_t key, double mean, double stddev, bool truncated) {
  const int64_t n = out.numel();
  if (n == 0) return true;
  const bool dbl = out.dtype() == DType::Float64;
  switch (out.dtype()) {
    case DType::Float32: normal_kernel<float><<<blocks_for(n), kThreads, 0, stream_of(out)>>>(out.data<float>(), n, key, mean, stddev, truncated, dbl); break;
    case DType::Float64: normal_kernel<double><<<blocks_for(n), kThreads, 0, stream_of(out)>>>(out.data<double>(), n, key, mean, stddev, truncated, dbl); break;
    default: return false;
  }
  check_launch("random_normal");
  return true;
}

}  // namespace cuda
}  // namespace tapeflow
