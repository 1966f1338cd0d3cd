// Philox4x32-10, the counter-based generator behind every random op, shared by the CPU kernels (cpu/random.cpp)
// and the CUDA ones (cuda/elementwise.cu) so that both draw the same streams: block(counter, stream, key) is the
// 128-bit output for one counter, u01 turns two of its words into a uniform double in [0, 1) with 24 (float32) or
// 53 (float64) random bits.
#pragma once
#include <cstdint>

#if defined(__CUDACC__)
#define TF_HOST_DEVICE __host__ __device__
#else
#define TF_HOST_DEVICE
#endif

namespace tapeflow {
namespace philox {

struct Block { uint32_t v[4]; };

TF_HOST_DEVICE inline Block block(uint64_t counter, uint32_t stream, uint64_t key) {
  uint32_t c0 = static_cast<uint32_t>(counter), c1 = static_cast<uint32_t>(counter >> 32), c2 = stream, c3 = 0;
  uint32_t k0 = static_cast<uint32_t>(key), k1 = static_cast<uint32_t>(key >> 32);
  for (int r = 0; r < 10; ++r) {
    const uint64_t p0 = uint64_t(0xD2511F53u) * c0, p1 = uint64_t(0xCD9E8D57u) * c2;
    const uint32_t n0 = static_cast<uint32_t>(p1 >> 32) ^ c1 ^ k0, n2 = static_cast<uint32_t>(p0 >> 32) ^ c3 ^ k1;
    c1 = static_cast<uint32_t>(p1);
    c3 = static_cast<uint32_t>(p0);
    c0 = n0;
    c2 = n2;
    k0 += 0x9E3779B9u;
    k1 += 0xBB67AE85u;
  }
  return {{c0, c1, c2, c3}};
}

TF_HOST_DEVICE inline double u01(uint32_t a, uint32_t b, bool dbl) {
  if (dbl) return (((uint64_t(a) << 32) | b) >> 11) * (1.0 / 9007199254740992.0);
  return (a >> 8) * (1.0 / 16777216.0);
}

}  // namespace philox
}  // namespace tapeflow
