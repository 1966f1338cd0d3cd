// Counter-based random numbers: Philox4x32-10. Element i of a fill uses the
// counter (i / 4, 0, stream) under a 64-bit key, so the value of every element
// depends only on (key, i): identical on every machine and thread count.
// uniform: 24 (float32) or 53 (float64) random bits in [0, 1).
// normal: Box-Muller on two uniforms from the same Philox block.
// truncated normal: redraws outside two standard deviations, each redraw on a
// fresh counter stream.
#include <cmath>
#include <cstdint>

#include "tapeflow/core/philox.h"
#include "tapeflow/core/threadpool.h"
#include "tapeflow/cpu/kernels.h"
#include "tapeflow/cpu/scalar_ops.h"

namespace tapeflow {
namespace cpu {
namespace {

using philox::Block;
using philox::u01;

template <class F> void fill_parallel(const Tensor& out, F value_at) {
  TF_DISPATCH_ALL(out.dtype(), {
    T* p = out.data<T>();
    parallel_for(out.numel(), 1 << 14, [&](int64_t lo, int64_t hi) {
      for (int64_t i = lo; i < hi; ++i) p[i] = convert<T>(value_at(i));
    });
  });
}

inline double normal_at(uint64_t key, int64_t i, uint32_t stream, bool dbl) {
  Block b = philox::block(static_cast<uint64_t>(i), stream, key);
  double u1 = u01(b.v[0], b.v[1], dbl), u2 = u01(b.v[2], b.v[3], dbl);
  return std::sqrt(-2.0 * std::log(1.0 - u1)) * std::cos(6.283185307179586 * u2);
}

}  // namespace

void random_uniform(const Tensor& out, uint64_t key, double lo, double hi) {
  const bool dbl = out.dtype() == DType::Float64;
  if (is_integer(out.dtype())) {
    const uint64_t range = static_cast<uint64_t>(hi - lo);
    fill_parallel(out, [&](int64_t i) {
      Block b = philox::block(static_cast<uint64_t>(i), 0, key);
      return lo + static_cast<double>(((uint64_t(b.v[0]) << 32) | b.v[1]) % range);
    });
    return;
  }
  fill_parallel(out, [&](int64_t i) {
    Block b = philox::block(static_cast<uint64_t>(i), 0, key);
    double v = lo + (hi - lo) * u01(b.v[0], b.v[1], dbl);
    return v < hi ? v : lo;  // guard rounding up to hi in float32
  });
}

void random_normal(const Tensor& out, uint64_t key, double mean, double stddev, bool truncated) {
  const bool dbl = out.dtype() == DType::Float64;
  fill_parallel(out, [&](int64_t i) {
    double z = normal_at(key, i, 0, dbl);
    for (uint32_t s = 1; truncated && std::fabs(z) > 2.0; ++s) z = normal_at(key, i, s, dbl);
    return mean + stddev * z;
  });
}

}  // namespace cpu
}  // namespace tapeflow
