// Whole-sequence recurrent kernels (SimpleRNN, LSTM, GRU with reset_after) over
// batch-major tensors. The input projection x @ W + b of every time step is one
// GEMM done by the caller; here each step does one GEMM h @ U for all gates
// together, then the gate nonlinearities row by row. The backward pass walks
// the sequence in reverse with one GEMM dA_t @ U^T per step and forms dU with a
// single GEMM over all steps at the end.
//
// float32 activations use a vectorisable exp (Cody-Waite range reduction and a
// degree-6 polynomial, about 2 ulp); float64 uses the C library.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "tapeflow/core/threadpool.h"
#include "tapeflow/cpu/gemm.h"
#include "tapeflow/cpu/kernels.h"

namespace tapeflow {
namespace cpu {
namespace {

#define TF_SIMD_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))

inline float exp_f32(float x) {
  x = std::min(88.37f, std::max(-87.33f, x));
  const float n = __builtin_floorf(x * 1.44269504088896341f + 0.5f);
  float r = x - n * 0.693359375f;
  r = r + n * 2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r * r + r + 1.0f;
  int32_t bits = (static_cast<int32_t>(n) + 127) << 23;
  float scale;
  std::memcpy(&scale, &bits, sizeof scale);
  return p * scale;
}

TF_SIMD_CLONES void act_f32(RnnAct act, float* __restrict v, int64_t n) {
  switch (act) {
    case RnnAct::Linear: break;
    case RnnAct::Tanh:
      for (int64_t i = 0; i < n; ++i) {
        const float e = exp_f32(-2.0f * std::fabs(v[i]));
        const float t = (1.0f - e) / (1.0f + e);
        v[i] = v[i] < 0.0f ? -t : t;
      }
      break;
    case RnnAct::Sigmoid:
      for (int64_t i = 0; i < n; ++i) v[i] = 1.0f / (1.0f + exp_f32(-v[i]));
      break;
    case RnnAct::Relu:
      for (int64_t i = 0; i < n; ++i) v[i] = v[i] < 0.0f ? 0.0f : v[i];
      break;
    case RnnAct::HardSigmoid:
      for (int64_t i = 0; i < n; ++i) v[i] = std::min(1.0f, std::max(0.0f, v[i] / 6.0f + 0.5f));
      break;
  }
}

void act_apply(RnnAct act, float* v, int64_t n) { act_f32(act, v, n); }

void act_apply(RnnAct act, double* v, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    switch (act) {
      case RnnAct::Linear: break;
      case RnnAct::Tanh: v[i] = std::tanh(v[i]); break;
      case RnnAct::Sigmoid: v[i] = 1.0 / (1.0 + std::exp(-v[i])); break;
      case RnnAct::Relu: v[i] = v[i] < 0.0 ? 0.0 : v[i]; break;
      case RnnAct::HardSigmoid: v[i] = std::min(1.0, std::max(0.0, v[i] / 6.0 + 0.5)); break;
    }
  }
}

// The derivative of an activation from its output y.
template <class T>
inline T act_grad(RnnAct act, T y) {
  switch (act) {
    case RnnAct::Linear: return T(1);
    case RnnAct::Tanh: return T(1) - y * y;
    case RnnAct::Sigmoid: return y * (T(1) - y);
    case RnnAct::Relu: return y > T(0) ? T(1) : T(0);
    case RnnAct::HardSigmoid: return y > T(0) && y < T(1) ? T(1) / T(6) : T(0);
  }
  return T(1);
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

// Rows per task: the per-row work is a few passes over G*H values.
int64_t row_grain(int64_t gh) { return std::max<int64_t>(1, 8192 / std::max<int64_t>(1, gh)); }

template <class T>
const T* ptr_or_null(const Tensor& t) { return t.defined() ? t.data<T>() : nullptr; }

template <class T>
void forward_t(const RnnSpec& s, const Tensor& xw_t, const Tensor& u_t, const Tensor& rbias_t, const Tensor& h0_t,
               const Tensor& c0_t, const Tensor& mask_t, const Tensor& rmask_t, const Tensor& hs_t,
               const Tensor& cs_t, const Tensor& saved_t, const Tensor& ah_t) {
  const int64_t B = s.B, T_ = s.T, H = s.H, G = gates(s.cell), GH = G * H;
  const T* xw = xw_t.data<T>();
  const T* u = u_t.data<T>();
  const T* rbias = ptr_or_null<T>(rbias_t);
  const T* mask = ptr_or_null<T>(mask_t);
  const T* rmask = ptr_or_null<T>(rmask_t);
  T* hs = hs_t.data<T>();
  T* cs = s.cell == RnnCell::LSTM ? cs_t.data<T>() : nullptr;
  T* saved = saved_t.data<T>();
  T* ahs = s.cell == RnnCell::GRU ? ah_t.data<T>() : nullptr;
  std::vector<T> hp(h0_t.data<T>(), h0_t.data<T>() + B * H);  // h_{t-1}
  std::vector<T> cp;
  if (cs) cp.assign(c0_t.data<T>(), c0_t.data<T>() + B * H);
  std::vector<T> hin(B * H), a(B * GH);
  for (int64_t t = 0; t < T_; ++t) {
    const T* hsrc = hp.data();
    if (rmask) {
      for (int64_t i = 0; i < B * H; ++i) hin[i] = hp[i] * rmask[i];
      hsrc = hin.data();
    }
    if (H > 0) gemm(B, GH, H, hsrc, H, 1, u, GH, 1, a.data(), GH, false);
    else std::fill(a.begin(), a.end(), T(0));
    parallel_for(B, row_grain(GH), [&](int64_t lo, int64_t hi) {
      std::vector<T> tmp(H);
      for (int64_t b = lo; b < hi; ++b) {
        const int64_t row = b * T_ + t;
        T* h = hs + row * H;
        T* g = saved + row * GH;
        T* hprev = hp.data() + b * H;
        if (mask && mask[row] == T(0)) {  // a masked step carries the states over
          std::copy(hprev, hprev + H, h);
          if (cs) std::copy(cp.data() + b * H, cp.data() + (b + 1) * H, cs + row * H);
          std::fill(g, g + GH, T(0));
          if (ahs) std::fill(ahs + row * H, ahs + (row + 1) * H, T(0));
          continue;
        }
        const T* x = xw + row * GH;
        const T* ar = a.data() + b * GH;
        switch (s.cell) {
          case RnnCell::SimpleRNN:
            for (int64_t i = 0; i < H; ++i) g[i] = x[i] + ar[i];
            act_apply(s.act, g, H);
            std::copy(g, g + H, h);
            break;
          case RnnCell::LSTM: {  // gates i, f, c, o
            for (int64_t i = 0; i < GH; ++i) g[i] = x[i] + ar[i];
            act_apply(s.rec_act, g, 2 * H);
            act_apply(s.act, g + 2 * H, H);
            act_apply(s.rec_act, g + 3 * H, H);
            T* c = cs + row * H;
            const T* cprev = cp.data() + b * H;
            for (int64_t i = 0; i < H; ++i) c[i] = g[H + i] * cprev[i] + g[i] * g[2 * H + i];
            std::copy(c, c + H, tmp.data());
            act_apply(s.act, tmp.data(), H);
            for (int64_t i = 0; i < H; ++i) h[i] = g[3 * H + i] * tmp[i];
            break;
          }
          case RnnCell::GRU: {  // gates z, r, h~ with the reset gate applied after the recurrent GEMM
            T* ah = ahs + row * H;
            for (int64_t i = 0; i < 2 * H; ++i) g[i] = x[i] + ar[i] + (rbias ? rbias[i] : T(0));
            for (int64_t i = 0; i < H; ++i) ah[i] = ar[2 * H + i] + (rbias ? rbias[2 * H + i] : T(0));
            act_apply(s.rec_act, g, 2 * H);
            for (int64_t i = 0; i < H; ++i) g[2 * H + i] = x[2 * H + i] + g[H + i] * ah[i];
            act_apply(s.act, g + 2 * H, H);
            for (int64_t i = 0; i < H; ++i) h[i] = g[i] * hprev[i] + (T(1) - g[i]) * g[2 * H + i];
            break;
          }
        }
      }
    });
    for (int64_t b = 0; b < B; ++b) {
      const int64_t row = b * T_ + t;
      std::copy(hs + row * H, hs + (row + 1) * H, hp.data() + b * H);
      if (cs) std::copy(cs + row * H, cs + (row + 1) * H, cp.data() + b * H);
    }
  }
}

template <class T>
void backward_t(const RnnSpec& s, const Tensor& u_t, const Tensor& h0_t, const Tensor& c0_t, const Tensor& mask_t,
                const Tensor& rmask_t, const Tensor& hs_t, const Tensor& cs_t, const Tensor& saved_t,
                const Tensor& ah_t, const Tensor& dhs_t, const Tensor& dcs_t, const Tensor& dxw_t, const Tensor& du_t,
                const Tensor& drbias_t, const Tensor& dh0_t, const Tensor& dc0_t) {
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
  const T* ahs = gru ? ah_t.data<T>() : nullptr;
  const T* dhs = dhs_t.data<T>();
  const T* dcs = lstm ? dcs_t.data<T>() : nullptr;
  T* dxw = dxw_t.data<T>();
  // The gradient of the recurrent pre-activations h @ U (+ rbias): dxw, except GRU's candidate part, scaled by r.
  std::vector<T> da_store(gru ? B * T_ * GH : 0);
  T* da = gru ? da_store.data() : dxw;
  std::vector<T> dh(B * H, T(0)), dc(lstm ? B * H : 0, T(0)), dhr(B * H), tmp_all(B * H);
  for (int64_t t = T_; t-- > 0;) {
    parallel_for(B, row_grain(GH), [&](int64_t lo, int64_t hi) {
      for (int64_t b = lo; b < hi; ++b) {
        const int64_t row = b * T_ + t;
        T* dhb = dh.data() + b * H;  // in: the gradient reaching h_t from later steps; out: the direct part for h_{t-1}
        const T* dho = dhs + row * H;
        for (int64_t i = 0; i < H; ++i) dhb[i] += dho[i];
        T* dcb = lstm ? dc.data() + b * H : nullptr;
        if (lstm) {
          const T* dco = dcs + row * H;
          for (int64_t i = 0; i < H; ++i) dcb[i] += dco[i];
        }
        T* dg = dxw + row * GH;
        T* dar = da + row * GH;
        if (mask && mask[row] == T(0)) {  // the states passed through unchanged
          std::fill(dg, dg + GH, T(0));
          if (gru) std::fill(dar, dar + GH, T(0));
          continue;
        }
        const T* g = saved + row * GH;
        const T* hprev = t > 0 ? hs + (row - 1) * H : h0 + b * H;
        switch (s.cell) {
          case RnnCell::SimpleRNN:
            for (int64_t i = 0; i < H; ++i) { dg[i] = dhb[i] * act_grad(s.act, g[i]); dhb[i] = T(0); }
            break;
          case RnnCell::LSTM: {
            const T* c = cs + row * H;
            const T* cprev = t > 0 ? cs + (row - 1) * H : c0 + b * H;
            T* tc = tmp_all.data() + b * H;
            std::copy(c, c + H, tc);
            act_apply(s.act, tc, H);
            for (int64_t i = 0; i < H; ++i) {
              const T gi = g[i], gf = g[H + i], gc = g[2 * H + i], go = g[3 * H + i];
              const T dcell = dcb[i] + dhb[i] * go * act_grad(s.act, tc[i]);
              dg[3 * H + i] = dhb[i] * tc[i] * act_grad(s.rec_act, go);
              dg[i] = dcell * gc * act_grad(s.rec_act, gi);
              dg[H + i] = dcell * cprev[i] * act_grad(s.rec_act, gf);
              dg[2 * H + i] = dcell * gi * act_grad(s.act, gc);
              dcb[i] = dcell * gf;
              dhb[i] = T(0);
            }
            break;
          }
          case RnnCell::GRU: {
            const T* ah = ahs + row * H;
            for (int64_t i = 0; i < H; ++i) {
              const T z = g[i], r = g[H + i], hh = g[2 * H + i];
              const T dpre = dhb[i] * (T(1) - z) * act_grad(s.act, hh);
              const T dz = dhb[i] * (hprev[i] - hh) * act_grad(s.rec_act, z);
              const T dr = dpre * ah[i] * act_grad(s.rec_act, r);
              dg[i] = dz; dg[H + i] = dr; dg[2 * H + i] = dpre;
              dar[i] = dz; dar[H + i] = dr; dar[2 * H + i] = dpre * r;
              dhb[i] *= z;
            }
            break;
          }
        }
      }
    });
    // dh_{t-1} = direct part + (dA_t @ U^T) * rmask
    if (H > 0) gemm(B, H, GH, da + t * GH, T_ * GH, 1, u, 1, GH, dhr.data(), H, false);
    for (int64_t i = 0; i < B * H; ++i) dh[i] += rmask ? dhr[i] * rmask[i] : dhr[i];
  }
  std::copy(dh.begin(), dh.end(), dh0_t.data<T>());
  if (lstm) std::copy(dc.begin(), dc.end(), dc0_t.data<T>());
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
  if (gru && drbias_t.defined()) {  // column sums of dA, as a GEMM with a row of ones
    std::vector<T> ones(B * T_, T(1));
    T* db = drbias_t.data<T>();
    if (B * T_ > 0) gemm(1, GH, B * T_, ones.data(), B * T_, 1, da, GH, 1, db, GH, false);
    else std::fill(db, db + GH, T(0));
  }
}

}  // namespace

void rnn_forward(const RnnSpec& s, const Tensor& xw, const Tensor& u, const Tensor& rbias, const Tensor& h0,
                 const Tensor& c0, const Tensor& mask, const Tensor& rmask, const Tensor& hs, const Tensor& cs,
                 const Tensor& saved, const Tensor& ah) {
  if (xw.dtype() == DType::Float32) forward_t<float>(s, xw, u, rbias, h0, c0, mask, rmask, hs, cs, saved, ah);
  else forward_t<double>(s, xw, u, rbias, h0, c0, mask, rmask, hs, cs, saved, ah);
}

void rnn_backward(const RnnSpec& s, const Tensor& u, const Tensor& h0, const Tensor& c0, const Tensor& mask,
                  const Tensor& rmask, const Tensor& hs, const Tensor& cs, const Tensor& saved, const Tensor& ah,
                  const Tensor& dhs, const Tensor& dcs, const Tensor& dxw, const Tensor& du, const Tensor& drbias,
                  const Tensor& dh0, const Tensor& dc0) {
  if (u.dtype() == DType::Float32)
    backward_t<float>(s, u, h0, c0, mask, rmask, hs, cs, saved, ah, dhs, dcs, dxw, du, drbias, dh0, dc0);
  else
    backward_t<double>(s, u, h0, c0, mask, rmask, hs, cs, saved, ah, dhs, dcs, dxw, du, drbias, dh0, dc0);
}

}  // namespace cpu
}  // namespace tapeflow
