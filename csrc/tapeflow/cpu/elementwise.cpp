// Elementwise kernels: fill, copy, cast, unary and binary maps, where.
// Operands share one shape (broadcasting is done by stride-0 views upstream).
// Each map has a contiguous fast path (unit strides; the compiler vectorises
// it, and the float32 arithmetic maps are compiled for AVX-512/AVX2/SSE2 and
// picked at run time) and a strided path. Integer arithmetic wraps; integer
// division by zero is reported, never executed.
#include <atomic>
#include <cmath>
#include <cstring>
#include <string>

#include "tapeflow/cpu/kernels.h"
#include "tapeflow/cpu/loops.h"
#include "tapeflow/cpu/simd.h"
#include "tapeflow/cpu/scalar_ops.h"
#include "tapeflow/cpu/vmath.h"

namespace tapeflow {
namespace cpu {

bool one_value(const Tensor& t) {
  for (int64_t i = 0; i < t.ndim(); ++i)
    if (t.dim(i) != 1 && t.strides()[i] != 0) return false;
  return true;
}

// ---- float32 maps over ranges: the contiguous fast paths of unary() and binary(), and fused chains ----

bool f32_range_unary_ok(UnaryOp op) {
  switch (op) {
    case UnaryOp::Neg: case UnaryOp::Abs: case UnaryOp::Sqrt: case UnaryOp::Exp: case UnaryOp::Log:
    case UnaryOp::Tanh: case UnaryOp::Sigmoid: case UnaryOp::Relu: case UnaryOp::Square: case UnaryOp::Reciprocal:
      return true;
    default: return false;
  }
}

bool f32_range_binary_ok(BinaryOp op) {
  switch (op) {
    case BinaryOp::Add: case BinaryOp::Sub: case BinaryOp::Mul: case BinaryOp::Div: case BinaryOp::Max:
    case BinaryOp::Min: case BinaryOp::ReluGrad:
      return true;
    default: return false;
  }
}

// exp, tanh, sigmoid and log take about 20 cycles a value: worth a second thread sooner.
int64_t f32_range_grain(UnaryOp op) {
  return op == UnaryOp::Exp || op == UnaryOp::Tanh || op == UnaryOp::Sigmoid || op == UnaryOp::Log ? 1 << 12
                                                                                                   : kElementwiseGrain;
}

// exp, tanh and sigmoid are the 16-lane functions of the fused kernels (vmath.h), so that an activation gives the
// same bits as a standalone op or fused into a GEMM's epilogue.
TF_SIMD_CLONES void f32_range_unary(UnaryOp op, const float* __restrict x, float* __restrict o, int64_t n) {
  switch (op) {
    case UnaryOp::Exp: case UnaryOp::Tanh: case UnaryOp::Sigmoid:
      for (int64_t i = 0; i < n; i += 16) {
        const int64_t w = std::min<int64_t>(16, n - i);
        const vf16 v = ld(x + i, w);
        st(o + i, op == UnaryOp::Exp ? exp_full_v(v) : act_v(op == UnaryOp::Tanh ? Act::Tanh : Act::Sigmoid, v), w);
      }
      break;
    case UnaryOp::Neg: for (int64_t i = 0; i < n; ++i) o[i] = -x[i]; break;
    case UnaryOp::Abs: for (int64_t i = 0; i < n; ++i) o[i] = std::abs(x[i]); break;
    case UnaryOp::Sqrt: for (int64_t i = 0; i < n; ++i) o[i] = std::sqrt(x[i]); break;
    case UnaryOp::Log: for (int64_t i = 0; i < n; ++i) o[i] = std::log(x[i]); break;
    case UnaryOp::Relu: for (int64_t i = 0; i < n; ++i) o[i] = x[i] < 0.f ? 0.f : x[i]; break;  // NaN passes, as in TF
    case UnaryOp::Square: for (int64_t i = 0; i < n; ++i) o[i] = x[i] * x[i]; break;
    case UnaryOp::Reciprocal: for (int64_t i = 0; i < n; ++i) o[i] = 1.f / x[i]; break;
    default: break;
  }
}

namespace {
// o[i] = f(a[i * sa], b[i * sb]) with steps of 1, or 0 for one value throughout.
template <class F>
TF_INLINE void zip(const float* __restrict a, int64_t sa, const float* __restrict b, int64_t sb, float* __restrict o,
                   int64_t n, F f) {
  if (sa && sb) for (int64_t i = 0; i < n; ++i) o[i] = f(a[i], b[i]);
  else if (sa) { const float y = *b; for (int64_t i = 0; i < n; ++i) o[i] = f(a[i], y); }
  else if (sb) { const float x = *a; for (int64_t i = 0; i < n; ++i) o[i] = f(x, b[i]); }
  else { const float r = f(*a, *b); for (int64_t i = 0; i < n; ++i) o[i] = r; }
}
}  // namespace

TF_SIMD_CLONES void f32_range_binary(BinaryOp op, const float* a, int64_t sa, const float* b, int64_t sb, float* o,
                                     int64_t n) {
  switch (op) {
    case BinaryOp::Add: zip(a, sa, b, sb, o, n, [](float x, float y) { return x + y; }); break;
    case BinaryOp::Sub: zip(a, sa, b, sb, o, n, [](float x, float y) { return x - y; }); break;
    case BinaryOp::Mul: zip(a, sa, b, sb, o, n, [](float x, float y) { return x * y; }); break;
    case BinaryOp::Div: zip(a, sa, b, sb, o, n, [](float x, float y) { return x / y; }); break;
    // NaN wins, as in binary_arith below.
    case BinaryOp::Max: zip(a, sa, b, sb, o, n, [](float x, float y) { return (x > y || x != x) ? x : y; }); break;
    case BinaryOp::Min: zip(a, sa, b, sb, o, n, [](float x, float y) { return (x < y || x != x) ? x : y; }); break;
    case BinaryOp::ReluGrad: zip(a, sa, b, sb, o, n, [](float x, float g) { return x > 0.f ? g : 0.f; }); break;
    default: break;
  }
}

namespace {

template <class R, class T, class F>
void map1(const Tensor& x, const Tensor& out, F f) {
  for_each_strided<2>(out.shape(), {&out, &x}, [&](char** p, const int64_t* s, int64_t n) {
    if (s[0] == sizeof(R) && s[1] == sizeof(T)) {
      R* __restrict o = reinterpret_cast<R*>(p[0]);
      const T* __restrict a = reinterpret_cast<const T*>(p[1]);
      for (int64_t i = 0; i < n; ++i) o[i] = f(a[i]);
    } else {
      for (int64_t i = 0; i < n; ++i)
        *reinterpret_cast<R*>(p[0] + i * s[0]) = f(*reinterpret_cast<const T*>(p[1] + i * s[1]));
    }
  });
}

template <class R, class T, class F>
void map2(const Tensor& a, const Tensor& b, const Tensor& out, F f) {
  for_each_strided<3>(out.shape(), {&out, &a, &b}, [&](char** p, const int64_t* s, int64_t n) {
    R* __restrict o = reinterpret_cast<R*>(p[0]);
    const T* __restrict x = reinterpret_cast<const T*>(p[1]);
    const T* __restrict y = reinterpret_cast<const T*>(p[2]);
    if (s[0] == sizeof(R) && s[1] == sizeof(T) && s[2] == sizeof(T)) {
      for (int64_t i = 0; i < n; ++i) o[i] = f(x[i], y[i]);
    } else if (s[0] == sizeof(R) && s[1] == sizeof(T) && s[2] == 0) {
      const T yv = *y;
      for (int64_t i = 0; i < n; ++i) o[i] = f(x[i], yv);
    } else if (s[0] == sizeof(R) && s[1] == 0 && s[2] == sizeof(T)) {
      const T xv = *x;
      for (int64_t i = 0; i < n; ++i) o[i] = f(xv, y[i]);
    } else {
      for (int64_t i = 0; i < n; ++i)
        *reinterpret_cast<R*>(p[0] + i * s[0]) =
            f(*reinterpret_cast<const T*>(p[1] + i * s[1]), *reinterpret_cast<const T*>(p[2] + i * s[2]));
    }
  });
}

// A stride-0 view of a contiguous vector along the last axis (a bias broadcast over rows).
bool row_broadcast(const Tensor& t) {
  const int64_t n = t.ndim();
  if (n < 2 || (t.strides()[n - 1] != 1 && t.dim(n - 1) != 1)) return false;
  for (int64_t i = 0; i + 1 < n; ++i)
    if (t.strides()[i] != 0 && t.dim(i) != 1) return false;
  return true;
}

bool f32_fast_binary(BinaryOp op, const Tensor& a, const Tensor& b, const Tensor& out) {
  if (out.dtype() != DType::Float32 || a.dtype() != DType::Float32 || !out.is_contiguous() ||
      a.numel() != out.numel() || b.numel() != out.numel() || !f32_range_binary_ok(op))
    return false;
  const bool a_full = a.is_contiguous(), b_full = b.is_contiguous();
  const float* pa = a.data<float>(); const float* pb = b.data<float>(); float* po = out.data<float>();
  if ((a_full || one_value(a)) && (b_full || one_value(b))) {  // whole ranges, or one value for all
    const int64_t sa = a_full ? 1 : 0, sb = b_full ? 1 : 0;
    parallel_for(out.numel(), kElementwiseGrain, [&](int64_t lo, int64_t hi) {
      f32_range_binary(op, pa + lo * sa, sa, pb + lo * sb, sb, po + lo, hi - lo);
    });
    return true;
  }
  const bool a_row = !a_full && b_full && row_broadcast(a), b_row = !b_full && a_full && row_broadcast(b);
  if (!a_row && !b_row) return false;
  // One vector against each row: rows in parallel.
  const int64_t width = out.dim(out.ndim() - 1), rows = width ? out.numel() / width : 0;
  parallel_for(rows, std::max<int64_t>(1, kElementwiseGrain / std::max<int64_t>(width, 1)), [&](int64_t lo, int64_t hi) {
    for (int64_t r = lo; r < hi; ++r)
      f32_range_binary(op, a_row ? pa : pa + r * width, 1, b_row ? pb : pb + r * width, 1, po + r * width, width);
  });
  return true;
}

bool f32_fast_unary(UnaryOp op, const Tensor& x, const Tensor& out) {
  if (x.dtype() != DType::Float32 || !x.is_contiguous() || !out.is_contiguous() || !f32_range_unary_ok(op)) return false;
  const float* px = x.data<float>(); float* po = out.data<float>();
  parallel_for(out.numel(), f32_range_grain(op), [&](int64_t lo, int64_t hi) { f32_range_unary(op, px + lo, po + lo, hi - lo); });
  return true;
}

template <class T> T float_floormod(T a, T b) {
  T r = std::fmod(a, b);
  if (r != 0 && ((r < 0) != (b < 0))) r += b;
  return r;
}

template <class T> void unary_float(UnaryOp op, const Tensor& x, const Tensor& out) {
  switch (op) {
    case UnaryOp::Neg: map1<T, T>(x, out, [](T v) { return -v; }); break;
    case UnaryOp::Abs: map1<T, T>(x, out, [](T v) { return std::abs(v); }); break;
    case UnaryOp::Sign: map1<T, T>(x, out, [](T v) { return v > 0 ? T(1) : (v < 0 ? T(-1) : v); }); break;
    case UnaryOp::Sqrt: map1<T, T>(x, out, [](T v) { return std::sqrt(v); }); break;
    case UnaryOp::Rsqrt: map1<T, T>(x, out, [](T v) { return T(1) / std::sqrt(v); }); break;
    case UnaryOp::Exp: map1<T, T>(x, out, [](T v) { return std::exp(v); }); break;
    case UnaryOp::Log: map1<T, T>(x, out, [](T v) { return std::log(v); }); break;
    case UnaryOp::Log1p: map1<T, T>(x, out, [](T v) { return std::log1p(v); }); break;
    case UnaryOp::Expm1: map1<T, T>(x, out, [](T v) { return std::expm1(v); }); break;
    case UnaryOp::Tanh: map1<T, T>(x, out, [](T v) { return std::tanh(v); }); break;
    case UnaryOp::Sigmoid: map1<T, T>(x, out, [](T v) { return T(1) / (T(1) + std::exp(-v)); }); break;
    case UnaryOp::Relu: map1<T, T>(x, out, [](T v) { return v < 0 ? T(0) : v; }); break;  // NaN passes, as in TF
    case UnaryOp::Erf: map1<T, T>(x, out, [](T v) { return std::erf(v); }); break;
    case UnaryOp::Softplus:
      map1<T, T>(x, out, [](T v) { return v > 0 ? v + std::log1p(std::exp(-v)) : std::log1p(std::exp(v)); });
      break;
    case UnaryOp::Square: map1<T, T>(x, out, [](T v) { return v * v; }); break;
    case UnaryOp::Sin: map1<T, T>(x, out, [](T v) { return std::sin(v); }); break;
    case UnaryOp::Cos: map1<T, T>(x, out, [](T v) { return std::cos(v); }); break;
    case UnaryOp::Reciprocal: map1<T, T>(x, out, [](T v) { return T(1) / v; }); break;
    case UnaryOp::Floor: map1<T, T>(x, out, [](T v) { return std::floor(v); }); break;
    case UnaryOp::Ceil: map1<T, T>(x, out, [](T v) { return std::ceil(v); }); break;
    case UnaryOp::Round: map1<T, T>(x, out, [](T v) { return std::nearbyint(v); }); break;
    case UnaryOp::IsNan: map1<bool, T>(x, out, [](T v) { return std::isnan(v); }); break;
    case UnaryOp::IsInf: map1<bool, T>(x, out, [](T v) { return std::isinf(v); }); break;
    case UnaryOp::IsFinite: map1<bool, T>(x, out, [](T v) { return std::isfinite(v); }); break;
    default: throw TypeError("[unary] op is not defined for floating-point tensors");
  }
}

template <class T> void unary_int(UnaryOp op, const Tensor& x, const Tensor& out) {
  switch (op) {
    case UnaryOp::Neg: map1<T, T>(x, out, [](T v) { return wrap_neg(v); }); break;
    case UnaryOp::Abs: map1<T, T>(x, out, [](T v) { return v < 0 ? wrap_neg(v) : v; }); break;
    case UnaryOp::Sign: map1<T, T>(x, out, [](T v) { return static_cast<T>((v > 0) - (v < 0)); }); break;
    case UnaryOp::Square: map1<T, T>(x, out, [](T v) { return wrap_mul(v, v); }); break;
    case UnaryOp::Relu: map1<T, T>(x, out, [](T v) { return v < 0 ? T(0) : v; }); break;
    case UnaryOp::Floor: case UnaryOp::Ceil: case UnaryOp::Round: copy(x, out); break;
    case UnaryOp::IsNan: case UnaryOp::IsInf: map1<bool, T>(x, out, [](T) { return false; }); break;
    case UnaryOp::IsFinite: map1<bool, T>(x, out, [](T) { return true; }); break;
    default: throw TypeError(std::string("[unary] op is not defined for integer tensors of dtype ") + dtype_name(x.dtype()));
  }
}

template <class T> T int_pow(T base, T e) {
  T r = 1;
  while (e > 0) {
    if (e & 1) r = wrap_mul(r, base);
    base = wrap_mul(base, base);
    e = static_cast<T>(e >> 1);
  }
  return r;
}

template <class T> void binary_arith(BinaryOp op, const Tensor& a, const Tensor& b, const Tensor& out) {
  std::atomic<int> err{0};  // 1: division by zero, 2: negative integer power
  switch (op) {
    case BinaryOp::Add: map2<T, T>(a, b, out, [](T x, T y) { return wrap_add(x, y); }); break;
    case BinaryOp::Sub: map2<T, T>(a, b, out, [](T x, T y) { return wrap_sub(x, y); }); break;
    case BinaryOp::Mul: map2<T, T>(a, b, out, [](T x, T y) { return wrap_mul(x, y); }); break;
    case BinaryOp::Max: map2<T, T>(a, b, out, [](T x, T y) { return (x > y || x != x) ? x : y; }); break;
    case BinaryOp::Min: map2<T, T>(a, b, out, [](T x, T y) { return (x < y || x != x) ? x : y; }); break;
    case BinaryOp::ReluGrad: map2<T, T>(a, b, out, [](T x, T g) { return x > T(0) ? g : T(0); }); break;
    case BinaryOp::Div:
    case BinaryOp::FloorDiv:
    case BinaryOp::Mod: {
      if constexpr (std::is_floating_point_v<T>) {
        if (op == BinaryOp::Div) map2<T, T>(a, b, out, [](T x, T y) { return x / y; });
        else if (op == BinaryOp::FloorDiv) map2<T, T>(a, b, out, [](T x, T y) { return std::floor(x / y); });
        else map2<T, T>(a, b, out, [](T x, T y) { return float_floormod(x, y); });
      } else {
        const bool floor_div = op == BinaryOp::FloorDiv, mod = op == BinaryOp::Mod;
        map2<T, T>(a, b, out, [&](T x, T y) -> T {
          if (y == 0) { err = 1; return 0; }
          if constexpr (std::is_signed_v<T>) {
            if (y == T(-1)) return mod ? T(0) : wrap_neg(x);  // avoids MIN / -1
            T q = static_cast<T>(x / y), r = static_cast<T>(x % y);
            if ((floor_div || mod) && r != 0 && ((r < 0) != (y < 0))) { --q; r = static_cast<T>(r + y); }
            return mod ? r : q;
          } else {
            return mod ? static_cast<T>(x % y) : static_cast<T>(x / y);
          }
        });
      }
      break;
    }
    case BinaryOp::Pow:
      if constexpr (std::is_floating_point_v<T>) {
        map2<T, T>(a, b, out, [](T x, T y) { return std::pow(x, y); });
      } else {
        map2<T, T>(a, b, out, [&](T x, T y) -> T {
          if constexpr (std::is_signed_v<T>) { if (y < 0) { err = 2; return 0; } }
          return int_pow(x, y);
        });
      }
      break;
    default: throw TypeError("[binary] op is not arithmetic");
  }
  if (err == 1) throw InvalidArgument("[div] Integer division by zero");
  if (err == 2) throw InvalidArgument("[pow] Integers to negative integer powers are not allowed");
}

template <class T> void binary_compare(BinaryOp op, const Tensor& a, const Tensor& b, const Tensor& out) {
  switch (op) {
    case BinaryOp::Eq: map2<bool, T>(a, b, out, [](T x, T y) { return x == y; }); break;
    case BinaryOp::Ne: map2<bool, T>(a, b, out, [](T x, T y) { return x != y; }); break;
    case BinaryOp::Lt: map2<bool, T>(a, b, out, [](T x, T y) { return x < y; }); break;
    case BinaryOp::Le: map2<bool, T>(a, b, out, [](T x, T y) { return x <= y; }); break;
    case BinaryOp::Gt: map2<bool, T>(a, b, out, [](T x, T y) { return x > y; }); break;
    case BinaryOp::Ge: map2<bool, T>(a, b, out, [](T x, T y) { return x >= y; }); break;
    default: break;
  }
}

bool is_compare(BinaryOp op) { return op >= BinaryOp::Eq && op <= BinaryOp::Ge; }

template <class U> void copy_bits(const Tensor& src, const Tensor& dst) {
  for_each_strided<2>(dst.shape(), {&dst, &src}, [](char** p, const int64_t* s, int64_t n) {
    if (s[0] == sizeof(U) && s[1] == sizeof(U)) {
      std::memcpy(p[0], p[1], static_cast<size_t>(n) * sizeof(U));
    } else {
      for (int64_t i = 0; i < n; ++i) *reinterpret_cast<U*>(p[0] + i * s[0]) = *reinterpret_cast<const U*>(p[1] + i * s[1]);
    }
  });
}

}  // namespace

void fill_scalar(const Tensor& out, double v) {
  TF_DISPATCH_ALL(out.dtype(), {
    T val = convert<T>(v);
    for_each_strided<1>(out.shape(), {&out}, [&](char** p, const int64_t* s, int64_t n) {
      for (int64_t i = 0; i < n; ++i) *reinterpret_cast<T*>(p[0] + i * s[0]) = val;
    });
  });
}

double read_scalar(const Tensor& t) {
  double r = 0;
  TF_DISPATCH_ALL(t.dtype(), { r = to_double(*t.data<T>()); });
  return r;
}

void copy(const Tensor& src, const Tensor& dst) {
  switch (itemsize(src.dtype())) {
    case 1: copy_bits<uint8_t>(src, dst); break;
    case 2: copy_bits<uint16_t>(src, dst); break;
    case 4: copy_bits<uint32_t>(src, dst); break;
    default: copy_bits<uint64_t>(src, dst); break;
  }
}

void cast(const Tensor& src, const Tensor& dst) {
  if (src.dtype() == dst.dtype()) { copy(src, dst); return; }
  TF_DISPATCH_ALL(src.dtype(), {
    using S = T;
    TF_DISPATCH_ALL(dst.dtype(), { map1<T, S>(src, dst, [](S v) { return convert<T>(v); }); });
  });
}

void unary(UnaryOp op, const Tensor& x, const Tensor& out) {
  if (f32_fast_unary(op, x, out)) return;
  switch (x.dtype()) {
    case DType::Float32: unary_float<float>(op, x, out); break;
    case DType::Float64: unary_float<double>(op, x, out); break;
    case DType::Int32: unary_int<int32_t>(op, x, out); break;
    case DType::Int64: unary_int<int64_t>(op, x, out); break;
    case DType::UInt8: unary_int<uint8_t>(op, x, out); break;
    case DType::Bool:
      if (op != UnaryOp::LogicalNot) throw TypeError("[unary] op is not defined for bool tensors");
      map1<bool, bool>(x, out, [](bool v) { return !v; });
      break;
    default: throw TypeError(std::string("[unary] unsupported dtype ") + dtype_name(x.dtype()));
  }
}

void binary(BinaryOp op, const Tensor& a, const Tensor& b, const Tensor& out) {
  if (op == BinaryOp::And || op == BinaryOp::Or || op == BinaryOp::Xor) {
    if (op == BinaryOp::And) map2<bool, bool>(a, b, out, [](bool x, bool y) { return x && y; });
    else if (op == BinaryOp::Or) map2<bool, bool>(a, b, out, [](bool x, bool y) { return x || y; });
    else map2<bool, bool>(a, b, out, [](bool x, bool y) { return x != y; });
    return;
  }
  if (is_compare(op)) {
    if (a.dtype() == DType::Bool) { binary_compare<bool>(op, a, b, out); return; }
    TF_DISPATCH_NUMERIC(a.dtype(), "compare", binary_compare<T>(op, a, b, out));
    return;
  }
  if (f32_fast_binary(op, a, b, out)) return;
  TF_DISPATCH_NUMERIC(a.dtype(), "binary", binary_arith<T>(op, a, b, out));
}

void where(const Tensor& cond, const Tensor& x, const Tensor& y, const Tensor& out) {
  auto run = [&](auto tag) {
    using U = decltype(tag);
    for_each_strided<4>(out.shape(), {&out, &cond, &x, &y}, [](char** p, const int64_t* s, int64_t n) {
      for (int64_t i = 0; i < n; ++i) {
        bool c = *reinterpret_cast<const bool*>(p[1] + i * s[1]);
        *reinterpret_cast<U*>(p[0] + i * s[0]) = *reinterpret_cast<const U*>(p[c ? 2 : 3] + i * s[c ? 2 : 3]);
      }
    });
  };
  switch (itemsize(x.dtype())) {
    case 1: run(uint8_t{}); break;
    case 2: run(uint16_t{}); break;
    case 4: run(uint32_t{}); break;
    default: run(uint64_t{}); break;
  }
}

}  // namespace cpu
}  // namespace tapeflow
