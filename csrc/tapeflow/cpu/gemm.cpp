// Packed, register-blocked GEMM (the BLIS loop structure).
//   for jc (NC columns of B)  for pc (KC of K): pack B[pc, jc] into NR-wide panels
//     tasks over (row range x column range), one per thread:
//       for ic (MC rows): pack A[ic, pc] into MR-tall panels
//         for jr (NR panel)  for ir (MR panel): micro-kernel on a MR x NR tile of C
// Panels are zero-padded, so edge tiles run the same micro-kernel into a
// scratch tile that is then copied out. Each C element is produced by one
// thread, accumulating over K in the same KC order whatever the thread count:
// results are bitwise identical for any number of threads.
// Micro-kernels: AVX-512 14x32, AVX2+FMA 6x16 and a portable 4x16, chosen at
// run time with __builtin_cpu_supports; the library itself is built for
// baseline x86-64.
#include "tapeflow/cpu/gemm.h"

#include <immintrin.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <new>

#include "tapeflow/core/threadpool.h"

namespace tapeflow {
namespace cpu {
namespace {

// B's rows of NR values are ldb apart: NR for a packed panel, B's row stride when it is read in place.
template <class T>
using KernelFn = void (*)(int64_t kc, const T* ap, const T* bp, int64_t ldb, T* c, int64_t ldc, bool acc);

template <class T>
using DirectFn = void (*)(int64_t kc, const T* a, int64_t lda, const T* bp, int64_t ldb, T* c, int64_t ldc,
                          bool acc);

template <class T>
struct Kernel {
  int mr, nr;
  KernelFn<T> fn;
  const char* name;
  DirectFn<T> direct = nullptr;  // reads a row-major A in place (full MR-row tiles only)
};

#if defined(__x86_64__)
// 14 x 32 tile, 28 accumulators. A comes from a packed panel (ap[k * 14 + i]) or, with kDirectA, from a
// row-major A read in place (a[i * lda + k]): for a row-major A, packing is a transpose that costs as much as
// the arithmetic when N is small (convolutions); the 14 rows' next values share cache lines across 16 steps
// of k, so the broadcasts stay in L1.
template <bool kDirectA>
__attribute__((target("avx512f,fma"))) inline void ukr_avx512_body(int64_t kc, const float* a, int64_t lda,
                                                                   const float* bp, int64_t ldb, float* c,
                                                                   int64_t ldc, bool acc) {
  __m512 c0[14], c1[14];
#pragma GCC unroll 14
  for (int i = 0; i < 14; ++i) { c0[i] = _mm512_setzero_ps(); c1[i] = _mm512_setzero_ps(); }
  for (int64_t k = 0; k < kc; ++k) {
    __m512 b0 = _mm512_loadu_ps(bp), b1 = _mm512_loadu_ps(bp + 16);
#pragma GCC unroll 14
    for (int i = 0; i < 14; ++i) {
      __m512 av = _mm512_set1_ps(kDirectA ? a[i * lda + k] : a[k * 14 + i]);
      c0[i] = _mm512_fmadd_ps(av, b0, c0[i]);
      c1[i] = _mm512_fmadd_ps(av, b1, c1[i]);
    }
    bp += ldb;
  }
#pragma GCC unroll 14
  for (int i = 0; i < 14; ++i) {
    float* row = c + i * ldc;
    if (acc) {
      c0[i] = _mm512_add_ps(c0[i], _mm512_loadu_ps(row));
      c1[i] = _mm512_add_ps(c1[i], _mm512_loadu_ps(row + 16));
    }
    _mm512_storeu_ps(row, c0[i]);
    _mm512_storeu_ps(row + 16, c1[i]);
  }
}

__attribute__((target("avx512f,fma"))) void ukr_avx512_14x32(int64_t kc, const float* ap, const float* bp,
                                                             int64_t ldb, float* c, int64_t ldc, bool acc) {
  ukr_avx512_body<false>(kc, ap, 0, bp, ldb, c, ldc, acc);
}

__attribute__((target("avx512f,fma"))) void ukr_avx512_14x32_rowa(int64_t kc, const float* a, int64_t lda,
                                                                  const float* bp, int64_t ldb, float* c,
                                                                  int64_t ldc, bool acc) {
  ukr_avx512_body<true>(kc, a, lda, bp, ldb, c, ldc, acc);
}

__attribute__((target("avx2,fma"))) void ukr_avx2_6x16(int64_t kc, const float* ap, const float* bp, int64_t ldb,
                                                       float* c, int64_t ldc, bool acc) {
  __m256 c0[6], c1[6];
#pragma GCC unroll 6
  for (int i = 0; i < 6; ++i) { c0[i] = _mm256_setzero_ps(); c1[i] = _mm256_setzero_ps(); }
  for (int64_t k = 0; k < kc; ++k) {
    __m256 b0 = _mm256_loadu_ps(bp), b1 = _mm256_loadu_ps(bp + 8);
#pragma GCC unroll 6
    for (int i = 0; i < 6; ++i) {
      __m256 a = _mm256_broadcast_ss(ap + i);
      c0[i] = _mm256_fmadd_ps(a, b0, c0[i]);
      c1[i] = _mm256_fmadd_ps(a, b1, c1[i]);
    }
    ap += 6;
    bp += ldb;
  }
#pragma GCC unroll 6
  for (int i = 0; i < 6; ++i) {
    float* row = c + i * ldc;
    if (acc) {
      c0[i] = _mm256_add_ps(c0[i], _mm256_loadu_ps(row));
      c1[i] = _mm256_add_ps(c1[i], _mm256_loadu_ps(row + 8));
    }
    _mm256_storeu_ps(row, c0[i]);
    _mm256_storeu_ps(row + 8, c1[i]);
  }
}
#endif

template <class T, int MR, int NR>
void ukr_generic(int64_t kc, const T* ap, const T* bp, int64_t ldb, T* c, int64_t ldc, bool acc) {
  T t[MR][NR] = {};
  for (int64_t k = 0; k < kc; ++k) {
    for (int i = 0; i < MR; ++i)
      for (int j = 0; j < NR; ++j) t[i][j] += ap[i] * bp[j];
    ap += MR;
    bp += ldb;
  }
  for (int i = 0; i < MR; ++i)
    for (int j = 0; j < NR; ++j) c[i * ldc + j] = acc ? c[i * ldc + j] + t[i][j] : t[i][j];
}

const Kernel<float> kAvx512{14, 32, ukr_avx512_14x32, "avx512", ukr_avx512_14x32_rowa};
const Kernel<float> kAvx2{6, 16, ukr_avx2_6x16, "avx2"};
const Kernel<float> kGenericF{4, 16, ukr_generic<float, 4, 16>, "generic"};
const Kernel<double> kGenericD{4, 8, ukr_generic<double, 4, 8>, "generic"};

const Kernel<float>* auto_kernel() {
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f")) return &kAvx512;
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return &kAvx2;
  return &kGenericF;
}
const Kernel<float>* g_forced = nullptr;
const Kernel<float>& f32_kernel() {
  static const Kernel<float>* k = auto_kernel();
  return g_forced ? *g_forced : *k;
}

// An aligned scratch buffer that only grows; one per thread and role.
struct Scratch {
  void* p = nullptr;
  size_t cap = 0;
  ~Scratch() { std::free(p); }
  template <class T> T* get(size_t n) {
    size_t bytes = ((n * sizeof(T) + 63) / 64) * 64;
    if (bytes > cap) {
      std::free(p);
      p = std::aligned_alloc(64, bytes);
      if (!p) throw std::bad_alloc();
      cap = bytes;
    }
    return static_cast<T*>(p);
  }
};
thread_local Scratch t_pack_a, t_pack_b;

struct Blocking { int64_t kc, mc, nc; };

Blocking blocking_for(int mr, int nr, size_t elem) {
  long l1 = sysconf(_SC_LEVEL1_DCACHE_SIZE), l2 = sysconf(_SC_LEVEL2_CACHE_SIZE);
  if (l1 <= 0) l1 = 32 * 1024;
  if (l2 <= 0) l2 = 1024 * 1024;
  // The A micro-panel (MR x KC) takes ~60% of L1 and the A block (MC x KC) ~1/8 of L2:
  // measured on AVX-512 (KC 512, MC 126) at ~15% above KC sized for the B micro-panel,
  // because a deep KC halves the read-modify-write passes over C.
  int64_t kc = std::clamp<int64_t>(static_cast<int64_t>(l1 * 6 / 10 / (mr * elem)) / 8 * 8, 64, 512);
  int64_t mc = std::clamp<int64_t>(static_cast<int64_t>(l2 / 8 / (kc * elem)) / mr * mr, mr, 1024 / mr * mr);
  int64_t nc = 4096 / nr * nr;
  // Overrides for tuning experiments (see benchmarks/native/bench_gemm.cpp).
  if (const char* e = std::getenv("TAPEFLOW_GEMM_KC")) kc = std::max(8L, std::atol(e));
  if (const char* e = std::getenv("TAPEFLOW_GEMM_MC")) mc = std::max<int64_t>(mr, std::atol(e) / mr * mr);
  if (const char* e = std::getenv("TAPEFLOW_GEMM_NC")) nc = std::max<int64_t>(nr, std::atol(e) / nr * nr);
  return {kc, mc, nc};
}

template <class T>
void pack_a(int mr, int64_t mc, int64_t kc, const T* a, int64_t rsa, int64_t csa, T* out) {
  for (int64_t ir = 0; ir < mc; ir += mr) {
    int64_t m = std::min<int64_t>(mr, mc - ir);
    for (int64_t k = 0; k < kc; ++k) {
      const T* src = a + ir * rsa + k * csa;
      int64_t i = 0;
      if (rsa == 1)  // a column-major A (a transposed operand): each k's MR values are contiguous
        for (; i < m; ++i) out[i] = src[i];  // a loop, not memcpy: a library call per 14 values costs more
      for (; i < m; ++i) out[i] = src[i * rsa];
      for (; i < mr; ++i) out[i] = T(0);
      out += mr;
    }
  }
}

template <class T>
void pack_b_panel(int nr, int64_t n, int64_t kc, const T* b, int64_t rsb, int64_t csb, T* out) {
  for (int64_t k = 0; k < kc; ++k) {
    const T* src = b + k * rsb;
    if (csb == 1 && n == nr) {
      for (int64_t j = 0; j < nr; ++j) out[j] = src[j];
    } else {
      int64_t j = 0;
      for (; j < n; ++j) out[j] = src[j * csb];
      for (; j < nr; ++j) out[j] = T(0);
    }
    out += nr;
  }
}

template <class T>
void gemm_driver(const Kernel<T>& K_, int64_t M, int64_t N, int64_t K, const T* a, int64_t rsa, int64_t csa,
                 const T* b, int64_t rsb, int64_t csb, T* c, int64_t ldc, bool accumulate) {
  if (M == 0 || N == 0) return;
  if (K == 0) {
    if (!accumulate)
      for (int64_t i = 0; i < M; ++i) std::fill(c + i * ldc, c + i * ldc + N, T(0));
    return;
  }
  const int mr = K_.mr, nr = K_.nr;
  static thread_local Blocking blk{0, 0, 0};
  static thread_local int blk_mr = 0;
  if (blk_mr != mr) { blk = blocking_for(mr, nr, sizeof(T)); blk_mr = mr; }
  const int64_t KC = blk.kc, MC = blk.mc, NC = blk.nc;
  const double flops = 2.0 * M * N * K;
  const int nt = flops < 2e6 ? 1 : num_threads();
  const bool direct_a = K_.direct != nullptr && csa == 1;
  const bool direct_b = csb == 1 && M <= MC;

  for (int64_t jc = 0; jc < N; jc += NC) {
    const int64_t nc = std::min(NC, N - jc);
    const int64_t npanels = (nc + nr - 1) / nr;
    for (int64_t pc = 0; pc < K; pc += KC) {
      const int64_t kc = std::min(KC, K - pc);
      const bool acc = accumulate || pc > 0;
      // With a single block of rows, a packed B panel would be used once: a row-major B is then read in place
      // and only a last partial panel (zero-padded to NR columns) is packed.
      const int64_t first_packed = direct_b ? nc / nr : 0;
      T* bpack = t_pack_b.get<T>(static_cast<size_t>((npanels - first_packed) * nr * kc));
      auto pack_b_range = [&](int64_t lo, int64_t hi) {
        for (int64_t p = lo; p < hi; ++p) {
          int64_t j0 = p * nr;
          pack_b_panel(nr, std::min<int64_t>(nr, nc - j0), kc, b + pc * rsb + (jc + j0) * csb, rsb, csb,
                       bpack + (p - first_packed) * nr * kc);
        }
      };
      if (nt > 1 && npanels - first_packed > 1) parallel_for(npanels - first_packed, 1, [&](int64_t lo, int64_t hi) {
        pack_b_range(lo + first_packed, hi + first_packed);
      });
      else pack_b_range(first_packed, npanels);
      auto b_panel = [&](int64_t p, int64_t& ldb) -> const T* {
        if (p < first_packed) {
          ldb = rsb;
          return b + pc * rsb + jc + p * nr;
        }
        ldb = nr;
        return bpack + (p - first_packed) * nr * kc;
      };

      // Task grid: split rows when there are enough MR panels, else columns.
      const int64_t mpanels = (M + mr - 1) / mr;
      const int64_t m_parts = (nt > 1 && mpanels >= 2 * nt) || npanels < nt ? std::min<int64_t>(nt, mpanels) : 1;
      const int64_t n_parts = std::max<int64_t>(1, std::min<int64_t>(nt / m_parts, npanels));
      auto task = [&](int64_t t) {
        int64_t mi = t / n_parts, ni = t % n_parts;
        int64_t mp0 = mpanels * mi / m_parts, mp1 = mpanels * (mi + 1) / m_parts;
        int64_t np0 = npanels * ni / n_parts, np1 = npanels * (ni + 1) / n_parts;
        T tile[16 * 32] __attribute__((aligned(64)));
        for (int64_t ic = mp0 * mr; ic < std::min(M, mp1 * mr); ic += MC) {
          const int64_t mc = std::min({MC, M - ic, mp1 * mr - ic});
          // A row-major A is read in place by the direct kernel; only a last partial panel is packed.
          const bool direct = direct_a && mc % mr == 0;
          T* apack = nullptr;
          if (!direct) {
            apack = t_pack_a.get<T>(static_cast<size_t>((mc + mr - 1) / mr * mr * kc));
            pack_a(mr, mc, kc, a + ic * rsa + pc * csa, rsa, csa, apack);
          }
          for (int64_t p = np0; p < np1; ++p) {
            const int64_t jr = p * nr, n = std::min<int64_t>(nr, nc - jr);
            int64_t ldb;
            const T* bp = b_panel(p, ldb);
            for (int64_t ir = 0; ir < mc; ir += mr) {
              const int64_t m = std::min<int64_t>(mr, mc - ir);
              T* cp = c + (ic + ir) * ldc + jc + jr;
              if (direct && n == nr) {
                K_.direct(kc, a + (ic + ir) * rsa + pc, rsa, bp, ldb, cp, ldc, acc);
                continue;
              }
              if (direct) {  // a partial column panel: pack this row panel after all
                apack = t_pack_a.get<T>(static_cast<size_t>(mr * kc));
                pack_a(mr, mr, kc, a + (ic + ir) * rsa + pc * csa, rsa, csa, apack);
              }
              const T* ap = direct ? apack : apack + ir * kc;
              if (m == mr && n == nr) {
                K_.fn(kc, ap, bp, ldb, cp, ldc, acc);
              } else {
                K_.fn(kc, ap, bp, ldb, tile, nr, false);
                for (int64_t i = 0; i < m; ++i)
                  for (int64_t j = 0; j < n; ++j) cp[i * ldc + j] = acc ? cp[i * ldc + j] + tile[i * nr + j] : tile[i * nr + j];
              }
            }
          }
        }
      };
      const int64_t ntasks = m_parts * n_parts;
      if (ntasks > 1) parallel_for(ntasks, 1, [&](int64_t lo, int64_t hi) { for (int64_t t = lo; t < hi; ++t) task(t); });
      else task(0);
    }
  }
}

}  // namespace

void gemm_f32(int64_t M, int64_t N, int64_t K, const float* a, int64_t rsa, int64_t csa, const float* b, int64_t rsb,
              int64_t csb, float* c, int64_t ldc, bool accumulate) {
  gemm_driver<float>(f32_kernel(), M, N, K, a, rsa, csa, b, rsb, csb, c, ldc, accumulate);
}

void gemm_f64(int64_t M, int64_t N, int64_t K, const double* a, int64_t rsa, int64_t csa, const double* b, int64_t rsb,
              int64_t csb, double* c, int64_t ldc, bool accumulate) {
  gemm_driver<double>(kGenericD, M, N, K, a, rsa, csa, b, rsb, csb, c, ldc, accumulate);
}

std::string gemm_isa() { return f32_kernel().name; }

bool gemm_force_isa(const std::string& isa) {
  __builtin_cpu_init();
  if (isa.empty()) { g_forced = nullptr; return true; }
  if (isa == "avx512" && __builtin_cpu_supports("avx512f")) { g_forced = &kAvx512; return true; }
  if (isa == "avx2" && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) { g_forced = &kAvx2; return true; }
  if (isa == "generic") { g_forced = &kGenericF; return true; }
  return false;
}

}  // namespace cpu
}  // namespace tapeflow
