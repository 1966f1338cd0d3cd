// Portable SIMD for the CPU kernels: GCC vector types of 16 lanes, lowered to each ISA's registers in functions
// cloned per ISA (TF_SIMD_CLONES; the library itself targets baseline x86-64 and the loader picks a clone).
// Helpers that take or return vectors are always inlined into their caller's clone.
#pragma once
#include <cstdint>
#include <cstring>

#pragma GCC diagnostic ignored "-Wpsabi"  // vector arguments of internal, inlined helpers: no ABI involved

#define TF_SIMD_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#define TF_INLINE inline __attribute__((always_inline))

namespace tapeflow {
namespace cpu {

typedef float vf16 __attribute__((vector_size(64)));
typedef int32_t vi16 __attribute__((vector_size(64)));

TF_INLINE vf16 splat(float v) { return v - vf16{}; }  // a scalar operand is broadcast

// Loads and stores of n <= 16 floats (a partial vector is zero-padded).
TF_INLINE vf16 ld(const float* p, int64_t n) {
  vf16 v{};
  if (n == 16) std::memcpy(&v, p, sizeof v);  // a fixed size: one vector load
  else std::memcpy(&v, p, static_cast<size_t>(n) * sizeof(float));
  return v;
}
TF_INLINE void st(float* p, vf16 v, int64_t n) {
  if (n == 16) std::memcpy(p, &v, sizeof v);
  else std::memcpy(p, &v, static_cast<size_t>(n) * sizeof(float));
}
TF_INLINE vi16 ldi(const int32_t* p, int64_t n) {
  vi16 v{};
  if (n == 16) std::memcpy(&v, p, sizeof v);
  else std::memcpy(&v, p, static_cast<size_t>(n) * sizeof(int32_t));
  return v;
}
TF_INLINE void sti(int32_t* p, vi16 v, int64_t n) {
  if (n == 16) std::memcpy(p, &v, sizeof v);
  else std::memcpy(p, &v, static_cast<size_t>(n) * sizeof(int32_t));
}

}  // namespace cpu
}  // namespace tapeflow
