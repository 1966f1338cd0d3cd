// DType: the element types a tensor can hold, their sizes and names, and the
// float16 <-> float32 conversions used wherever float16 is stored.
#pragma once
#include <cstdint>
#include <cstring>
#include <string>

namespace tapeflow {

// The numeric codes are shared with Python (tapeflow/dtypes.py).
enum class DType : uint8_t { Float32 = 0, Float64 = 1, Float16 = 2, Int32 = 3, Int64 = 4, UInt8 = 5, Bool = 6 };
constexpr int kNumDTypes = 7;

inline size_t itemsize(DType d) {
  switch (d) {
    case DType::Float64: case DType::Int64: return 8;
    case DType::Float32: case DType::Int32: return 4;
    case DType::Float16: return 2;
    default: return 1;
  }
}
inline const char* dtype_name(DType d) {
  static const char* names[] = {"float32", "float64", "float16", "int32", "int64", "uint8", "bool"};
  const int c = static_cast<int>(d);
  return c < kNumDTypes ? names[c] : "<invalid dtype>";
}
inline bool is_floating(DType d) { return d == DType::Float32 || d == DType::Float64 || d == DType::Float16; }
inline bool is_integer(DType d) { return d == DType::Int32 || d == DType::Int64 || d == DType::UInt8; }

// IEEE half stored as raw bits. Arithmetic happens in float32.
struct half_t { uint16_t bits; };

inline float half_to_float(uint16_t h) {
  uint32_t sign = (h & 0x8000u) << 16, exp = (h >> 10) & 0x1f, man = h & 0x3ffu, out;
  if (exp == 0) {
    if (man == 0) { out = sign; }
    else {  // subnormal: renormalise
      int e = -1;
      do { ++e; man <<= 1; } while (!(man & 0x400u));
      out = sign | ((127 - 15 - e) << 23) | ((man & 0x3ffu) << 13);
    }
  } else if (exp == 31) {
    out = sign | 0x7f800000u | (man << 13);
  } else {
    out = sign | ((exp + 127 - 15) << 23) | (man << 13);
  }
  float f; std::memcpy(&f, &out, 4); return f;
}

inline uint16_t float_to_half(float f) {  // round to nearest even
  uint32_t x; std::memcpy(&x, &f, 4);
  uint32_t sign = (x >> 16) & 0x8000u;
  uint32_t absx = x & 0x7fffffffu;
  if (absx >= 0x7f800000u) return static_cast<uint16_t>(sign | 0x7c00u | (absx > 0x7f800000u ? 0x200u : 0));
  if (absx >= 0x477ff000u) return static_cast<uint16_t>(sign | 0x7c00u);  // overflow -> inf
  if (absx < 0x38800000u) {  // subnormal or zero in half
    if (absx < 0x33000000u) return static_cast<uint16_t>(sign);
    uint32_t e = absx >> 23, man = (absx & 0x7fffffu) | 0x800000u;
    uint32_t shift = 126 - e;  // 14..24
    uint32_t r = man >> shift, rem = man & ((1u << shift) - 1), halfway = 1u << (shift - 1);
    if (rem > halfway || (rem == halfway && (r & 1u))) ++r;
    return static_cast<uint16_t>(sign | r);
  }
  uint32_t r = ((absx >> 13) - ((127 - 15) << 10));
  uint32_t rem = absx & 0x1fffu;
  if (rem > 0x1000u || (rem == 0x1000u && (r & 1u))) ++r;
  return static_cast<uint16_t>(sign | r);
}

// Calls f(T{}) with T the C++ type of `d`; float16 maps to half_t.
#define TF_DISPATCH_ALL(d, ...)                                            \
  switch (d) {                                                             \
    case ::tapeflow::DType::Float32: { using T = float; __VA_ARGS__; break; }   \
    case ::tapeflow::DType::Float64: { using T = double; __VA_ARGS__; break; }  \
    case ::tapeflow::DType::Float16: { using T = ::tapeflow::half_t; __VA_ARGS__; break; } \
    case ::tapeflow::DType::Int32: { using T = int32_t; __VA_ARGS__; break; }   \
    case ::tapeflow::DType::Int64: { using T = int64_t; __VA_ARGS__; break; }   \
    case ::tapeflow::DType::UInt8: { using T = uint8_t; __VA_ARGS__; break; }   \
    case ::tapeflow::DType::Bool: { using T = bool; __VA_ARGS__; break; }       \
  }

// Numeric types that kernels compute in (float16 is computed as float32 by the op layer).
#define TF_DISPATCH_NUMERIC(d, opname, ...)                                \
  switch (d) {                                                             \
    case ::tapeflow::DType::Float32: { using T = float; __VA_ARGS__; break; }   \
    case ::tapeflow::DType::Float64: { using T = double; __VA_ARGS__; break; }  \
    case ::tapeflow::DType::Int32: { using T = int32_t; __VA_ARGS__; break; }   \
    case ::tapeflow::DType::Int64: { using T = int64_t; __VA_ARGS__; break; }   \
    case ::tapeflow::DType::UInt8: { using T = uint8_t; __VA_ARGS__; break; }   \
    default: throw ::tapeflow::TypeError(std::string("[") + opname + "] unsupported dtype " + ::tapeflow::dtype_name(d)); \
  }

#define TF_DISPATCH_FLOAT(d, opname, ...)                                  \
  switch (d) {                                                             \
    case ::tapeflow::DType::Float32: { using T = float; __VA_ARGS__; break; }   \
    case ::tapeflow::DType::Float64: { using T = double; __VA_ARGS__; break; }  \
    default: throw ::tapeflow::TypeError(std::string("[") + opname + "] expects a floating-point tensor, got " + ::tapeflow::dtype_name(d)); \
  }

}  // namespace tapeflow
