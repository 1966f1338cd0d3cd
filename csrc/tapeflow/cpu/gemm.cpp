// Packed, register-blocked GEMM (the BLIS loop structure).
//   for jc (NC columns of B)  for pc (KC of K):
//     tasks over (row range x column range), one per thread:
//       for ic (MC rows): pack A[ic, pc] into MR-tall panels
//         micro-kernels on m x n (<= MR x NR) tiles of C, in one of two orders (see gemm_driver): B panels
//         packed one at a time just before use (a single block of rows), or a shared, pre-packed KC x NC
//         block of B that each A micro-panel passes over.
// Edge tiles run kernels compiled for their row count, with masked column loads and stores: no scratch tile and
// no scalar copy-out. Operands that would be packed only to be read once are read in place instead.
// Each C element is produced by one thread, accumulating over K in the same KC order whatever the thread count:
// results are bitwise identical for any number of threads. The epilogue (bias, activation) is applied to each
// tile right after its last K block, while the tile is in L1.
// Micro-kernels: AVX-512 14x32, AVX2+FMA 6x16 and a portable 4x16, chosen at run time with
// __builtin_cpu_supports; the library itself is built for baseline x86-64.
#include "tapeflow/cpu/gemm.h"

#include <immintrin.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <new>
#include <type_traits>
#include <utility>
#include <vector>

#include "tapeflow/core/threadpool.h"
#include "tapeflow/cpu/vmath.h"

namespace tapeflow {
namespace cpu {
namespace {

constexpr int kMaxMR = 14;
constexpr int kPackPrefetch = 16;  // rows ahead when packing a panel of B
constexpr int kPrefetch = 8;       // rows of B ahead in the micro-kernel (about 10% faster from 512^2 up)
constexpr double kThreadFlops = 5e5;  // smaller products run on the calling thread

// One micro-kernel call on a tile of m <= MR rows (fixed per instantiation) and n <= NR columns of C.
// a: a packed panel (a[k * MR + i]; the AVX-512 kernels take the step between k as lda, so they also read a
// column-major A in place), or, for the direct kernels, a row-major A read in place (a[i * lda + k]).
// b: rows of NR values ldb apart, a packed panel or B read in place. Rows of A at or past m and columns at or
// past n are never read, so partial panels are packed without padding.
// ep: the epilogue when this is the tile's last K block (bias offset to the tile's first column), else null.
// Returns whether the kernel applied it; if not, the caller does, on the stored tile.
template <class T>
using KernelFn = bool (*)(int64_t kc, const T* a, int64_t lda, const T* b, int64_t ldb, T* c, int64_t ldc, int m,
                          int n, bool acc, const Epilogue<T>* ep);

template <class T>
struct Kernel {
  int mr, nr;
  std::array<KernelFn<T>, kMaxMR> packed;  // by m - 1
  std::array<KernelFn<T>, kMaxMR> direct;  // by m - 1; empty: no direct-A kernel
  const char* name;
  bool packed_lda = false;  // the packed kernels step k by lda (a column-major A can be read in place)
  // One row of A times a row-major B (c[0, :n] (+)= sum_k a[k * csa] * b[k, :n], n <= kGemvCols); may be null.
  void (*gemv)(int64_t kc, const T* a, int64_t csa, const T* b, int64_t rsb, T* c, int64_t n, bool acc) = nullptr;
};

constexpr int64_t kGemvCols = 128;

#if defined(__x86_64__)
// AVX-512: R rows x 32 columns in 2R accumulators (28 of the 32 registers at R = 14). For a row-major A read in
// place, the R rows' next values share cache lines across 16 steps of k, so the broadcasts stay in L1.
// kCols: 32 (a full tile: plain loads and stores), or a partial tile of up to 32 or up to 16 columns through
// lane masks (masked loads in the k loop cost about a fifth of the full tile's speed, so full tiles avoid them).
// kAct >= 0 (full tiles only): the bias (if any) and the activation Act(kAct) are applied to the accumulators
// before the store, with the same operations as apply_epilogue (so the same bits).
template <int R, bool kDirectA, int kCols, int kAct = -1>
__attribute__((target("avx512f,fma"))) inline void avx512_body(int64_t kc, const float* a, int64_t lda,
                                                              const float* b, int64_t ldb, float* c, int64_t ldc,
                                                              int n, bool acc, const float* bias = nullptr) {
  constexpr bool kFull = kCols == 32, kTwo = kCols > 16;
  const __mmask16 m0 = n >= 16 ? 0xFFFF : static_cast<__mmask16>((1u << n) - 1);
  const __mmask16 m1 = n >= 32 ? 0xFFFF : n > 16 ? static_cast<__mmask16>((1u << (n - 16)) - 1) : 0;
  __m512 c0[R], c1[R];
#pragma GCC unroll 14
  for (int i = 0; i < R; ++i) {
    c0[i] = _mm512_setzero_ps();
    c1[i] = _mm512_setzero_ps();
    // The tile of C is read (accumulation) and written once the k loop ends: fetch it now, behind the FMAs.
    _mm_prefetch(reinterpret_cast<const char*>(c + i * ldc), _MM_HINT_T0);
    if (kTwo) _mm_prefetch(reinterpret_cast<const char*>(c + i * ldc + 16), _MM_HINT_T0);
  }
  for (int64_t k = 0; k < kc; ++k) {
    if (kFull) {
      _mm_prefetch(reinterpret_cast<const char*>(b + kPrefetch * ldb), _MM_HINT_T0);
      _mm_prefetch(reinterpret_cast<const char*>(b + kPrefetch * ldb + 16), _MM_HINT_T0);
    }
    const __m512 b0 = kFull ? _mm512_loadu_ps(b) : _mm512_maskz_loadu_ps(m0, b);
    const __m512 b1 = kFull ? _mm512_loadu_ps(b + 16) : kTwo ? _mm512_maskz_loadu_ps(m1, b + 16) : _mm512_setzero_ps();
#pragma GCC unroll 14
    for (int i = 0; i < R; ++i) {
      const __m512 av = _mm512_set1_ps(kDirectA ? a[i * lda + k] : a[k * lda + i]);
      c0[i] = _mm512_fmadd_ps(av, b0, c0[i]);
      if (kTwo) c1[i] = _mm512_fmadd_ps(av, b1, c1[i]);
    }
    b += ldb;
  }
  if constexpr (kAct >= 0) {
    static_assert(kFull, "the epilogue in registers is for full tiles");
    const __m512 bias0 = bias ? _mm512_loadu_ps(bias) : __m512{}, bias1 = bias ? _mm512_loadu_ps(bias + 16) : __m512{};
#pragma GCC unroll 14
    for (int i = 0; i < R; ++i) {
      if (acc) {
        c0[i] = _mm512_add_ps(c0[i], _mm512_loadu_ps(c + i * ldc));
        c1[i] = _mm512_add_ps(c1[i], _mm512_loadu_ps(c + i * ldc + 16));
      }
      if (bias) {
        c0[i] = _mm512_add_ps(c0[i], bias0);
        c1[i] = _mm512_add_ps(c1[i], bias1);
      }
      c0[i] = reinterpret_cast<__m512>(act_v(static_cast<Act>(kAct), reinterpret_cast<vf16>(c0[i])));
      c1[i] = reinterpret_cast<__m512>(act_v(static_cast<Act>(kAct), reinterpret_cast<vf16>(c1[i])));
    }
    acc = false;  // C is already added in
  }
#pragma GCC unroll 14
  for (int i = 0; i < R; ++i) {
    float* row = c + i * ldc;
    if (kFull) {
      if (acc) {
        c0[i] = _mm512_add_ps(c0[i], _mm512_loadu_ps(row));
        c1[i] = _mm512_add_ps(c1[i], _mm512_loadu_ps(row + 16));
      }
      _mm512_storeu_ps(row, c0[i]);
      _mm512_storeu_ps(row + 16, c1[i]);
      continue;
    }
    if (acc) {
      c0[i] = _mm512_add_ps(c0[i], _mm512_maskz_loadu_ps(m0, row));
      if (kTwo) c1[i] = _mm512_add_ps(c1[i], _mm512_maskz_loadu_ps(m1, row + 16));
    }
    _mm512_mask_storeu_ps(row, m0, c0[i]);
    if (kTwo) _mm512_mask_storeu_ps(row + 16, m1, c1[i]);
  }
}

// A single row of A (M = 1, as a one-sample predict): the micro-kernel would keep two accumulators per column
// panel, each FMA waiting on the last. Here V vectors of 16 columns are in flight at once (the last one through a
// lane mask when kTail). Each column sums over k in order from zero per K block, then adds C, as the micro-kernel
// does: the same bits as that row in a batch. B's rows are read in sequence; the hardware prefetchers follow.
template <int V, bool kTail>
__attribute__((target("avx512f,fma"))) inline void gemv_body(int64_t kc, const float* a, int64_t csa, const float* b,
                                                            int64_t rsb, float* c, __mmask16 tail, bool acc) {
  __m512 s[V];
#pragma GCC unroll 8
  for (int j = 0; j < V; ++j) s[j] = _mm512_setzero_ps();
  for (int64_t k = 0; k < kc; ++k) {
    const float* row = b + k * rsb;
    const __m512 av = _mm512_set1_ps(a[k * csa]);
#pragma GCC unroll 8
    for (int j = 0; j < V; ++j) {
      const __m512 bv = kTail && j == V - 1 ? _mm512_maskz_loadu_ps(tail, row + 16 * j) : _mm512_loadu_ps(row + 16 * j);
      s[j] = _mm512_fmadd_ps(av, bv, s[j]);
    }
  }
#pragma GCC unroll 8
  for (int j = 0; j < V; ++j) {
    if (kTail && j == V - 1) {
      if (acc) s[j] = _mm512_add_ps(s[j], _mm512_maskz_loadu_ps(tail, c + 16 * j));
      _mm512_mask_storeu_ps(c + 16 * j, tail, s[j]);
    } else {
      if (acc) s[j] = _mm512_add_ps(s[j], _mm512_loadu_ps(c + 16 * j));
      _mm512_storeu_ps(c + 16 * j, s[j]);
    }
  }
}

template <bool kTail, int... V>
__attribute__((target("avx512f,fma"))) void gemv_dispatch(int nv, int64_t kc, const float* a, int64_t csa,
                                                          const float* b, int64_t rsb, float* c, __mmask16 tail,
                                                          bool acc, std::integer_sequence<int, V...>) {
  ((nv == V + 1 ? gemv_body<V + 1, kTail>(kc, a, csa, b, rsb, c, tail, acc) : void()), ...);
}

__attribute__((target("avx512f,fma"))) void gemv_avx512(int64_t kc, const float* a, int64_t csa, const float* b,
                                                        int64_t rsb, float* c, int64_t n, bool acc) {
  const int nv = static_cast<int>((n + 15) / 16);
  const int rem = static_cast<int>(n % 16);
  const auto tail = static_cast<__mmask16>(rem ? (1u << rem) - 1 : 0xFFFF);
  if (rem) gemv_dispatch<true>(nv, kc, a, csa, b, rsb, c, tail, acc, std::make_integer_sequence<int, kGemvCols / 16>());
  else gemv_dispatch<false>(nv, kc, a, csa, b, rsb, c, tail, acc, std::make_integer_sequence<int, kGemvCols / 16>());
}

// Full 14 x 32 tiles apply the epilogue in registers: one instantiation per activation.
template <bool kDirectA>
__attribute__((target("avx512f,fma"))) bool full_tile_epilogue(int64_t kc, const float* a, int64_t lda, const float* b,
                                                               int64_t ldb, float* c, int64_t ldc, bool acc,
                                                               const Epilogue<float>& ep) {
  constexpr int R = kMaxMR;
  switch (ep.act) {
    case Act::Linear: avx512_body<R, kDirectA, 32, 0>(kc, a, lda, b, ldb, c, ldc, 32, acc, ep.bias); return true;
    case Act::Tanh: avx512_body<R, kDirectA, 32, 1>(kc, a, lda, b, ldb, c, ldc, 32, acc, ep.bias); return true;
    case Act::Sigmoid: avx512_body<R, kDirectA, 32, 2>(kc, a, lda, b, ldb, c, ldc, 32, acc, ep.bias); return true;
    case Act::Relu: avx512_body<R, kDirectA, 32, 3>(kc, a, lda, b, ldb, c, ldc, 32, acc, ep.bias); return true;
    case Act::Gelu: avx512_body<R, kDirectA, 32, 5>(kc, a, lda, b, ldb, c, ldc, 32, acc, ep.bias); return true;
    case Act::GeluTanh: avx512_body<R, kDirectA, 32, 6>(kc, a, lda, b, ldb, c, ldc, 32, acc, ep.bias); return true;
    default: return false;  // hard sigmoid: applied by the caller
  }
}

template <int R, bool kDirectA>
__attribute__((target("avx512f,fma"))) bool ukr_avx512(int64_t kc, const float* a, int64_t lda, const float* b,
                                                       int64_t ldb, float* c, int64_t ldc, int, int n, bool acc,
                                                       const Epilogue<float>* ep) {
  if constexpr (R == kMaxMR)
    if (ep && n == 32 && full_tile_epilogue<kDirectA>(kc, a, lda, b, ldb, c, ldc, acc, *ep)) return true;
  if (n == 32) avx512_body<R, kDirectA, 32>(kc, a, lda, b, ldb, c, ldc, n, acc);
  else if (n > 16) avx512_body<R, kDirectA, 31>(kc, a, lda, b, ldb, c, ldc, n, acc);
  else avx512_body<R, kDirectA, 16>(kc, a, lda, b, ldb, c, ldc, n, acc);
  return false;
}

template <bool kDirectA, int... I>
constexpr std::array<KernelFn<float>, kMaxMR> avx512_table(std::integer_sequence<int, I...>) {
  return {{&ukr_avx512<I + 1, kDirectA>...}};
}

// AVX2: R rows x 16 columns; partial tiles load and store through lane masks.
template <int R, bool kFull>
__attribute__((target("avx2,fma"))) inline void avx2_body(int64_t kc, const float* a, const float* b, int64_t ldb,
                                                          float* c, int64_t ldc, int n, bool acc) {
  const __m256i iota = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  const __m256i k0 = _mm256_cmpgt_epi32(_mm256_set1_epi32(n), iota);
  const __m256i k1 = _mm256_cmpgt_epi32(_mm256_set1_epi32(n - 8), iota);
  __m256 c0[R], c1[R];
#pragma GCC unroll 6
  for (int i = 0; i < R; ++i) { c0[i] = _mm256_setzero_ps(); c1[i] = _mm256_setzero_ps(); }
  for (int64_t k = 0; k < kc; ++k) {
    const __m256 b0 = kFull ? _mm256_loadu_ps(b) : _mm256_maskload_ps(b, k0);
    const __m256 b1 = kFull ? _mm256_loadu_ps(b + 8) : _mm256_maskload_ps(b + 8, k1);
#pragma GCC unroll 6
    for (int i = 0; i < R; ++i) {
      const __m256 av = _mm256_broadcast_ss(a + k * 6 + i);
      c0[i] = _mm256_fmadd_ps(av, b0, c0[i]);
      c1[i] = _mm256_fmadd_ps(av, b1, c1[i]);
    }
    b += ldb;
  }
#pragma GCC unroll 6
  for (int i = 0; i < R; ++i) {
    float* row = c + i * ldc;
    if (acc) {
      c0[i] = _mm256_add_ps(c0[i], kFull ? _mm256_loadu_ps(row) : _mm256_maskload_ps(row, k0));
      c1[i] = _mm256_add_ps(c1[i], kFull ? _mm256_loadu_ps(row + 8) : _mm256_maskload_ps(row + 8, k1));
    }
    if (kFull) {
      _mm256_storeu_ps(row, c0[i]);
      _mm256_storeu_ps(row + 8, c1[i]);
    } else {
      _mm256_maskstore_ps(row, k0, c0[i]);
      _mm256_maskstore_ps(row + 8, k1, c1[i]);
    }
  }
}

template <int R>
__attribute__((target("avx2,fma"))) bool ukr_avx2(int64_t kc, const float* a, int64_t, const float* b, int64_t ldb,
                                                  float* c, int64_t ldc, int, int n, bool acc, const Epilogue<float>*) {
  if (n == 16) avx2_body<R, true>(kc, a, b, ldb, c, ldc, n, acc);
  else avx2_body<R, false>(kc, a, b, ldb, c, ldc, n, acc);
  return false;
}
#endif

// Portable: any m x n tile of an MR x NR kernel.
template <class T, int MR, int NR>
bool ukr_generic(int64_t kc, const T* a, int64_t, const T* b, int64_t ldb, T* c, int64_t ldc, int m, int n,
                 bool acc, const Epilogue<T>*) {
  T t[MR][NR] = {};
  for (int64_t k = 0; k < kc; ++k) {
    T bk[NR];
    for (int j = 0; j < NR; ++j) bk[j] = j < n ? b[j] : T(0);
    for (int i = 0; i < m; ++i)
      for (int j = 0; j < NR; ++j) t[i][j] += a[i] * bk[j];
    a += MR;
    b += ldb;
  }
  for (int i = 0; i < m; ++i)
    for (int j = 0; j < n; ++j) c[i * ldc + j] = acc ? c[i * ldc + j] + t[i][j] : t[i][j];
  return false;
}

template <class T, int MR, int NR>
constexpr std::array<KernelFn<T>, kMaxMR> generic_table() {
  std::array<KernelFn<T>, kMaxMR> t{};
  for (int i = 0; i < MR; ++i) t[i] = &ukr_generic<T, MR, NR>;
  return t;
}

#if defined(__x86_64__)
const Kernel<float> kAvx512{14, 32, avx512_table<false>(std::make_integer_sequence<int, 14>()),
                            avx512_table<true>(std::make_integer_sequence<int, 14>()), "avx512", true, &gemv_avx512};
const Kernel<float> kAvx2{6, 16, {{&ukr_avx2<1>, &ukr_avx2<2>, &ukr_avx2<3>, &ukr_avx2<4>, &ukr_avx2<5>, &ukr_avx2<6>}},
                          {}, "avx2"};
#endif
const Kernel<float> kGenericF{4, 16, generic_table<float, 4, 16>(), {}, "generic"};
const Kernel<double> kGenericD{4, 8, generic_table<double, 4, 8>(), {}, "generic"};

const Kernel<float>* auto_kernel() {
#if defined(__x86_64__)
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f")) return &kAvx512;
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return &kAvx2;
#endif
  return &kGenericF;
}
const Kernel<float>* g_forced = nullptr;
const Kernel<float>& f32_kernel() {
  static const Kernel<float>* k = auto_kernel();
  return g_forced ? *g_forced : *k;
}

// The epilogue on a finished m x n tile (bias already offset to its first column).
TF_SIMD_CLONES void epilogue_f32(float* c, int64_t ldc, int64_t m, int64_t n, const float* bias, Act act) {
  for (int64_t i = 0; i < m; ++i) {
    float* row = c + i * ldc;
    for (int64_t j = 0; j < n; j += 16) {
      const int64_t w = std::min<int64_t>(16, n - j);
      vf16 v = ld(row + j, w);
      if (bias) v += ld(bias + j, w);
      st(row + j, act_v(act, v), w);
    }
  }
}
void apply_epilogue(float* c, int64_t ldc, int64_t m, int64_t n, const float* bias, Act act) {
  epilogue_f32(c, ldc, m, n, bias, act);
}
void apply_epilogue(double* c, int64_t ldc, int64_t m, int64_t n, const double* bias, Act act) {
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) c[i * ldc + j] = act_scalar(act, c[i * ldc + j] + (bias ? bias[j] : 0.0));
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

bool half_rate_avx512() {
#if defined(__x86_64__)
  __builtin_cpu_init();
  return __builtin_cpu_is("amdfam19h") && __builtin_cpu_supports("avx512f");
#else
  return false;
#endif
}

Blocking blocking_for(int mr, int nr, size_t elem) {
  long l1 = sysconf(_SC_LEVEL1_DCACHE_SIZE), l2 = sysconf(_SC_LEVEL2_CACHE_SIZE);
  if (l1 <= 0) l1 = 32 * 1024;
  if (l2 <= 0) l2 = 1024 * 1024;
  // A micro-panel (MR x KC) and a B micro-panel (KC x NR) fit in L1 together, and the A block (MC x KC) takes
  // ~1/8 of L2, rounded up to whole MR panels (KC 256, MC 266 on an Intel AVX-512 machine with a 48 KiB L1:
  // batches up to 256 rows are a single row block; there KC 512 measured up to 1.4x slower at 512^2).
  int64_t kc = std::clamp<int64_t>(static_cast<int64_t>(l1 / ((mr + nr) * elem)) / 16 * 16, 64, 512);
  // The rows of an A block of `bytes` at this KC, in whole MR panels.
  auto rows_in = [&](long bytes) {
    return std::clamp<int64_t>((static_cast<int64_t>(bytes / (kc * elem)) + mr - 1) / mr * mr, mr, 1024 / mr * mr);
  };
  int64_t mc = rows_in(l2 / 8);
  int64_t nc = 4096 / nr * nr;
  // AMD Zen 4 (family 19h with AVX-512) runs a 512-bit FMA as two 256-bit halves, so a k step of the AVX-512
  // kernel takes twice the cycles it does on Intel, and the panels it reads can stream from L2: there a deep
  // K block pays (KC 512 against the 176 above: 1024^2 108 vs 102 GFLOP/s on one thread, 256^2 198 vs 174 on two,
  // no shape measured slower), and so does a tall A block (3/4 of L2, MC 392: up to 392 rows are a single row
  // block, which on two threads ran 256^2 at 211 against 198 GFLOP/s and 384^2 at 220 against 208 with MC 196).
  if (half_rate_avx512() && mr == 14 && elem == sizeof(float)) {
    kc = 512;
    mc = rows_in(l2 * 3 / 4);
  }
  // Overrides for tuning experiments (see benchmarks/native/bench_gemm.cpp).
  if (const char* e = std::getenv("TAPEFLOW_GEMM_KC")) kc = std::max(8L, std::atol(e));
  if (const char* e = std::getenv("TAPEFLOW_GEMM_MC")) mc = std::max<int64_t>(mr, std::atol(e) / mr * mr);
  if (const char* e = std::getenv("TAPEFLOW_GEMM_NC")) nc = std::max<int64_t>(nr, std::atol(e) / nr * nr);
  return {kc, mc, nc};
}

// 16 x 16 transpose in registers: four rounds of two-source lane shuffles. Round S swaps the off-diagonal S x S
// blocks of every 2S x 2S block (rows i and i + S exchange halves of each 2S-lane chunk).
constexpr int lo_lane(int S, int l) { return l % (2 * S) < S ? l : 16 + l - S; }
constexpr int hi_lane(int S, int l) { return l % (2 * S) < S ? l + S : 16 + l; }
template <int S, size_t... L>
TF_INLINE void swap_blocks(vf16* r, std::index_sequence<L...>) {
  for (int i = 0; i < 16; ++i)
    if ((i & S) == 0) {
      const vf16 x = r[i], y = r[i + S];
      r[i] = __builtin_shufflevector(x, y, lo_lane(S, L)...);
      r[i + S] = __builtin_shufflevector(x, y, hi_lane(S, L)...);
    }
}

TF_INLINE void transpose16(vf16* r) {
  swap_blocks<8>(r, std::make_index_sequence<16>());
  swap_blocks<4>(r, std::make_index_sequence<16>());
  swap_blocks<2>(r, std::make_index_sequence<16>());
  swap_blocks<1>(r, std::make_index_sequence<16>());
}

// c[m * ldc + n] (+)= t[n * M + m]: a product computed transposed, put back into C.
TF_SIMD_CLONES void transpose_into(const float* t, int64_t M, int64_t N, float* c, int64_t ldc, bool acc) {
  for (int64_t n0 = 0; n0 < N; n0 += 16) {
    const int w = static_cast<int>(std::min<int64_t>(16, N - n0));
    for (int64_t m0 = 0; m0 < M; m0 += 16) {
      const int h = static_cast<int>(std::min<int64_t>(16, M - m0));
      vf16 r[16] = {};
      for (int i = 0; i < w; ++i) r[i] = ld(t + (n0 + i) * M + m0, h);
      transpose16(r);
      for (int k = 0; k < h; ++k) {
        float* row = c + (m0 + k) * ldc + n0;
        st(row, acc ? r[k] + ld(row, w) : r[k], w);
      }
    }
  }
}

// out[k * stride + i] = src[i * ld + k] for i < rows (<= 16), k < kc: the packing of an operand whose packed
// direction is strided (a row-major A, a column-major B), 16 x 16 blocks at a time instead of element gathers.
// Each k is stored as a whole vector (a library call per partial store cost more than the transposes), so
// lanes from rows up to 16 are written too: past the end of a k's row when stride < 16, where the next k's
// store overwrites them, and up to 16 - stride floats past out + kc * stride at the end.
// R: the row count when fixed at compile time (the vectors then stay in registers), else 0 (rows at run time).
template <int R>
TF_INLINE void pack_transposed_rows(const float* src, int64_t lds, int rows, int64_t kc, float* out, int64_t stride) {
  if (R) rows = R;
  int64_t k0 = 0;
  for (; k0 + 16 <= kc; k0 += 16) {
    vf16 r[16] = {};
    for (int i = 0; i < rows; ++i) r[i] = ld(src + i * lds + k0, 16);
    transpose16(r);
    for (int k = 0; k < 16; ++k) st(out + (k0 + k) * stride, r[k], 16);
  }
  for (; k0 < kc; ++k0)
    for (int i = 0; i < rows; ++i) out[k0 * stride + i] = src[i * lds + k0];
}

TF_SIMD_CLONES void pack_transposed(const float* src, int64_t lds, int rows, int64_t kc, float* out, int64_t stride) {
  if (rows == kMaxMR) pack_transposed_rows<kMaxMR>(src, lds, rows, kc, out, stride);
  else if (rows == 16) pack_transposed_rows<16>(src, lds, rows, kc, out, stride);
  else pack_transposed_rows<0>(src, lds, rows, kc, out, stride);
}

// The full panels [0, np) of a row-major B (w columns each, a multiple of 16), row by row:
// out[p * kc * w + k * w + j] = src[k * lds + p * w + j]. Each row's segment is read in one sequential pass (for
// several panels, packing one at a time read 128-byte pieces of rows a page apart, at about half the speed). Rows
// are far apart (the row stride of B), beyond the reach of the hardware prefetchers, so each line is fetched
// kPackPrefetch rows ahead; the copies are whole vectors, not a library call per row.
TF_SIMD_CLONES void pack_row_panels(const float* src, int64_t lds, int w, int64_t np, int64_t kc, float* out) {
  const int64_t row = np * w;
  for (int64_t k = 0; k < kc; ++k, src += lds, out += w) {
    if (k + kPackPrefetch < kc)
      for (int64_t j = 0; j < row; j += 16) __builtin_prefetch(src + kPackPrefetch * lds + j);
    float* o = out;
    for (int64_t j0 = 0; j0 < row; j0 += w, o += kc * w)
      for (int j = 0; j < w; j += 16) st(o + j, ld(src + j0 + j, 16), 16);
  }
}

template <class T>
void pack_a(int mr, int64_t mc, int64_t kc, const T* a, int64_t rsa, int64_t csa, T* out) {
  for (int64_t ir = 0; ir < mc; ir += mr) {
    const int64_t m = std::min<int64_t>(mr, mc - ir);
    if constexpr (std::is_same_v<T, float>) {
      if (csa == 1 && mr <= 16) {  // a row-major A: each row's k values are contiguous
        pack_transposed(a + ir * rsa, rsa, static_cast<int>(m), kc, out, mr);
        out += mr * kc;
        continue;
      }
    }
    for (int64_t k = 0; k < kc; ++k) {
      const T* src = a + ir * rsa + k * csa;
      int64_t i = 0;
      if (rsa == 1)  // a column-major A (a transposed operand): each k's MR values are contiguous
        for (; i < m; ++i) out[i] = src[i];  // a loop, not memcpy: a library call per 14 values costs more
      for (; i < m; ++i) out[i] = src[i * rsa];
      out += mr;
    }
  }
}

template <class T>
void pack_b_panel(int nr, int64_t n, int64_t kc, const T* b, int64_t rsb, int64_t csb, T* out) {
  if constexpr (std::is_same_v<T, float>) {
    if (rsb == 1 && csb != 1 && nr % 16 == 0) {  // a column-major B (a transposed operand): columns contiguous
      for (int64_t j = 0; j < nr; j += 16) {
        const int w = static_cast<int>(std::clamp<int64_t>(n - j, 0, 16));
        if (w > 0) pack_transposed(b + j * csb, csb, w, kc, out + j, nr);
      }
      return;
    }
  }
  if constexpr (std::is_same_v<T, float>) {
    if (csb == 1 && n == nr && nr % 16 == 0) {  // a row-major B: each row of the panel is a few whole vectors
      pack_row_panels(b, rsb, nr, 1, kc, out);
      return;
    }
  }
  for (int64_t k = 0; k < kc; ++k) {
    const T* src = b + k * rsb;
    // Rows of a panel are far apart (the row stride of B), beyond the reach of the hardware prefetchers.
    if (k + kPackPrefetch < kc) __builtin_prefetch(src + kPackPrefetch * rsb);
    if (csb == 1 && n == nr) {
      for (int64_t j = 0; j < nr; ++j) out[j] = src[j];
    } else {
      for (int64_t j = 0; j < n; ++j) out[j] = src[j * csb];
    }
    out += nr;
  }
}

template <class T>
void gemm_driver(const Kernel<T>& K_, int64_t M, int64_t N, int64_t K, const T* a, int64_t rsa, int64_t csa,
                 const T* b, int64_t rsb, int64_t csb, T* c, int64_t ldc, bool accumulate, const Epilogue<T>& ep) {
  if (M == 0 || N == 0) return;
  if (K == 0) {
    for (int64_t i = 0; i < M; ++i) {
      if (!accumulate) std::fill(c + i * ldc, c + i * ldc + N, T(0));
      if (ep.active()) apply_epilogue(c + i * ldc, ldc, 1, N, ep.bias, ep.act);
    }
    return;
  }
  const int mr = K_.mr, nr = K_.nr;
  static thread_local Blocking blk{0, 0, 0};
  static thread_local int blk_mr = 0;
  if (blk_mr != mr) { blk = blocking_for(mr, nr, sizeof(T)); blk_mr = mr; }
  const int64_t MC = blk.mc, NC = blk.nc;
  // K is cut into equal blocks of at most blk.kc (a multiple of 8 but the last): 784 -> 4 x 196, not 3 x 256 + 16.
  const int64_t KC = std::min(K, ((K + (K + blk.kc - 1) / blk.kc - 1) / ((K + blk.kc - 1) / blk.kc) + 7) / 8 * 8);
  const double flops = 2.0 * M * N * K;
  // The pool's workers spin between regions, so a fork and join costs a microsecond or two: two threads took
  // 64^3 from 5.1 to 3.5 us and a 10-unit output layer's products (128x512x10 and its gradients) from 20-24 to
  // 12-14 us, which a bound of 2 MFLOPs had left on one thread.
  const int nt = flops < kThreadFlops ? 1 : num_threads();
  if (M == 1 && csb == 1 && K_.gemv) {  // one row: K blocks as below, column groups split over the threads
    // (Splitting a 400 KB B over both cores even for little arithmetic, so that each reads half from its own
    // L2, measured no faster here: about 30 GFLOP/s either way at 1 x 784 x 128.)
    const int64_t width = kGemvCols, groups = (N + width - 1) / width;
    auto run = [&](int64_t lo, int64_t hi) {
      for (int64_t g = lo; g < hi; ++g) {
        const int64_t j0 = g * width, n = std::min(width, N - j0);
        for (int64_t pc = 0; pc < K; pc += KC)
          K_.gemv(std::min(KC, K - pc), a + pc * csa, csa, b + pc * rsb + j0, rsb, c + j0, n, accumulate || pc > 0);
        if (ep.active()) apply_epilogue(c + j0, ldc, 1, n, ep.bias ? ep.bias + j0 : nullptr, ep.act);
      }
    };
    if (nt > 1 && groups > 1) parallel_for(groups, 1, run);
    else run(0, groups);
    return;
  }
  if constexpr (std::is_same_v<T, float>) {
    // A column-major B (a transposed operand: the input gradient dy @ W^T) and a row-major A of few rows:
    // packing B, each value then used by only M rows, took a third of the time (32 x 128 x 784). The product
    // is computed transposed instead, C^T = B^T A^T, with B^T a row-major operand read in place, into a
    // scratch block that is then transposed into C.
    if (K_.direct[0] != nullptr && csa == 1 && rsb == 1 && csb != 1 && M <= 2 * nr && N > M) {
      // Threads take groups of 16 columns of C, each with its own scratch block (the nested products run on
      // the calling thread).
      auto part = [&](int64_t lo, int64_t hi) {
        const int64_t j0 = lo * 16, n = std::min(N, hi * 16) - j0;
        static thread_local Scratch t_trans;
        T* t = t_trans.get<T>(static_cast<size_t>(n * M));
        gemm_driver(K_, n, M, K, b + j0 * csb, csb, rsb, a, csa, rsa, t, M, false, {});
        transpose_into(t, M, n, c + j0, ldc, accumulate);
        if (ep.active()) apply_epilogue(c + j0, ldc, M, n, ep.bias ? ep.bias + j0 : nullptr, ep.act);
      };
      if (nt > 1) parallel_for((N + 15) / 16, 1, part);
      else part(0, (N + 15) / 16);
      return;
    }
  }
  // A row-major A is read in place when B has few column panels: packing A is a transpose, amortised over the
  // column panels, that costs as much as the arithmetic when N is small (convolutions).
  const bool direct_a = K_.direct[0] != nullptr && csa == 1 && N <= 4 * nr;
  // Likewise a column-major A (a transposed operand, as in a weight gradient x^T @ dy): each k's rows are
  // already contiguous, so the packed kernel reads them in place with the column stride as its step.
  const bool strided_a = K_.packed_lda && rsa == 1 && csa != 1 && N <= 4 * nr;
  // Two orders of the two inner loops. With a single block of rows (M <= MC, the layer shapes), each B panel is
  // packed just before use into a small per-thread buffer that stays in cache while every row tile of A passes
  // over it. With several row blocks, the KC x NC block of B is packed once and shared, and each micro-panel of
  // A (held in L1) passes over all of its panels.
  const bool single_block = M <= MC;
  // A row-major B is read in place (no packing) by up to three row tiles, unless its rows are a multiple of
  // 4 KiB apart: those all fall in the same L1 sets, and a panel read in place would not stay in L1 (measured
  // at 32x784x128: in place 1.3x faster than packed; at 56x1024x1024: 0.6x).
  const bool direct_b = csb == 1 && (M <= mr || (M <= 3 * mr && (rsb * static_cast<int64_t>(sizeof(T))) % 4096 != 0));

  for (int64_t jc = 0; jc < N; jc += NC) {
    const int64_t nc = std::min(NC, N - jc);
    const int64_t npanels = (nc + nr - 1) / nr, mpanels = (M + mr - 1) / mr;
    // The tiles of C in row panels [mp0, mp1) and column panels [np0, np1) for the K block at pc; bpack: the
    // shared packed block of B (several row blocks).
    auto tiles = [&](int64_t mp0, int64_t mp1, int64_t np0, int64_t np1, int64_t pc, const T* bpack) {
      const int64_t kc = std::min(KC, K - pc);
      const bool acc = accumulate || pc > 0, last = pc + kc == K;
      const T* bsrc = b + pc * rsb + jc * csb;
      auto tile = [&](const T* ap, int64_t lda, const T* bp, int64_t ldb, int64_t i0, int64_t p, int m) {
        const int64_t jr = p * nr;
        const int n = static_cast<int>(std::min<int64_t>(nr, nc - jr));
        T* cp = c + i0 * ldc + jc + jr;
        const Epilogue<T> tile_ep{ep.bias ? ep.bias + jc + jr : nullptr, ep.act};
        const bool fuse = last && ep.active();
        if (!(direct_a ? K_.direct : K_.packed)[m - 1](kc, ap, lda, bp, ldb, cp, ldc, m, n, acc, fuse ? &tile_ep : nullptr) && fuse)
          apply_epilogue(cp, ldc, m, n, tile_ep.bias, ep.act);
      };
      for (int64_t ic = mp0 * mr; ic < std::min(M, mp1 * mr); ic += MC) {
        const int64_t mc = std::min({MC, M - ic, mp1 * mr - ic});
        T* apack = nullptr;
        if (!direct_a && !strided_a) {
          apack = t_pack_a.get<T>(static_cast<size_t>((mc + mr - 1) / mr * mr * kc + 16));  // + pack_transposed's spill
          pack_a(mr, mc, kc, a + ic * rsa + pc * csa, rsa, csa, apack);
        }
        auto a_panel = [&](int64_t ir) {
          return direct_a ? a + (ic + ir) * rsa + pc : strided_a ? a + ic + ir + pc * csa : apack + ir * kc;
        };
        const int64_t lda = direct_a ? rsa : strided_a ? csa : mr;
        if (single_block) {
          T* bbuf = direct_b ? nullptr : t_pack_b.get<T>(static_cast<size_t>(nr * kc));
          for (int64_t p = np0; p < np1; ++p) {
            const T* bp = bsrc + p * nr * csb;
            if (!direct_b) {
              pack_b_panel(nr, std::min<int64_t>(nr, nc - p * nr), kc, bp, rsb, csb, bbuf);
              bp = bbuf;
            }
            for (int64_t ir = 0; ir < mc; ir += mr)
              tile(a_panel(ir), lda, bp, direct_b ? rsb : nr, ic + ir, p, static_cast<int>(std::min<int64_t>(mr, mc - ir)));
          }
        } else {
          for (int64_t ir = 0; ir < mc; ir += mr)
            for (int64_t p = np0; p < np1; ++p)
              tile(a_panel(ir), lda, bpack + p * nr * kc, nr, ic + ir, p, static_cast<int>(std::min<int64_t>(mr, mc - ir)));
        }
      }
    };
    if (single_block) {
      // Threads split the columns (each packs only its own B panels), or the rows when there are fewer column
      // panels than threads. Nothing is shared: each runs all of K over its own tiles, in one fork and join.
      const int64_t m_parts = npanels >= nt ? 1 : std::min<int64_t>(nt, mpanels);
      const int64_t n_parts = std::max<int64_t>(1, std::min<int64_t>(nt / m_parts, npanels));
      auto task = [&](int64_t t) {
        const int64_t mi = t / n_parts, ni = t % n_parts;
        for (int64_t pc = 0; pc < K; pc += KC)
          tiles(mpanels * mi / m_parts, mpanels * (mi + 1) / m_parts, npanels * ni / n_parts,
                npanels * (ni + 1) / n_parts, pc, nullptr);
      };
      if (m_parts * n_parts > 1) parallel_for(m_parts * n_parts, 1, [&](int64_t lo, int64_t hi) { for (; lo < hi; ++lo) task(lo); });
      else task(0);
      continue;
    }
    for (int64_t pc = 0; pc < K; pc += KC) {
      const int64_t kc = std::min(KC, K - pc);
      const T* bsrc = b + pc * rsb + jc * csb;
      T* bpack = t_pack_b.get<T>(static_cast<size_t>(npanels * nr * kc));
      auto pack_b_range = [&](int64_t lo, int64_t hi) {
        if constexpr (std::is_same_v<T, float>) {
          if (csb == 1 && nr % 16 == 0) {  // a row-major B: full panels row by row, a partial last one below
            const int64_t full = std::min(hi, nc / nr);
            if (full > lo) pack_row_panels(bsrc + lo * nr, rsb, nr, full - lo, kc, bpack + lo * nr * kc);
            lo = std::max(lo, full);
          }
        }
        for (int64_t p = lo; p < hi; ++p)
          pack_b_panel(nr, std::min<int64_t>(nr, nc - p * nr), kc, bsrc + p * nr * csb, rsb, csb, bpack + p * nr * kc);
      };
      // In parallel only when it is large enough to pay for a fork and join (a few microseconds).
      if (nt > 1 && npanels > 1 && npanels * nr * kc >= (1 << 16)) parallel_for(npanels, 1, pack_b_range);
      else pack_b_range(0, npanels);
      // Row panels go in runs, about 8 per thread, each run passing over the whole block of B. Each thread owns
      // an equal share of the runs and takes them in order; when done, it takes the runs left in other shares.
      // A fixed split with no taking measured 5-15 % slower at 768^2-2048^2 on two threads here (interleaved
      // timings), waiting on whichever core the VM slowed. One shared counter for all runs was as fast there but
      // cost the small MLP's weight-gradient products a fifth in its captured step: the next step's optimizer
      // update, split the same way, then found half its gradient rows in the other core's cache.
      // Each tile's sums are the same whichever thread computes it.
      if (nt > 1) {
        struct alignas(64) Share { std::atomic<int64_t> next; int64_t end; };
        const int64_t unit = std::max<int64_t>(1, mpanels / (8 * nt)), nunits = (mpanels + unit - 1) / unit;
        std::vector<Share> shares(nt);
        for (int t = 0; t < nt; ++t) {
          shares[t].next.store(nunits * t / nt, std::memory_order_relaxed);
          shares[t].end = nunits * (t + 1) / nt;
        }
        parallel_for(nt, 1, [&](int64_t self, int64_t) {
          for (int v = 0; v < nt; ++v) {
            Share& sh = shares[(self + v) % nt];
            for (int64_t u; (u = sh.next.fetch_add(1, std::memory_order_relaxed)) < sh.end;)
              tiles(u * unit, std::min(mpanels, (u + 1) * unit), 0, npanels, pc, bpack);
          }
        });
      } else {
        tiles(0, mpanels, 0, npanels, pc, bpack);
      }
    }
  }
}

}  // namespace

void gemm_f32(int64_t M, int64_t N, int64_t K, const float* a, int64_t rsa, int64_t csa, const float* b, int64_t rsb,
              int64_t csb, float* c, int64_t ldc, bool accumulate, const Epilogue<float>& ep) {
  gemm_driver<float>(f32_kernel(), M, N, K, a, rsa, csa, b, rsb, csb, c, ldc, accumulate, ep);
}

void gemm_f64(int64_t M, int64_t N, int64_t K, const double* a, int64_t rsa, int64_t csa, const double* b, int64_t rsb,
              int64_t csb, double* c, int64_t ldc, bool accumulate, const Epilogue<double>& ep) {
  gemm_driver<double>(kGenericD, M, N, K, a, rsa, csa, b, rsb, csb, c, ldc, accumulate, ep);
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
