// Activation functions shared by the fused kernels (the GEMM epilogue and the recurrent cells): 16-lane float
// vectors for float32 (inlined into each ISA's clone or target-specific kernel) and scalar double.
//
// float32: exp by Cody-Waite range reduction and a degree-6 polynomial (about 2 ulp), its argument clamped to
// [-87.33, 88.37] (exp_full_v: the whole range); erfc for the exact GELU
// by the Chebyshev fit of Numerical Recipes' erfcc (fractional error below 1.2e-7 everywhere), so that GELU keeps
// its relative accuracy in the negative tail where 1 + erf(x) would cancel. NaN propagates through every one.
#pragma once
#include <cmath>

#include "tapeflow/cpu/gemm.h"
#include "tapeflow/cpu/simd.h"

namespace tapeflow {
namespace cpu {

TF_INLINE vf16 exp_v(vf16 x) {
  x = x > splat(88.37f) ? splat(88.37f) : x;  // written so that NaN passes through
  x = x < splat(-87.33f) ? splat(-87.33f) : x;
  const vf16 magic = splat(12582912.0f);  // 1.5 * 2^23: adding and subtracting it rounds to an integer
  const vf16 n = (x * 1.44269504088896341f + magic) - magic;
  vf16 r = x - n * 0.693359375f;
  r = r + n * 2.12194440e-4f;
  vf16 p = splat(1.9875691500e-4f);
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r * r + r + 1.0f;
  typedef uint32_t vu16 __attribute__((vector_size(64)));
  const vu16 bits = (vu16)(__builtin_convertvector(n, vi16) + 127) << 23;  // unsigned: a NaN lane shifts defined
  return p * (vf16)bits;  // a same-size vector cast reinterprets the bits
}

// exp over the whole float range: lanes past exp_v's clamps (overflow to inf, subnormal or zero results) from libm.
TF_INLINE vf16 exp_full_v(vf16 x) {
  vf16 r = exp_v(x);
  const vi16 out = (x > 88.37f) | (x < -87.33f);
  bool any = false;
  for (int i = 0; i < 16; ++i) any |= out[i] != 0;
  if (any)
    for (int i = 0; i < 16; ++i)
      if (out[i]) r[i] = std::exp(x[i]);
  return r;
}

TF_INLINE vf16 abs_v(vf16 v) { return v < 0.0f ? -v : v; }

// |x| < 0.625: x + x^3 P(x^2), P a degree-4 least-squares fit to (tanh(x) - x) / x^3 in float64, weighted for
// relative error (below 1.4 ulp over the range in float32); (1 - e) / (1 + e) there would lose the relative
// accuracy of small x to cancellation. Beyond, e = exp(-2|x|) <= 0.29 and the quotient is a few ulp.
TF_INLINE vf16 tanh_v(vf16 v) {
  const vf16 a = abs_v(v), t = v * v;
  vf16 p = splat(-5.69198560e-3f);
  p = p * t + 2.06262916e-2f;
  p = p * t - 5.37353195e-2f;
  p = p * t + 1.33313820e-1f;
  p = p * t - 3.33332807e-1f;
  const vf16 small = v + v * t * p;
  const vf16 e = exp_v(a * -2.0f);
  const vf16 q = (1.0f - e) / (1.0f + e);
  return a < 0.625f ? small : (v < 0.0f ? -q : q);
}

// erfc(z) for z >= 0.
TF_INLINE vf16 erfc_nonneg_v(vf16 z) {
  const vf16 t = 1.0f / (1.0f + 0.5f * z);
  vf16 p = splat(0.17087277f);
  p = p * t - 0.82215223f;
  p = p * t + 1.48851587f;
  p = p * t - 1.13520398f;
  p = p * t + 0.27886807f;
  p = p * t - 0.18628806f;
  p = p * t + 0.09678418f;
  p = p * t + 0.37409196f;
  p = p * t + 1.00002368f;
  p = p * t - 1.26551223f;
  return t * exp_v(p - z * z);
}

// x * Phi(x) = 0.5 x erfc(-x / sqrt 2).
TF_INLINE vf16 gelu_v(vf16 x) {
  const vf16 e = erfc_nonneg_v(abs_v(x) * 0.70710678118654752f);
  return 0.5f * x * (x < 0.0f ? e : 2.0f - e);
}

TF_INLINE vf16 act_v(Act act, vf16 v) {
  switch (act) {
    case Act::Linear: return v;
    case Act::Tanh: return tanh_v(v);
    case Act::Sigmoid: return 1.0f / (1.0f + exp_v(-v));
    case Act::Relu: return v < 0.0f ? splat(0.0f) : v;
    case Act::HardSigmoid: {  // NaN passes through, as with the other activations
      const vf16 y = v * (1.0f / 6.0f) + 0.5f;
      const vf16 lo = y < 0.0f ? splat(0.0f) : y;
      return lo > 1.0f ? splat(1.0f) : lo;
    }
    case Act::Gelu: return gelu_v(v);
    case Act::GeluTanh: return 0.5f * v * (1.0f + tanh_v(0.7978845608028654f * (v + 0.044715f * v * v * v)));
  }
  return v;
}

inline double act_scalar(Act act, double v) {
  switch (act) {
    case Act::Linear: return v;
    case Act::Tanh: return std::tanh(v);
    case Act::Sigmoid: return 1.0 / (1.0 + std::exp(-v));
    case Act::Relu: return v < 0.0 ? 0.0 : v;
    case Act::HardSigmoid: {
      const double y = v / 6.0 + 0.5;
      return y < 0.0 ? 0.0 : (y > 1.0 ? 1.0 : y);
    }
    case Act::Gelu: return 0.5 * v * std::erfc(-v * 0.70710678118654752);
    case Act::GeluTanh: return 0.5 * v * (1.0 + std::tanh(0.7978845608028654 * (v + 0.044715 * v * v * v)));
  }
  return v;
}

}  // namespace cpu
}  // namespace tapeflow
