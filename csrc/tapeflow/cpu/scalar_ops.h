// Scalar conversions and integer arithmetic that never invoke undefined
// behaviour: signed overflow wraps (via unsigned), float->int saturates, NaN->0.
#pragma once
#include <cmath>
#include <cstdint>
#include <limits>
#include <type_traits>

#include "tapeflow/core/dtype.h"

namespace tapeflow {
namespace cpu {

template <class T> inline double to_double(T v) { return static_cast<double>(v); }
template <> inline double to_double<half_t>(half_t v) { return half_to_float(v.bits); }

template <class To, class From>
inline To convert(From v) {
  if constexpr (std::is_same_v<From, half_t>) {
    return convert<To>(half_to_float(v.bits));
  } else if constexpr (std::is_same_v<To, half_t>) {
    return half_t{float_to_half(static_cast<float>(v))};
  } else if constexpr (std::is_same_v<To, bool>) {
    return v != From(0);
  } else if constexpr (std::is_integral_v<To> && std::is_floating_point_v<From>) {
    if (std::isnan(v)) return To(0);
    if (v <= static_cast<From>(std::numeric_limits<To>::min())) return std::numeric_limits<To>::min();
    if (v >= static_cast<From>(std::numeric_limits<To>::max())) return std::numeric_limits<To>::max();
    return static_cast<To>(v);
  } else {
    return static_cast<To>(v);
  }
}

template <class T> inline T wrap_add(T a, T b) {
  if constexpr (std::is_integral_v<T>) { using U = std::make_unsigned_t<T>; return static_cast<T>(static_cast<U>(a) + static_cast<U>(b)); }
  else return a + b;
}
template <class T> inline T wrap_sub(T a, T b) {
  if constexpr (std::is_integral_v<T>) { using U = std::make_unsigned_t<T>; return static_cast<T>(static_cast<U>(a) - static_cast<U>(b)); }
  else return a - b;
}
template <class T> inline T wrap_mul(T a, T b) {
  if constexpr (std::is_integral_v<T>) {
    using U = std::make_unsigned_t<T>;
    using W = std::conditional_t<(sizeof(T) < sizeof(unsigned)), unsigned, U>;  // avoid int promotion overflow
    return static_cast<T>(static_cast<U>(static_cast<W>(static_cast<U>(a)) * static_cast<W>(static_cast<U>(b))));
  } else return a * b;
}
template <class T> inline T wrap_neg(T a) { return wrap_sub(T(0), a); }

}  // namespace cpu
}  // namespace tapeflow
