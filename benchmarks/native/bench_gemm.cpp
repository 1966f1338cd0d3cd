// bench_gemm: times tapeflow's float32 GEMM on square sizes, checks each
// result against a float64 reference (every element up to 512, 64 sampled
// rows above), and reports the fraction of this machine's FMA peak, measured
// first with a register-only loop of independent FMAs (AVX-512 when the CPU has
// it, else AVX2) on every thread. Usage: bench_gemm [threads] [isa: avx512|avx2|generic]
// Block sizes can be overridden for tuning: TAPEFLOW_GEMM_KC, TAPEFLOW_GEMM_MC, TAPEFLOW_GEMM_NC.
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <immintrin.h>

#include <string>
#include <thread>
#include <vector>

#include "tapeflow/core/threadpool.h"
#include "tapeflow/cpu/gemm.h"

using tapeflow::cpu::gemm_f32;

static double max_rel_error(int64_t n, const std::vector<float>& a, const std::vector<float>& b, const std::vector<float>& c) {
  double worst = 0;
  const int64_t step = n <= 512 ? 1 : n / 64;
  for (int64_t i = 0; i < n; i += step)
    for (int64_t j = 0; j < n; ++j) {
      double ref = 0, mag = 0;
      for (int64_t k = 0; k < n; ++k) {
        ref += double(a[i * n + k]) * b[k * n + j];
        mag += std::fabs(double(a[i * n + k]) * b[k * n + j]);
      }
      worst = std::max(worst, std::fabs(ref - c[i * n + j]) / (mag + 1e-30));
    }
  return worst;
}

// GFLOP/s of one core running 12 independent FMA chains for `iters` rounds.
__attribute__((target("avx512f,fma"))) static double fma_peak_avx512(long iters) {
  __m512 acc[12], m = _mm512_set1_ps(0.9999f), x = _mm512_set1_ps(1e-7f);
  for (int i = 0; i < 12; ++i) acc[i] = _mm512_set1_ps(static_cast<float>(i));
  auto t0 = std::chrono::steady_clock::now();
  for (long it = 0; it < iters; ++it)
#pragma GCC unroll 12
    for (int i = 0; i < 12; ++i) acc[i] = _mm512_fmadd_ps(acc[i], m, x);
  double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  float out[16];
  volatile float sink = 0;
  for (int i = 0; i < 12; ++i) { _mm512_storeu_ps(out, acc[i]); sink = sink + out[0]; }
  return iters * 12 * 32.0 / s / 1e9;
}

__attribute__((target("avx2,fma"))) static double fma_peak_avx2(long iters) {
  __m256 acc[12], m = _mm256_set1_ps(0.9999f), x = _mm256_set1_ps(1e-7f);
  for (int i = 0; i < 12; ++i) acc[i] = _mm256_set1_ps(static_cast<float>(i));
  auto t0 = std::chrono::steady_clock::now();
  for (long it = 0; it < iters; ++it)
#pragma GCC unroll 12
    for (int i = 0; i < 12; ++i) acc[i] = _mm256_fmadd_ps(acc[i], m, x);
  double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  float out[8];
  volatile float sink = 0;
  for (int i = 0; i < 12; ++i) { _mm256_storeu_ps(out, acc[i]); sink = sink + out[0]; }
  return iters * 12 * 16.0 / s / 1e9;
}

// Sum over `threads` cores running the FMA loop at once.
static double fma_peak(int threads) {
  __builtin_cpu_init();
  const bool avx512 = __builtin_cpu_supports("avx512f");
  std::vector<double> per(threads);
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t)
    pool.emplace_back([&, t] { per[t] = avx512 ? fma_peak_avx512(100000000) : fma_peak_avx2(100000000); });
  for (auto& th : pool) th.join();
  double total = 0;
  for (double p : per) total += p;
  return total;
}

int main(int argc, char** argv) {
  if (argc > 1) tapeflow::set_num_threads(std::atoi(argv[1]));
  if (argc > 2 && !tapeflow::cpu::gemm_force_isa(argv[2])) {
    std::fprintf(stderr, "this CPU cannot run the %s kernel\n", argv[2]);
    return 2;
  }
  const double peak = fma_peak(tapeflow::num_threads());
  std::printf("tapeflow sgemm  kernel=%s  threads=%d  measured FMA peak %.1f GFLOP/s\n", tapeflow::cpu::gemm_isa().c_str(),
              tapeflow::num_threads(), peak);
  std::printf("%6s %10s %10s %8s %12s\n", "n", "ms", "GFLOP/s", "%peak", "max_rel_err");
  std::mt19937 rng(42);
  std::uniform_real_distribution<float> dist(-1.f, 1.f);
  bool ok = true;
  for (int64_t n : {128, 256, 512, 1024, 2048}) {
    std::vector<float> a(n * n), b(n * n), c(n * n);
    for (auto& v : a) v = dist(rng);
    for (auto& v : b) v = dist(rng);
    gemm_f32(n, n, n, a.data(), n, 1, b.data(), n, 1, c.data(), n, false);  // warm-up
    const double flop = 2.0 * n * n * n;
    int reps = std::max(3, static_cast<int>(3e9 / flop));
    double best = 1e30;
    for (int r = 0; r < reps; ++r) {
      auto t0 = std::chrono::steady_clock::now();
      gemm_f32(n, n, n, a.data(), n, 1, b.data(), n, 1, c.data(), n, false);
      best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    }
    double err = max_rel_error(n, a, b, c);
    ok = ok && err < 1e-5;
    std::printf("%6ld %10.3f %10.1f %7.0f%% %12.2e\n", static_cast<long>(n), best * 1e3, flop / best / 1e9,
                100.0 * flop / best / 1e9 / peak, err);
  }
  if (!ok) std::printf("RESULT MISMATCH against the float64 reference\n");
  return ok ? 0 : 1;
}
