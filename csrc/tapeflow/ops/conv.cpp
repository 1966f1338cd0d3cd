// Convolution and pooling over NHWC tensors. conv2d lowers to im2col + matmul, so its
// gradients come from the tape (matmul's, then col2im as im2col's gradient).
#include <cstdint>
#include <limits>
#include <string>

#include "tapeflow/cpu/kernels.h"
#include "tapeflow/ops/common.h"

namespace tapeflow {
namespace ops {
namespace {

// The window of an NHWC input of shape `in`. Every size, stride, dilation and padding is checked against int32's
// range (TensorFlow's attributes are int32) before any arithmetic, so none of the products below can overflow.
cpu::Window2D window(const char* op, const Shape& in, int64_t kh, int64_t kw, const std::vector<int64_t>& strides,
                     const std::vector<int64_t>& dilations, const std::vector<int64_t>& pads) {
  if (in.size() != 4)
    throw InvalidArgument(std::string("[") + op + "] expects a rank-4 NHWC input, got shape " + shape_str(in));
  if (strides.size() != 2 || dilations.size() != 2 || pads.size() != 4)
    throw InvalidArgument(std::string("[") + op + "] needs 2 strides, 2 dilations and 4 paddings");
  constexpr int64_t kMax = std::numeric_limits<int32_t>::max();
  auto check = [&](const char* what, int64_t v, int64_t least) {
    if (v < least || v > kMax)
      throw InvalidArgument(std::string("[") + op + "] " + what + " must be in [" + std::to_string(least) + ", " +
                            std::to_string(kMax) + "], got " + std::to_string(v));
  };
  check("the window size", kh, 1);
  check("the window size", kw, 1);
  for (int64_t v : strides) check("strides", v, 1);
  for (int64_t v : dilations) check("dilations", v, 1);
  for (int64_t v : pads) check("paddings", v, 0);
  if (kh * kw > kMax)
    throw InvalidArgument(std::string("[") + op + "] a window of " + std::to_string(kh) + "x" + std::to_string(kw) +
                          " has more than " + std::to_string(kMax) + " taps");
  cpu::Window2D w{in[0], in[1], in[2], in[3], kh, kw, 0, 0,
                  strides[0], strides[1], dilations[0], dilations[1], pads[0], pads[2]};
  const int64_t span_h = (kh - 1) * w.dh + 1, span_w = (kw - 1) * w.dw + 1;
  const int64_t ph = w.H + pads[0] + pads[1], pw = w.W + pads[2] + pads[3];
  if (ph < span_h || pw < span_w)
    throw InvalidArgument(std::string("[") + op + "] the window (" + std::to_string(span_h) + "x" +
                          std::to_string(span_w) + " with dilation) is larger than the padded input (" +
                          std::to_string(ph) + "x" + std::to_string(pw) + ")");
  w.OH = (ph - span_h) / w.sh + 1;
  w.OW = (pw - span_w) / w.sw + 1;
  return w;
}

cpu::Window2D window(const char* op, const Tensor& x, int64_t kh, int64_t kw, const std::vector<int64_t>& strides,
                     const std::vector<int64_t>& dilations, const std::vector<int64_t>& pads) {
  const OpDevice on_device(op, {&x});
  return window(op, x.shape(), kh, kw, strides, dilations, pads);
}

Tensor im2col(const Tensor& x, const cpu::Window2D& w);

Tensor col2im(const Tensor& cols, const cpu::Window2D& w) {
  Tensor dx = Tensor::zeros({w.N, w.H, w.W, w.C}, cols.dtype());
  const Tensor cc = cols.contiguous();
  if (cols.numel() > 0) TF_KERNEL(kern::col2im(cc, w, dx));
  TF_RECORD("col2im", {cols}, {dx}, [w](const Tensors&, const Tensors&, const Tensors& g) {
    return Tensors{im2col(g[0], w)};
  });
  return dx;
}

Tensor im2col(const Tensor& x, const cpu::Window2D& w) {
  Tensor cols = Tensor::empty({w.N * w.OH * w.OW, w.KH * w.KW * w.C}, x.dtype());
  const Tensor xc = x.contiguous();
  if (cols.numel() > 0) TF_KERNEL(kern::im2col(xc, w, cols));
  TF_RECORD("im2col", {x}, {cols}, [w](const Tensors&, const Tensors&, const Tensors& g) {
    return Tensors{col2im(g[0], w)};
  });
  return cols;
}

bool is_pointwise(const cpu::Window2D& w) {
  return w.KH == 1 && w.KW == 1 && w.sh == 1 && w.sw == 1 && w.pt == 0 && w.pl == 0 && w.OH == w.H && w.OW == w.W;
}

}  // namespace

Tensor conv2d(const Tensor& x, const Tensor& filters, const std::vector<int64_t>& strides,
              const std::vector<int64_t>& dilations, const std::vector<int64_t>& pads, int64_t groups) {
  check_floating("conv2d", x);
  check_same_dtype("conv2d", x, filters);
  if (filters.ndim() != 4)
    throw InvalidArgument("[conv2d] filters must have rank 4 (height, width, in_channels / groups, out_channels), "
                          "got shape " + shape_str(filters.shape()));
  if (x.dtype() == DType::Float16) return f16(conv2d(f32(x), f32(filters), strides, dilations, pads, groups));
  const cpu::Window2D probe = window("conv2d", x, filters.dim(0), filters.dim(1), strides, dilations, pads);
  const int64_t C = x.dim(3), F = filters.dim(3);
  if (groups < 1 || C % groups != 0 || F % groups != 0 || filters.dim(2) * groups != C)
    throw InvalidArgument("[conv2d] input depth " + std::to_string(C) + " and filters " + shape_str(filters.shape()) +
                          " do not match groups=" + std::to_string(groups) +
                          " (need in_channels = filters.shape[2] * groups, both divisible by groups)");
  const int64_t Cg = C / groups, Fg = F / groups;
  std::vector<Tensor> outs;
  for (int64_t g = 0; g < groups; ++g) {
    Tensor xg = groups == 1 ? x : slice(x, {0, 0, 0, g * Cg}, {-1, -1, -1, Cg});
    Tensor fg = groups == 1 ? filters : slice(filters, {0, 0, 0, g * Fg}, {-1, -1, -1, Fg});
    cpu::Window2D w = probe;
    w.C = Cg;
    Tensor cols = is_pointwise(w) ? reshape(xg, {w.N * w.H * w.W, Cg}) : im2col(xg, w);
    outs.push_back(reshape(matmul(cols, reshape(fg, {w.KH * w.KW * Cg, Fg}), false, false),
                           {w.N, w.OH, w.OW, Fg}));
  }
  return groups == 1 ? outs[0] : concat(outs, 3);
}

Tensor conv2d_transpose(const Tensor& x, const Tensor& filters, const std::vector<int64_t>& output_hw,
                        const std::vector<int64_t>& strides, const std::vector<int64_t>& dilations,
                        const std::vector<int64_t>& pads) {
  check_floating("conv2d_transpose", x);
  check_same_dtype("conv2d_transpose", x, filters);
  if (filters.ndim() != 4 || x.ndim() != 4 || filters.dim(3) != x.dim(3))
    throw InvalidArgument("[conv2d_transpose] needs an NHWC input and filters (height, width, out_channels, "
                          "in_channels) whose last axis matches the input depth; got input " + shape_str(x.shape()) +
                          " and filters " + shape_str(filters.shape()));
  if (output_hw.size() != 2 || output_hw[0] < 0 || output_hw[1] < 0)
    throw InvalidArgument("[conv2d_transpose] needs a non-negative output height and width");
  if (x.dtype() == DType::Float16)
    return f16(conv2d_transpose(f32(x), f32(filters), output_hw, strides, dilations, pads));
  // The gradient of conv2d with respect to its input: the convolution that maps the output (N, OH, OW, Cout)
  // back to x's spatial size must be this window.
  const int64_t cout = filters.dim(2), cin = filters.dim(3);
  const OpDevice on_device("conv2d_transpose", {&x});
  cpu::Window2D w = window("conv2d_transpose", Shape{x.dim(0), output_hw[0], output_hw[1], cout}, filters.dim(0),
                           filters.dim(1), strides, dilations, pads);
  if (w.OH != x.dim(1) || w.OW != x.dim(2))
    throw InvalidArgument("[conv2d_transpose] an output of " + std::to_string(output_hw[0]) + "x" +
                          std::to_string(output_hw[1]) + " does not map back to the input's " +
                          std::to_string(x.dim(1)) + "x" + std::to_string(x.dim(2)) + " with these strides and pads");
  Tensor cols = matmul(reshape(x, {w.N * w.OH * w.OW, cin}), reshape(filters, {w.KH * w.KW * cout, cin}), false,
                       true);
  return col2im(cols, w);
}

namespace {

Tensor pool2d(bool is_max, const Tensor& x, const std::vector<int64_t>& ksize, const std::vector<int64_t>& strides,
              const std::vector<int64_t>& pads) {
  const char* name = is_max ? "max_pool2d" : "avg_pool2d";
  check_floating(name, x);
  if (ksize.size() != 2) throw InvalidArgument(std::string("[") + name + "] needs 2 window sizes");
  if (x.dtype() == DType::Float16) return f16(pool2d(is_max, f32(x), ksize, strides, pads));
  const cpu::Window2D w = window(name, x, ksize[0], ksize[1], strides, {1, 1}, pads);
  Tensor out = Tensor::empty({w.N, w.OH, w.OW, w.C}, x.dtype());
  // Max pooling keeps the window tap of each maximum for its gradient.
  Tensor arg = is_max ? Tensor::empty(out.shape(), DType::Int32) : Tensor();
  if (out.numel() > 0) {
    const Tensor xc = x.contiguous();
    if (is_max) TF_KERNEL(kern::max_pool2d(xc, w, out, arg));
    else TF_KERNEL(kern::avg_pool2d(xc, w, out));
  }
  TF_RECORD(name, {x}, {out}, [is_max, w, arg](const Tensors& in, const Tensors&, const Tensors& g) {
    Tensor dx = Tensor::zeros(in[0].shape(), g[0].dtype());
    if (g[0].numel() > 0) {
      const Tensor gc = g[0].contiguous();
      if (is_max) TF_KERNEL(kern::max_pool2d_grad(arg, gc, w, dx));
      else TF_KERNEL(kern::avg_pool2d_grad(gc, w, dx));
    }
    return Tensors{dx};
  });
  return out;
}

}  // namespace

Tensor max_pool2d(const Tensor& x, const std::vector<int64_t>& ksize, const std::vector<int64_t>& strides,
                  const std::vector<int64_t>& pads) {
  return pool2d(true, x, ksize, strides, pads);
}

Tensor avg_pool2d(const Tensor& x, const std::vector<int64_t>& ksize, const std::vector<int64_t>& strides,
                  const std::vector<int64_t>& pads) {
  return pool2d(false, x, ksize, strides, pads);
}

}  // namespace ops
}  // namespace tapeflow
