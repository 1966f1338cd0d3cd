// Whole-sequence recurrent kernels (SimpleRNN, LSTM, GRU with reset_after) over
// batch-major tensors. The input projection x @ W + b of every time step is one
// GEMM done by the caller; here each step does one GEMM h @ U for all gates
// together, then the gate nonlinearities row by row. The backward pass walks
// the sequence in reverse with one GEMM dA_t @ U^T per step and forms dU with a
// single GEMM over all steps at the end.
// The activations are those of cpu/vmath.h.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <type_traits>
#include <vector>

#include "tapeflow/core/threadpool.h"
#include "tapeflow/cpu/gemm.h"
#include "tapeflow/cpu/kernels.h"
#include "tapeflow/cpu/vmath.h"

namespace tapeflow {
namespace cpu {
namespace {

// The derivative of an activation from its output y.
TF_INLINE vf16 act_grad_v(Act act, vf16 y) {
  switch (act) {
    case Act::Linear: return splat(1.0f);
    case Act::Tanh: return 1.0f - y * y;
    case Act::Sigmoid: return y * (1.0f - y);
    case Act::Relu: return y > 0.0f ? splat(1.0f) : splat(0.0f);
    case Act::HardSigmoid: return (y > 0.0f) & (y < 1.0f) ? splat(1.0f / 6.0f) : splat(0.0f);
    case Act::Gelu: case Act::GeluTanh: break;  // not offered to recurrent cells
  }
  return splat(1.0f);
}

// out[i] = f(v[i]) over n floats, 16 at a time (the tail through a padded copy).
template <class F>
TF_INLINE void map_v(const float* v, float* out, int64_t n, F f) {
  for (int64_t i = 0; i < n; i += 16) {
    const int64_t m = std::min<int64_t>(16, n - i);
    st(out + i, f(ld(v + i, m)), m);
  }
}

TF_SIMD_CLONES void act_f32(Act act, float* v, int64_t n) {
  map_v(v, v, n, [act](vf16 x) __attribute__((always_inline)) { return act_v(act, x); });
}

TF_SIMD_CLONES void act_grad_f32(Act act, const float* y, float* out, int64_t n) {
  map_v(y, out, n, [act](vf16 x) __attribute__((always_inline)) { return act_grad_v(act, x); });
}

void act_apply(Act act, float* v, int64_t n) { act_f32(act, v, n); }
void act_grad_into(Act act, const float* y, float* out, int64_t n) { act_grad_f32(act, y, out, n); }

void act_apply(Act act, double* v, int64_t n) {
  for (int64_t i = 0; i < n; ++i) v[i] = act_scalar(act, v[i]);
}

inline double act_grad(Act act, double y) {
  switch (act) {
    case Act::Linear: return 1.0;
    case Act::Tanh: return 1.0 - y * y;
    case Act::Sigmoid: return y * (1.0 - y);
    case Act::Relu: return y > 0.0 ? 1.0 : 0.0;
    case Act::HardSigmoid: return y > 0.0 && y < 1.0 ? 1.0 / 6.0 : 0.0;
    case Act::Gelu: case Act::GeluTanh: break;  // not offered to recurrent cells
  }
  return 1.0;
}

void act_grad_into(Act act, const double* y, double* out, int64_t n) {
  for (int64_t i = 0; i < n; ++i) out[i] = act_grad(act, y[i]);
}

// C (M x N, ldc) = A (M x K, rows lda apart) @ B (K x N, row-major): the per-step recurrent product, whose
// B (the recurrent kernel or its transpose) is the same at every step and small enough to stay in cache.
// Blocks of 4 rows x 64 columns keep 16 accumulators in registers; k runs in order, so each output's sum has
// one order whatever the row split.
TF_SIMD_CLONES void step_gemm_f32(int64_t M, int64_t N, int64_t K, const float* a, int64_t lda, const float* b,
                                  float* c, int64_t ldc) {
  constexpr int64_t R = 4, V = 4;  // rows and 16-float vectors per block
  for (int64_t n0 = 0; n0 < N; n0 += 16 * V) {
    const int64_t nv = std::min<int64_t>(V, (N - n0 + 15) / 16);
    const bool full = n0 + 16 * V <= N;
    for (int64_t m0 = 0; m0 < M; m0 += R) {
      const int64_t mr = std::min<int64_t>(R, M - m0);
      if (full && mr == R) {  // named accumulators, so that all 16 stay in registers
        vf16 c00{}, c01{}, c02{}, c03{}, c10{}, c11{}, c12{}, c13{}, c20{}, c21{}, c22{}, c23{}, c30{}, c31{}, c32{},
            c33{};
        const float *a0 = a + m0 * lda, *a1 = a0 + lda, *a2 = a1 + lda, *a3 = a2 + lda;
        for (int64_t k = 0; k < K; ++k) {
          vf16 b0, b1, b2, b3;
          const float* bk = b + k * N + n0;
          std::memcpy(&b0, bk, sizeof b0);
          std::memcpy(&b1, bk + 16, sizeof b1);
          std::memcpy(&b2, bk + 32, sizeof b2);
          std::memcpy(&b3, bk + 48, sizeof b3);
          const float x0 = a0[k], x1 = a1[k], x2 = a2[k], x3 = a3[k];
          c00 += x0 * b0; c01 += x0 * b1; c02 += x0 * b2; c03 += x0 * b3;
          c10 += x1 * b0; c11 += x1 * b1; c12 += x1 * b2; c13 += x1 * b3;
          c20 += x2 * b0; c21 += x2 * b1; c22 += x2 * b2; c23 += x2 * b3;
          c30 += x3 * b0; c31 += x3 * b1; c32 += x3 * b2; c33 += x3 * b3;
        }
        const vf16 rows[R][V] = {{c00, c01, c02, c03}, {c10, c11, c12, c13}, {c20, c21, c22, c23},
                                 {c30, c31, c32, c33}};
        for (int64_t r = 0; r < R; ++r) std::memcpy(c + (m0 + r) * ldc + n0, rows[r], sizeof rows[r]);
        continue;
      }
      vf16 acc[R][V] = {};  // edge block: partial vectors through a zero-padded copy of the row of B
      const int64_t width = std::min<int64_t>(16 * V, N - n0);
      for (int64_t k = 0; k < K; ++k) {
        vf16 bv[V] = {};
        std::memcpy(bv, b + k * N + n0, width * sizeof(float));
        for (int64_t r = 0; r < mr; ++r) {
          const float av = a[(m0 + r) * lda + k];
          for (int64_t v = 0; v < nv; ++v) acc[r][v] += av * bv[v];
        }
      }
      for (int64_t r = 0; r < mr; ++r) std::memcpy(c + (m0 + r) * ldc + n0, acc[r], width * sizeof(float));
    }
  }
}

void step_gemm(int64_t M, int64_t N, int64_t K, const float* a, int64_t lda, const float* b, float* c, int64_t ldc) {
  step_gemm_f32(M, N, K, a, lda, b, c, ldc);
}
void step_gemm(int64_t M, int64_t N, int64_t K, const double* a, int64_t lda, const double* b, double* c,
               int64_t ldc) {
  if (M > 0 && N > 0) gemm_f64(M, N, K, a, lda, 1, b, N, 1, c, ldc, false);
}

void gemm(int64_t M, int64_t N, int64_t K, const float* a, int64_t rsa, int64_t csa, const float* b, int64_t rsb,
          int64_t csb, float* c, int64_t ldc, bool acc) {
  gemm_f32(M, N, K, a, rsa, csa, b, rsb, csb, c, ldc, acc);
}
void gemm(int64_t M, int64_t N, int64_t K, const double* a, int64_t rsa, int64_t csa, const double* b, int64_t rsb,
          int64_t csb, double* c, int64_t ldc, bool acc) {
  gemm_f64(M, N, K, a, rsa, csa, b, rsb, csb, c, ldc, acc);
}

int64_t gates(RnnCell cell) { return cell == RnnCell::LSTM ? 4 : cell == RnnCell::GRU ? 3 : 1; }

template <class T>
const T* ptr_or_null(const Tensor& t) { return t.defined() ? t.data<T>() : nullptr; }

// The float LSTM step of one row in a single pass of 16-lane vectors. The activations are template arguments
// (kRuntimeAct: read from s) so that the default tanh / sigmoid pair needs no switch per vector.
constexpr Act kRuntimeAct = static_cast<Act>(-1);

template <Act A, Act R>
TF_INLINE void lstm_forward_v(const RnnSpec& s, const float* __restrict x, const float* __restrict ar,
                              const float* __restrict rbias, const float* __restrict cprev, float* __restrict g,
                              float* __restrict c, float* __restrict aux, float* __restrict h) {
  const Act act = A == kRuntimeAct ? s.act : A, rec = R == kRuntimeAct ? s.rec_act : R;
  const int64_t H = s.H;
  for (int64_t i = 0; i < H; i += 16) {
    const int64_t n = std::min<int64_t>(16, H - i);
    vf16 z[4];
    for (int q = 0; q < 4; ++q) {
      z[q] = ld(x + q * H + i, n) + ld(ar + q * H + i, n);
      if (rbias) z[q] += ld(rbias + q * H + i, n);
    }
    const vf16 gi = act_v(rec, z[0]), gf = act_v(rec, z[1]), gc = act_v(act, z[2]), go = act_v(rec, z[3]);
    const vf16 cv = gf * ld(cprev + i, n) + gi * gc;
    const vf16 tc = act_v(act, cv);
    st(g + i, gi, n);
    st(g + H + i, gf, n);
    st(g + 2 * H + i, gc, n);
    st(g + 3 * H + i, go, n);
    st(c + i, cv, n);
    st(aux + i, tc, n);
    st(h + i, go * tc, n);
  }
}

template <Act A, Act R>
TF_INLINE void lstm_backward_v(const RnnSpec& s, const float* __restrict g, const float* __restrict aux,
                               const float* __restrict cprev, const float* __restrict dho,
                               const float* __restrict dco, float* __restrict dh, float* __restrict dc,
                               float* __restrict dg) {
  const Act act = A == kRuntimeAct ? s.act : A, rec = R == kRuntimeAct ? s.rec_act : R;
  const int64_t H = s.H;
  for (int64_t i = 0; i < H; i += 16) {
    const int64_t n = std::min<int64_t>(16, H - i);
    const vf16 gi = ld(g + i, n), gf = ld(g + H + i, n), gc = ld(g + 2 * H + i, n), go = ld(g + 3 * H + i, n);
    const vf16 tc = ld(aux + i, n), dhv = ld(dh + i, n) + ld(dho + i, n);
    const vf16 dcell = ld(dc + i, n) + ld(dco + i, n) + dhv * go * act_grad_v(act, tc);
    st(dg + 3 * H + i, dhv * tc * act_grad_v(rec, go), n);
    st(dg + i, dcell * gc * act_grad_v(rec, gi), n);
    st(dg + H + i, dcell * ld(cprev + i, n) * act_grad_v(rec, gf), n);
    st(dg + 2 * H + i, dcell * gi * act_grad_v(act, gc), n);
    st(dc + i, dcell * gf, n);
    st(dh + i, vf16{}, n);
  }
}

// One batch row at one step, forward: the gate activations g (G*H) from the projected input x and the
// recurrent product ar, then the new states. Inlined into a clone per ISA (float) so the loops vectorise.
template <class T>
TF_INLINE void forward_row_t(const RnnSpec& s, const T* __restrict x, const T* __restrict ar,
                             const T* __restrict rbias, const T* __restrict hprev, const T* __restrict cprev,
                             T* __restrict g, T* __restrict c, T* __restrict aux, T* __restrict h) {
  const int64_t H = s.H;
  switch (s.cell) {
    case RnnCell::SimpleRNN:
      for (int64_t i = 0; i < H; ++i) g[i] = x[i] + ar[i];
      if (rbias)
        for (int64_t i = 0; i < H; ++i) g[i] += rbias[i];
      act_apply(s.act, g, H);
      for (int64_t i = 0; i < H; ++i) h[i] = g[i];
      break;
    case RnnCell::LSTM: {  // gates i, f, c, o; aux = activation(c)
      if constexpr (std::is_same_v<T, float>) {
        if (s.act == Act::Tanh && s.rec_act == Act::Sigmoid)  // the default: activations known when compiled
          lstm_forward_v<Act::Tanh, Act::Sigmoid>(s, x, ar, rbias, cprev, g, c, aux, h);
        else
          lstm_forward_v<kRuntimeAct, kRuntimeAct>(s, x, ar, rbias, cprev, g, c, aux, h);
        break;
      }
      for (int64_t i = 0; i < 4 * H; ++i) g[i] = x[i] + ar[i];
      if (rbias)
        for (int64_t i = 0; i < 4 * H; ++i) g[i] += rbias[i];
      act_apply(s.rec_act, g, 2 * H);
      act_apply(s.act, g + 2 * H, H);
      act_apply(s.rec_act, g + 3 * H, H);
      for (int64_t i = 0; i < H; ++i) c[i] = g[H + i] * cprev[i] + g[i] * g[2 * H + i];
      for (int64_t i = 0; i < H; ++i) aux[i] = c[i];
      act_apply(s.act, aux, H);
      for (int64_t i = 0; i < H; ++i) h[i] = g[3 * H + i] * aux[i];
      break;
    }
    case RnnCell::GRU: {  // gates z, r, h~, the reset gate applied after the recurrent GEMM; aux = h @ U_h + b_h
      for (int64_t i = 0; i < 2 * H; ++i) g[i] = x[i] + ar[i];
      for (int64_t i = 0; i < H; ++i) aux[i] = ar[2 * H + i];
      if (rbias) {
        for (int64_t i = 0; i < 2 * H; ++i) g[i] += rbias[i];
        for (int64_t i = 0; i < H; ++i) aux[i] += rbias[2 * H + i];
      }
      act_apply(s.rec_act, g, 2 * H);
      for (int64_t i = 0; i < H; ++i) g[2 * H + i] = x[2 * H + i] + g[H + i] * aux[i];
      act_apply(s.act, g + 2 * H, H);
      for (int64_t i = 0; i < H; ++i) h[i] = g[i] * hprev[i] + (T(1) - g[i]) * g[2 * H + i];
      break;
    }
  }
}

// One batch row at one step, backward: from dh (and dc) reaching this step, the pre-activation gradients dg
// (of xw) and dar (of h @ U; GRU only, else dg), and the direct parts of dh and dc for the previous step.
// d: scratch of (G + 1) * H.
template <class T>
TF_INLINE void backward_row_t(const RnnSpec& s, const T* __restrict g, const T* __restrict aux,
                              const T* __restrict hprev, const T* __restrict cprev, const T* __restrict dho,
                              const T* __restrict dco, T* __restrict dh, T* __restrict dc, T* __restrict dg,
                              T* __restrict dar, T* __restrict d) {
  const int64_t H = s.H;
  // Add the gradients reaching this step's outputs (the float LSTM path adds them in its own vector loop).
  if (s.cell != RnnCell::LSTM || !std::is_same_v<T, float>) {
    for (int64_t i = 0; i < H; ++i) dh[i] += dho[i];
    if (dc)
      for (int64_t i = 0; i < H; ++i) dc[i] += dco[i];
  }
  switch (s.cell) {
    case RnnCell::SimpleRNN:
      act_grad_into(s.act, g, d, H);
      for (int64_t i = 0; i < H; ++i) { dg[i] = dh[i] * d[i]; dh[i] = T(0); }
      break;
    case RnnCell::LSTM: {
      if constexpr (std::is_same_v<T, float>) {
        if (s.act == Act::Tanh && s.rec_act == Act::Sigmoid)
          lstm_backward_v<Act::Tanh, Act::Sigmoid>(s, g, aux, cprev, dho, dco, dh, dc, dg);
        else
          lstm_backward_v<kRuntimeAct, kRuntimeAct>(s, g, aux, cprev, dho, dco, dh, dc, dg);
        break;
      }
      act_grad_into(s.rec_act, g, d, 2 * H);
      act_grad_into(s.act, g + 2 * H, d + 2 * H, H);
      act_grad_into(s.rec_act, g + 3 * H, d + 3 * H, H);
      act_grad_into(s.act, aux, d + 4 * H, H);
      for (int64_t i = 0; i < H; ++i) {
        const T dcell = dc[i] + dh[i] * g[3 * H + i] * d[4 * H + i];
        dg[3 * H + i] = dh[i] * aux[i] * d[3 * H + i];
        dg[i] = dcell * g[2 * H + i] * d[i];
        dg[H + i] = dcell * cprev[i] * d[H + i];
        dg[2 * H + i] = dcell * g[i] * d[2 * H + i];
        dc[i] = dcell * g[H + i];
        dh[i] = T(0);
      }
      break;
    }
    case RnnCell::GRU: {
      act_grad_into(s.rec_act, g, d, 2 * H);
      act_grad_into(s.act, g + 2 * H, d + 2 * H, H);
      for (int64_t i = 0; i < H; ++i) {
        const T z = g[i], r = g[H + i], hh = g[2 * H + i];
        const T dpre = dh[i] * (T(1) - z) * d[2 * H + i];
        const T dz = dh[i] * (hprev[i] - hh) * d[i];
        const T dr = dpre * aux[i] * d[H + i];
        dg[i] = dz; dg[H + i] = dr; dg[2 * H + i] = dpre;
        dar[i] = dz; dar[H + i] = dr; dar[2 * H + i] = dpre * r;
        dh[i] *= z;
      }
      break;
    }
  }
}

TF_SIMD_CLONES void forward_row_f32(const RnnSpec& s, const float* x, const float* ar, const float* rbias,
                                    const float* hprev, const float* cprev, float* g, float* c, float* aux, float* h) {
  forward_row_t<float>(s, x, ar, rbias, hprev, cprev, g, c, aux, h);
}
TF_SIMD_CLONES void backward_row_f32(const RnnSpec& s, const float* g, const float* aux, const float* hprev,
                                     const float* cprev, const float* dho, const float* dco, float* dh, float* dc,
                                     float* dg, float* dar, float* d) {
  backward_row_t<float>(s, g, aux, hprev, cprev, dho, dco, dh, dc, dg, dar, d);
}
void forward_row(const RnnSpec& s, const float* x, const float* ar, const float* rbias, const float* hprev,
                 const float* cprev, float* g, float* c, float* aux, float* h) {
  forward_row_f32(s, x, ar, rbias, hprev, cprev, g, c, aux, h);
}
void forward_row(const RnnSpec& s, const double* x, const double* ar, const double* rbias, const double* hprev,
                 const double* cprev, double* g, double* c, double* aux, double* h) {
  forward_row_t<double>(s, x, ar, rbias, hprev, cprev, g, c, aux, h);
}
void backward_row(const RnnSpec& s, const float* g, const float* aux, const float* hprev, const float* cprev,
                  const float* dho, const float* dco, float* dh, float* dc, float* dg, float* dar, float* d) {
  backward_row_f32(s, g, aux, hprev, cprev, dho, dco, dh, dc, dg, dar, d);
}
void backward_row(const RnnSpec& s, const double* g, const double* aux, const double* hprev, const double* cprev,
                  const double* dho, const double* dco, double* dh, double* dc, double* dg, double* dar, double* d) {
  backward_row_t<double>(s, g, aux, hprev, cprev, dho, dco, dh, dc, dg, dar, d);
}

// a += b (* m where m is given), over n values.
template <class T>
TF_INLINE void add_scaled_t(T* __restrict a, const T* __restrict b, const T* __restrict m, int64_t n) {
  if (m)
    for (int64_t i = 0; i < n; ++i) a[i] += b[i] * m[i];
  else
    for (int64_t i = 0; i < n; ++i) a[i] += b[i];
}
TF_SIMD_CLONES void add_scaled_f32(float* a, const float* b, const float* m, int64_t n) { add_scaled_t(a, b, m, n); }
void add_scaled(float* a, const float* b, const float* m, int64_t n) { add_scaled_f32(a, b, m, n); }
void add_scaled(double* a, const double* b, const double* m, int64_t n) { add_scaled_t(a, b, m, n); }

// Each batch row's recurrence depends on that row alone, so threads take whole rows through all time steps:
// no synchronisation per step. Rows per task: enough to fill the 4-row GEMM blocks.
constexpr int64_t kRowGrain = 4;

template <class T>
void forward_t(const RnnSpec& s, const Tensor& xw_t, const Tensor& u_t, const Tensor& rbias_t, const Tensor& h0_t,
               const Tensor& c0_t, const Tensor& mask_t, const Tensor& rmask_t, const Tensor& hs_t,
               const Tensor& cs_t, const Tensor& saved_t, const Tensor& aux_t) {
  const int64_t B = s.B, T_ = s.T, H = s.H, G = gates(s.cell), GH = G * H;
  const T* xw = xw_t.data<T>();
  const T* u = u_t.data<T>();
  const T* h0 = h0_t.data<T>();
  const T* c0 = s.cell == RnnCell::LSTM ? c0_t.data<T>() : nullptr;
  const T* rbias = ptr_or_null<T>(rbias_t);
  const T* mask = ptr_or_null<T>(mask_t);
  const T* rmask = ptr_or_null<T>(rmask_t);
  T* hs = hs_t.data<T>();
  T* cs = s.cell == RnnCell::LSTM ? cs_t.data<T>() : nullptr;
  T* saved = saved_t.data<T>();
  T* aux = s.cell != RnnCell::SimpleRNN ? aux_t.data<T>() : nullptr;
  parallel_for(B, kRowGrain, [&](int64_t lo, int64_t hi) {
    const int64_t nb = hi - lo;
    std::vector<T> a(nb * GH), hin(rmask ? nb * H : 0);
    for (int64_t t = 0; t < T_; ++t) {
      // h_{t-1} of rows lo..hi: rows of h0, or of hs at step t-1 (T*H apart)
      const T* hprev_rows = t > 0 ? hs + (lo * T_ + t - 1) * H : h0 + lo * H;
      const int64_t ld = t > 0 ? T_ * H : H;
      const T* hsrc = hprev_rows;
      int64_t lda = ld;
      if (rmask) {
        for (int64_t r = 0; r < nb; ++r)
          for (int64_t i = 0; i < H; ++i) hin[r * H + i] = hprev_rows[r * ld + i] * rmask[(lo + r) * H + i];
        hsrc = hin.data();
        lda = H;
      }
      step_gemm(nb, GH, H, hsrc, lda, u, a.data(), GH);
      for (int64_t b = lo; b < hi; ++b) {
        const int64_t row = b * T_ + t;
        T* h = hs + row * H;
        T* g = saved + row * GH;
        const T* hprev = hprev_rows + (b - lo) * ld;
        const T* cprev = cs ? (t > 0 ? cs + (row - 1) * H : c0 + b * H) : nullptr;
        if (mask && mask[row] == T(0)) {  // a masked step carries the states over
          std::copy(hprev, hprev + H, h);
          if (cs) std::copy(cprev, cprev + H, cs + row * H);
          std::fill(g, g + GH, T(0));
          if (aux) std::fill(aux + row * H, aux + (row + 1) * H, T(0));
          continue;
        }
        forward_row(s, xw + row * GH, a.data() + (b - lo) * GH, rbias, hprev, cprev, g, cs ? cs + row * H : nullptr,
                    aux ? aux + row * H : nullptr, h);
      }
    }
  });
}

template <class T>
void backward_t(const RnnSpec& s, const Tensor& u_t, const Tensor& h0_t, const Tensor& c0_t, const Tensor& mask_t,
                const Tensor& rmask_t, const Tensor& hs_t, const Tensor& cs_t, const Tensor& saved_t,
                const Tensor& aux_t, const Tensor& dhs_t, const Tensor& dcs_t, const Tensor& dxw_t,
                const Tensor& du_t, const Tensor& drbias_t, const Tensor& dh0_t, const Tensor& dc0_t) {
  const int64_t B = s.B, T_ = s.T, H = s.H, G = gates(s.cell), GH = G * H;
  const T* u = u_t.data<T>();
  const T* h0 = h0_t.data<T>();
  const T* mask = ptr_or_null<T>(mask_t);
  const T* rmask = ptr_or_null<T>(rmask_t);
  const T* hs = hs_t.data<T>();
  const bool lstm = s.cell == RnnCell::LSTM, gru = s.cell == RnnCell::GRU;
  const T* cs = lstm ? cs_t.data<T>() : nullptr;
  const T* c0 = lstm ? c0_t.data<T>() : nullptr;
  const T* saved = saved_t.data<T>();
  const T* aux = lstm || gru ? aux_t.data<T>() : nullptr;
  const T* dhs = dhs_t.data<T>();
  const T* dcs = lstm ? dcs_t.data<T>() : nullptr;
  T* dxw = dxw_t.data<T>();
  T* dh0 = dh0_t.data<T>();
  T* dc0 = lstm ? dc0_t.data<T>() : nullptr;
  // The gradient of the recurrent pre-activations h @ U (+ rbias): dxw, except GRU's candidate part, scaled by r.
  std::vector<T> da_store(gru ? B * T_ * GH : 0);
  T* da = gru ? da_store.data() : dxw;
  std::vector<T> ut(GH * H);  // U^T, row-major (G*H, H)
  for (int64_t i = 0; i < H; ++i)
    for (int64_t j = 0; j < GH; ++j) ut[j * H + i] = u[i * GH + j];
  parallel_for(B, kRowGrain, [&](int64_t lo, int64_t hi) {
    const int64_t nb = hi - lo;
    // dh: the gradient reaching h_t of each row from later steps (then its direct part for h_{t-1}); dc likewise.
    std::vector<T> dh(nb * H, T(0)), dc(lstm ? nb * H : 0, T(0)), dhr(nb * H), d(GH + H);
    for (int64_t t = T_; t-- > 0;) {
      for (int64_t b = lo; b < hi; ++b) {
        const int64_t row = b * T_ + t;
        T* dhb = dh.data() + (b - lo) * H;
        const T* dho = dhs + row * H;
        T* dcb = lstm ? dc.data() + (b - lo) * H : nullptr;
        const T* dco = lstm ? dcs + row * H : nullptr;
        T* dg = dxw + row * GH;
        T* dar = da + row * GH;
        if (mask && mask[row] == T(0)) {  // the states passed through unchanged
          add_scaled(dhb, dho, nullptr, H);
          if (lstm) add_scaled(dcb, dco, nullptr, H);
          std::fill(dg, dg + GH, T(0));
          if (gru) std::fill(dar, dar + GH, T(0));
          continue;
        }
        const T* hprev = t > 0 ? hs + (row - 1) * H : h0 + b * H;
        const T* cprev = lstm ? (t > 0 ? cs + (row - 1) * H : c0 + b * H) : nullptr;
        backward_row(s, saved + row * GH, aux ? aux + row * H : nullptr, hprev, cprev, dho, dco, dhb, dcb, dg, dar,
                     d.data());
      }
      // dh_{t-1} = direct part + (dA_t @ U^T) * rmask
      step_gemm(nb, H, GH, da + (lo * T_ + t) * GH, T_ * GH, ut.data(), dhr.data(), H);
      add_scaled(dh.data(), dhr.data(), rmask ? rmask + lo * H : nullptr, nb * H);
    }
    std::copy(dh.begin(), dh.end(), dh0 + lo * H);
    if (lstm) std::copy(dc.begin(), dc.end(), dc0 + lo * H);
  });
  // dU = sum over steps of (h_{t-1} * rmask)^T dA_t: one GEMM over all B*T rows.
  std::vector<T> hprev_all(B * T_ * H);
  parallel_for(B, 1, [&](int64_t lo, int64_t hi) {
    for (int64_t b = lo; b < hi; ++b)
      for (int64_t t = 0; t < T_; ++t) {
        const T* src = t > 0 ? hs + (b * T_ + t - 1) * H : h0 + b * H;
        T* dst = hprev_all.data() + (b * T_ + t) * H;
        for (int64_t i = 0; i < H; ++i) dst[i] = rmask ? src[i] * rmask[b * H + i] : src[i];
      }
  });
  T* du = du_t.data<T>();
  if (B * T_ > 0) gemm(H, GH, B * T_, hprev_all.data(), 1, H, da, GH, 1, du, GH, false);
  else std::fill(du, du + H * GH, T(0));
  if (drbias_t.defined()) {  // column sums of dA, as a GEMM with a row of ones
    std::vector<T> ones(B * T_, T(1));
    T* db = drbias_t.data<T>();
    if (B * T_ > 0) gemm(1, GH, B * T_, ones.data(), B * T_, 1, da, GH, 1, db, GH, false);
    else std::fill(db, db + GH, T(0));
  }
}

}  // namespace

void rnn_forward(const RnnSpec& s, const Tensor& xw, const Tensor& u, const Tensor& rbias, const Tensor& h0,
                 const Tensor& c0, const Tensor& mask, const Tensor& rmask, const Tensor& hs, const Tensor& cs,
                 const Tensor& saved, const Tensor& aux) {
  if (xw.dtype() == DType::Float32) forward_t<float>(s, xw, u, rbias, h0, c0, mask, rmask, hs, cs, saved, aux);
  else forward_t<double>(s, xw, u, rbias, h0, c0, mask, rmask, hs, cs, saved, aux);
}

void rnn_backward(const RnnSpec& s, const Tensor& u, const Tensor& h0, const Tensor& c0, const Tensor& mask,
                  const Tensor& rmask, const Tensor& hs, const Tensor& cs, const Tensor& saved, const Tensor& aux,
                  const Tensor& dhs, const Tensor& dcs, const Tensor& dxw, const Tensor& du, const Tensor& drbias,
                  const Tensor& dh0, const Tensor& dc0) {
  if (u.dtype() == DType::Float32)
    backward_t<float>(s, u, h0, c0, mask, rmask, hs, cs, saved, aux, dhs, dcs, dxw, du, drbias, dh0, dc0);
  else
    backward_t<double>(s, u, h0, c0, mask, rmask, hs, cs, saved, aux, dhs, dcs, dxw, du, drbias, dh0, dc0);
}

}  // namespace cpu
}  // namespace tapeflow
