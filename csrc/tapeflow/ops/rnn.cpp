// The whole-sequence recurrent op. Its gradient rule is the fused reverse-time
// kernel (cpu::rnn_backward), not a composition of public ops, so it has no
// second derivative: differentiating the rule raises Unimplemented.
#include <string>

#include "tapeflow/cpu/kernels.h"
#include "tapeflow/ops/common.h"

namespace tapeflow {
namespace ops {
namespace {

Tensor as_operand(const char* what, const Tensor& t, const Shape& shape, DType dtype) {
  if (!t.defined()) return t;
  if (t.shape() != shape)
    throw InvalidArgument(std::string("[rnn_sequence] ") + what + " must have shape " + shape_str(shape) + ", got " +
                          shape_str(t.shape()));
  const OpDevice on_device("rnn_sequence", {&t});
  return as_contiguous(t, dtype);
}

}  // namespace

std::vector<Tensor> rnn_sequence(cpu::RnnCell cell, cpu::Act act, cpu::Act rec_act, const Tensor& xw,
                                 const Tensor& u, const Tensor& rbias, const Tensor& h0, const Tensor& c0,
                                 const Tensor& mask, const Tensor& rmask) {
  check_floating("rnn_sequence", xw);
  const OpDevice on_device("rnn_sequence", {&xw});
  check_same_dtype("rnn_sequence", xw, u);
  const bool lstm = cell == cpu::RnnCell::LSTM, gru = cell == cpu::RnnCell::GRU;
  if (xw.dtype() == DType::Float16) {
    auto up = [](const Tensor& t) { return t.defined() && t.dtype() == DType::Float16 ? f32(t) : t; };
    std::vector<Tensor> r = rnn_sequence(cell, act, rec_act, f32(xw), f32(u), up(rbias), up(h0), up(c0), mask, rmask);
    for (Tensor& t : r) t = f16(t);
    return r;
  }
  const int64_t G = lstm ? 4 : gru ? 3 : 1;
  if (xw.ndim() != 3 || u.ndim() != 2 || u.dim(1) != G * u.dim(0) || xw.dim(2) != u.dim(1))
    throw InvalidArgument("[rnn_sequence] expects projected inputs (batch, time, " + std::to_string(G) +
                          " * units) and a recurrent kernel (units, " + std::to_string(G) + " * units); got " +
                          shape_str(xw.shape()) + " and " + shape_str(u.shape()));
  if (!h0.defined() || (lstm && !c0.defined()))
    throw InvalidArgument("[rnn_sequence] initial states are required");
  const int64_t B = xw.dim(0), T = xw.dim(1), H = u.dim(0);
  const DType dt = xw.dtype();
  const cpu::RnnSpec spec{cell, act, rec_act, B, T, H};
  Tensor x = xw.contiguous(), uc = u.contiguous();  // same dtype as xw (checked above)
  Tensor rb = as_operand("the recurrent bias", rbias, {G * H}, dt);
  Tensor h = as_operand("the initial state", h0, {B, H}, dt);
  Tensor c = lstm ? as_operand("the initial cell state", c0, {B, H}, dt) : Tensor();
  Tensor m = as_operand("the mask", mask, {B, T}, dt);
  Tensor rm = as_operand("the recurrent dropout mask", rmask, {B, H}, dt);

  Tensor hs = Tensor::empty({B, T, H}, dt);
  Tensor cs = lstm ? Tensor::empty({B, T, H}, dt) : Tensor();
  Tensor saved = Tensor::empty({B, T, G * H}, dt);
  Tensor aux = lstm || gru ? Tensor::empty({B, T, H}, dt) : Tensor();
  TF_KERNEL(kern::rnn_forward(spec, x, uc, rb, h, c, m, rm, hs, cs, saved, aux));

  std::vector<Tensor> outs = lstm ? std::vector<Tensor>{hs, cs} : std::vector<Tensor>{hs};
  TF_RECORD("rnn_sequence", (Tensors{xw, u, rbias, h0, c0}), outs,
            [spec, uc, rb, h, c, m, rm, hs, cs, saved, aux, lstm, gru](const Tensors&, const Tensors&, const Tensors& g) {
              const int64_t B = spec.B, T = spec.T, H = spec.H, GH = uc.dim(1);
              const DType dt = uc.dtype();
              Tensor dhs = as_contiguous(g[0], dt), dcs = lstm ? as_contiguous(g[1], dt) : Tensor();
              Tensor dxw = Tensor::empty({B, T, GH}, dt), du = Tensor::empty({H, GH}, dt);
              Tensor drb = rb.defined() ? Tensor::empty({GH}, dt) : Tensor();
              Tensor dh0 = Tensor::empty({B, H}, dt), dc0 = lstm ? Tensor::empty({B, H}, dt) : Tensor();
              TF_KERNEL(kern::rnn_backward(spec, uc, h, c, m, rm, hs, cs, saved, aux, dhs, dcs, dxw, du, drb, dh0, dc0));
              Tensors grads{dxw, du, drb, dh0, dc0};
              record_first_order_only("rnn_sequence", g, grads,
                                      "[rnn_sequence] second derivatives through the fused recurrent kernel are not "
                                      "supported; build the layer with unroll=True to differentiate its gradient");
              return grads;
            });
  return outs;
}

}  // namespace ops
}  // namespace tapeflow
