// bench_gemm: times tapeflow's float32 GEMM on square sizes 64 ... 4096 and on the layer shapes of a 784-input
// MLP at batch 32 and 128 (the forward product and the two gradient products, with their transposed operands),
// checks each result against a float64 reference (every element when M*N*K <= 2^24, else 64 sampled rows), and
// reports GFLOP/s and the fraction of this machine's FMA peak.
//
// The peak is measured with a register-only loop of independent FMAs (AVX-512 when the CPU has it, else AVX2)
// on every thread, briefly before each shape; the fraction uses the highest peak seen, so that a slow spell of
// a shared machine during one peak measurement does not flatter the GEMM.
//
// Usage: bench_gemm [threads] [isa: avx512|avx2|generic] [--quick]   (--quick: squares up to 1024)
// Block sizes can be overridden for tuning: TAPEFLOW_GEMM_KC, TAPEFLOW_GEMM_MC, TAPEFLOW_GEMM_NC.
#include <immintrin.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "tapeflow/core/threadpool.h"
#include "tapeflow/cpu/gemm.h"

namespace {

using Clock = std::chrono::steady_clock;

// GFLOP/s of one core running 12 independent FMA chains for `iters` rounds.
__attribute__((target("avx512f,fma"))) double fma_peak_avx512(long iters) {
  __m512 acc[12], m = _mm512_set1_ps(0.9999f), x = _mm512_set1_ps(1e-7f);
  for (int i = 0; i < 12; ++i) acc[i] = _mm512_set1_ps(static_cast<float>(i));
  auto t0 = Clock::now();
  for (long it = 0; it < iters; ++it)
#pragma GCC unroll 12
    for (int i = 0; i < 12; ++i) acc[i] = _mm512_fmadd_ps(acc[i], m, x);
  double s = std::chrono::duration<double>(Clock::now() - t0).count();
  float out[16];
  volatile float sink = 0;
  for (int i = 0; i < 12; ++i) { _mm512_storeu_ps(out, acc[i]); sink = sink + out[0]; }
  return iters * 12 * 32.0 / s / 1e9;
}

__attribute__((target("avx2,fma"))) double fma_peak_avx2(long iters) {
  __m256 acc[12], m = _mm256_set1_ps(0.9999f), x = _mm256_set1_ps(1e-7f);
  for (int i = 0; i < 12; ++i) acc[i] = _mm256_set1_ps(static_cast<float>(i));
  auto t0 = Clock::now();
  for (long it = 0; it < iters; ++it)
#pragma GCC unroll 12
    for (int i = 0; i < 12; ++i) acc[i] = _mm256_fmadd_ps(acc[i], m, x);
  double s = std::chrono::duration<double>(Clock::now() - t0).count();
  float out[8];
  volatile float sink = 0;
  for (int i = 0; i < 12; ++i) { _mm256_storeu_ps(out, acc[i]); sink = sink + out[0]; }
  return iters * 12 * 16.0 / s / 1e9;
}

// Sum over `threads` cores running the FMA loop at once.
double fma_peak(int threads, long iters) {
  __builtin_cpu_init();
  const bool avx512 = __builtin_cpu_supports("avx512f");
  std::vector<double> per(threads);
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t)
    pool.emplace_back([&, t] { per[t] = avx512 ? fma_peak_avx512(iters) : fma_peak_avx2(iters); });
  for (auto& th : pool) th.join();
  double total = 0;
  for (double p : per) total += p;
  return total;
}

struct Shape {
  std::string label;
  int64_t m, k, n;
  bool ta, tb;
};

// Largest relative error of C against a float64 product, relative to sum |a||b| per element.
double max_rel_error(const Shape& s, const std::vector<float>& a, const std::vector<float>& b,
                     const std::vector<float>& c) {
  auto A = [&](int64_t i, int64_t k) { return double(s.ta ? a[k * s.m + i] : a[i * s.k + k]); };
  auto B = [&](int64_t k, int64_t j) { return double(s.tb ? b[j * s.k + k] : b[k * s.n + j]); };
  const int64_t step = s.m * s.n <= (1 << 24) / std::max<int64_t>(1, s.k) ? 1 : std::max<int64_t>(1, s.m / 64);
  double worst = 0;
  for (int64_t i = 0; i < s.m; i += step)
    for (int64_t j = 0; j < s.n; ++j) {
      double ref = 0, mag = 0;
      for (int64_t k = 0; k < s.k; ++k) {
        ref += A(i, k) * B(k, j);
        mag += std::fabs(A(i, k) * B(k, j));
      }
      worst = std::max(worst, std::fabs(ref - c[i * s.n + j]) / (mag + 1e-30));
    }
  return worst;
}

}  // namespace

int main(int argc, char** argv) {
  bool quick = false;
  std::vector<std::string> pos;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--quick") == 0) quick = true;
    else pos.push_back(argv[i]);
  }
  if (!pos.empty()) tapeflow::set_num_threads(std::atoi(pos[0].c_str()));
  if (pos.size() > 1 && !tapeflow::cpu::gemm_force_isa(pos[1])) {
    std::fprintf(stderr, "this CPU cannot run the %s kernel\n", pos[1].c_str());
    return 2;
  }
  const int threads = tapeflow::num_threads();
  std::vector<Shape> shapes;
  for (int64_t n : {64, 128, 256, 512, 1024, 2048, 4096})
    if (!quick || n <= 1024) shapes.push_back({std::to_string(n) + "^2", n, n, n, false, false});
  for (int64_t batch : {32, 128})
    for (int64_t units : {128, 512}) {
      const std::string tag = " b" + std::to_string(batch) + " 784->" + std::to_string(units);
      shapes.push_back({"fwd x@W" + tag, batch, 784, units, false, false});
      shapes.push_back({"dW x^T@dy" + tag, 784, batch, units, true, false});
      shapes.push_back({"dx dy@W^T" + tag, batch, units, 784, false, true});
    }

  double peak = fma_peak(threads, 20000000);
  std::printf("tapeflow sgemm  kernel=%s  threads=%d\n", tapeflow::cpu::gemm_isa().c_str(), threads);
  std::printf("%-26s %6s %6s %6s %10s %9s %7s %12s\n", "shape", "M", "K", "N", "ms", "GFLOP/s", "%peak", "max_rel_err");
  std::mt19937 rng(42);
  std::uniform_real_distribution<float> dist(-1.f, 1.f);
  bool ok = true;
  for (const Shape& s : shapes) {
    std::vector<float> a(s.m * s.k), b(s.k * s.n), c(s.m * s.n);
    for (auto& v : a) v = dist(rng);
    for (auto& v : b) v = dist(rng);
    // A element (i, k): a[i * rsa + k * csa]; a transposed operand is stored (K, M).
    const int64_t rsa = s.ta ? 1 : s.k, csa = s.ta ? s.m : 1, rsb = s.tb ? 1 : s.n, csb = s.tb ? s.k : 1;
    auto run = [&] { tapeflow::cpu::gemm_f32(s.m, s.n, s.k, a.data(), rsa, csa, b.data(), rsb, csb, c.data(), s.n, false); };
    run();  // warm-up
    const double flop = 2.0 * s.m * s.n * s.k;
    const int reps = std::max(3, static_cast<int>(3e9 / flop));
    double best = 1e30;
    for (int r = 0; r < reps; ++r) {
      if (r % std::max(1, reps / 4) == 0) peak = std::max(peak, fma_peak(threads, 2000000));
      auto t0 = Clock::now();
      run();
      best = std::min(best, std::chrono::duration<double>(Clock::now() - t0).count());
    }
    const double err = max_rel_error(s, a, b, c);
    ok = ok && err < 1e-5;
    std::printf("%-26s %6ld %6ld %6ld %10.3f %9.1f %6.0f%% %12.2e\n", s.label.c_str(), static_cast<long>(s.m),
                static_cast<long>(s.k), static_cast<long>(s.n), best * 1e3, flop / best / 1e9,
                100.0 * flop / best / 1e9 / peak, err);
  }
  std::printf("measured FMA peak (highest seen): %.1f GFLOP/s\n", peak);
  if (!ok) std::printf("RESULT MISMATCH against the float64 reference\n");
  return ok ? 0 : 1;
}
