// Op bindings under TensorFlow's names and argument names. Tensor-like
// arguments (tensors, NumPy arrays, lists, scalars) are converted here; heavy
// ops release the GIL while the kernels run.
#include "tapeflow/bindings/bindings.h"
#include "tapeflow/bindings/convert.h"
#include "tapeflow/ops/common.h"

namespace tapeflow {
namespace {

using cpu::BinaryOp;
using cpu::ReduceOp;
using cpu::UnaryOp;
using namespace pybind11::literals;

constexpr int64_t kReleaseGilAbove = 1 << 16;

template <class F> auto nogil_if(bool big, F f) -> decltype(f()) {
  if (big) { py::gil_scoped_release release; return f(); }
  return f();
}

std::vector<Tensor> tensor_list(py::handle seq, const char* op) {
  if (py::isinstance<Tensor>(seq)) return ops::unstack(seq.cast<const Tensor&>(), 0);
  if (!py::isinstance<py::sequence>(seq)) throw TypeError(std::string("[") + op + "] expects a list of tensors");
  std::vector<Tensor> out;
  std::optional<DType> hint;
  for (py::handle h : seq)
    if (py::isinstance<Tensor>(h)) { hint = h.cast<const Tensor&>().dtype(); break; }
  for (py::handle h : seq) out.push_back(to_tensor(h, hint));
  return out;
}

int64_t axis_int(py::handle axis, int64_t dflt) {
  if (axis.is_none()) return dflt;
  if (PyBool_Check(axis.ptr()) || !PyIndex_Check(axis.ptr()))
    throw TypeError("axis must be an int, got " + std::string(py::repr(axis)));
  return index_int64(axis, "axis", false);
}

double scalar_value(py::handle v, double dflt) {
  if (v.is_none()) return dflt;
  if (py::isinstance<Tensor>(v)) return v.cast<const Tensor&>().item();
  return v.cast<double>();
}

}  // namespace

void init_ops(py::module_& m) {
  auto none = py::none();
  // ---- conversion and creation
  m.def("convert_to_tensor", [](py::handle value, py::handle dtype, py::handle dtype_hint, py::handle) {
    auto d = parse_dtype(dtype);
    if (d) return to_tensor(value, d, true);
    return to_tensor(value, parse_dtype(dtype_hint), false);
  }, "value"_a, "dtype"_a = none, "dtype_hint"_a = none, "name"_a = none);
  m.def("zeros", [](py::handle shape, py::handle dtype, py::handle) { return ops::zeros(parse_shape(shape), parse_dtype(dtype).value_or(DType::Float32)); },
        "shape"_a, "dtype"_a = none, "name"_a = none);
  m.def("ones", [](py::handle shape, py::handle dtype, py::handle) { return ops::ones(parse_shape(shape), parse_dtype(dtype).value_or(DType::Float32)); },
        "shape"_a, "dtype"_a = none, "name"_a = none);
  m.def("fill", [](py::handle dims, py::handle value, py::handle) {
    Tensor v = to_tensor(value);
    if (v.ndim() != 0) throw InvalidArgument("[fill] value must be a scalar, got shape " + shape_str(v.shape()));
    return ops::broadcast_to(v, parse_shape(dims)).contiguous();
  }, "dims"_a, "value"_a, "name"_a = none);
  m.def("zeros_like", [](py::handle x, py::handle dtype, py::handle) {
    Tensor t = to_tensor(x);
    return ops::zeros(t.shape(), parse_dtype(dtype).value_or(t.dtype()));
  }, "input"_a, "dtype"_a = none, "name"_a = none);
  m.def("ones_like", [](py::handle x, py::handle dtype, py::handle) {
    Tensor t = to_tensor(x);
    return ops::ones(t.shape(), parse_dtype(dtype).value_or(t.dtype()));
  }, "input"_a, "dtype"_a = none, "name"_a = none);
  m.def("eye", [](int64_t rows, py::handle cols, py::handle batch_shape, py::handle dtype, py::handle) {
    Tensor e = ops::eye(rows, cols.is_none() ? rows : cols.cast<int64_t>(), parse_dtype(dtype).value_or(DType::Float32));
    if (batch_shape.is_none()) return e;
    Shape s = parse_shape(batch_shape);
    s.push_back(e.dim(0));
    s.push_back(e.dim(1));
    return ops::broadcast_to(e, s).contiguous();
  }, "num_rows"_a, "num_columns"_a = none, "batch_shape"_a = none, "dtype"_a = none, "name"_a = none);
  m.def("range", [](py::handle start, py::handle limit, py::handle delta, py::handle dtype, py::handle) {
    py::handle s = start, l = limit;
    if (limit.is_none()) { l = start; s = py::int_(0); }
    auto is_float = [](py::handle h) {
      if (py::isinstance<py::float_>(h)) return true;
      if (py::isinstance<Tensor>(h)) return is_floating(h.cast<const Tensor&>().dtype());
      return false;
    };
    DType d = parse_dtype(dtype).value_or(is_float(s) || is_float(l) || is_float(delta) ? DType::Float32 : DType::Int32);
    return ops::range(scalar_value(s, 0), scalar_value(l, 0), scalar_value(delta, 1), d);
  }, "start"_a, "limit"_a = none, "delta"_a = 1, "dtype"_a = none, "name"_a = none);
  m.def("linspace", [](py::handle start, py::handle stop, int64_t num, py::handle, py::handle) {
    Tensor s = to_tensor(start);
    DType d = is_floating(s.dtype()) ? s.dtype() : DType::Float32;
    return ops::linspace(scalar_value(start, 0), scalar_value(stop, 0), num, d);
  }, "start"_a, "stop"_a, "num"_a, "name"_a = none, "axis"_a = 0);

  // ---- unary
#define TF_UNARY(pyname, expr, argname)                                                       \
  m.def(pyname, [](py::handle x, py::handle) {                                                           \
    Tensor t = to_tensor(x);                                                                  \
    return nogil_if(t.numel() > kReleaseGilAbove, [&] { return expr; });                      \
  }, argname##_a, "name"_a = none)
  TF_UNARY("negative", ops::negative(t), "x");
  TF_UNARY("abs", ops::abs(t), "x");
  TF_UNARY("sign", ops::sign(t), "x");
  TF_UNARY("sqrt", ops::sqrt(t), "x");
  TF_UNARY("rsqrt", ops::rsqrt(t), "x");
  TF_UNARY("exp", ops::exp(t), "x");
  TF_UNARY("log", ops::log(t), "x");
  TF_UNARY("log1p", ops::log1p(t), "x");
  TF_UNARY("expm1", ops::expm1(t), "x");
  TF_UNARY("square", ops::square(t), "x");
  TF_UNARY("tanh", ops::tanh(t), "x");
  TF_UNARY("sigmoid", ops::sigmoid(t), "x");
  TF_UNARY("relu", ops::relu(t), "features");
  TF_UNARY("relu6", ops::relu6(t), "features");
  TF_UNARY("selu", ops::selu(t), "features");
  TF_UNARY("softsign", ops::softsign(t), "features");
  TF_UNARY("softplus", ops::softplus(t), "features");
  TF_UNARY("erf", ops::erf(t), "x");
  TF_UNARY("sin", ops::sin(t), "x");
  TF_UNARY("cos", ops::cos(t), "x");
  TF_UNARY("reciprocal", ops::reciprocal(t), "x");
  TF_UNARY("floor", ops::unary(UnaryOp::Floor, t), "x");
  TF_UNARY("ceil", ops::unary(UnaryOp::Ceil, t), "x");
  TF_UNARY("round", ops::unary(UnaryOp::Round, t), "x");
  TF_UNARY("logical_not", ops::logical_not(t), "x");
  TF_UNARY("is_nan", ops::unary(UnaryOp::IsNan, t), "x");
  TF_UNARY("is_inf", ops::unary(UnaryOp::IsInf, t), "x");
  TF_UNARY("is_finite", ops::unary(UnaryOp::IsFinite, t), "x");
  TF_UNARY("identity", ops::identity(t), "input");
  TF_UNARY("stop_gradient", ops::stop_gradient(t), "input");
#undef TF_UNARY
  m.def("swish", [](py::handle x, double beta, py::handle) {
    Tensor t = to_tensor(x);
    if (beta == 1.0) return ops::swish(t);
    return ops::multiply(t, ops::sigmoid(ops::multiply(t, ops::scalar_like(beta, t))));
  }, "features"_a, "beta"_a = 1.0, "name"_a = none);
  m.def("leaky_relu", [](py::handle x, double alpha, py::handle) { return ops::leaky_relu(to_tensor(x), alpha); },
        "features"_a, "alpha"_a = 0.2, "name"_a = none);
  m.def("elu", [](py::handle x, double alpha, py::handle) { return ops::elu(to_tensor(x), alpha); }, "features"_a, "alpha"_a = 1.0, "name"_a = none);
  m.def("gelu", [](py::handle x, bool approximate, py::handle) { return ops::gelu(to_tensor(x), approximate); },
        "features"_a, "approximate"_a = false, "name"_a = none);

  // ---- binary
#define TF_BINARY(pyname, expr)                                                                  \
  m.def(pyname, [](py::handle x, py::handle y, py::handle) {                                                 \
    auto ab = binary_operands(x, y);                                                             \
    const Tensor &a = ab.first, &b = ab.second;                                                  \
    return nogil_if(std::max(a.numel(), b.numel()) > kReleaseGilAbove, [&] { return expr; });    \
  }, "x"_a, "y"_a, "name"_a = none)
  TF_BINARY("add", ops::add(a, b));
  TF_BINARY("subtract", ops::subtract(a, b));
  TF_BINARY("multiply", ops::multiply(a, b));
  TF_BINARY("divide", truediv(a, b));
  TF_BINARY("truediv", truediv(a, b));
  TF_BINARY("floordiv", ops::floordiv(a, b));
  TF_BINARY("floormod", ops::floormod(a, b));
  TF_BINARY("pow", ops::pow(a, b));
  TF_BINARY("maximum", ops::maximum(a, b));
  TF_BINARY("minimum", ops::minimum(a, b));
  TF_BINARY("squared_difference", ops::squared_difference(a, b));
  TF_BINARY("equal", ops::compare(BinaryOp::Eq, a, b));
  TF_BINARY("not_equal", ops::compare(BinaryOp::Ne, a, b));
  TF_BINARY("less", ops::compare(BinaryOp::Lt, a, b));
  TF_BINARY("less_equal", ops::compare(BinaryOp::Le, a, b));
  TF_BINARY("greater", ops::compare(BinaryOp::Gt, a, b));
  TF_BINARY("greater_equal", ops::compare(BinaryOp::Ge, a, b));
  TF_BINARY("logical_and", ops::logical(BinaryOp::And, a, b));
  TF_BINARY("logical_or", ops::logical(BinaryOp::Or, a, b));
  TF_BINARY("logical_xor", ops::logical(BinaryOp::Xor, a, b));
#undef TF_BINARY
  m.def("where", [](py::handle cond, py::handle x, py::handle y, py::handle) -> py::object {
    Tensor c = to_tensor(cond);
    if (x.is_none() && y.is_none()) {  // coordinates of true elements, int64 (N, rank)
      py::object nz = numpy_module().attr("argwhere")(to_numpy(c, false));
      return py::cast(to_tensor(nz, DType::Int64, true));
    }
    if (x.is_none() || y.is_none()) throw ValueError("[where] x and y must both be given or both be None");
    auto xy = binary_operands(x, y);
    return py::cast(ops::where(c, xy.first, xy.second));
  }, "condition"_a, "x"_a = none, "y"_a = none, "name"_a = none);
  m.def("cast", [](py::handle x, py::handle dtype, py::handle) { return ops::cast(to_tensor(x), parse_dtype_required(dtype)); },
        "x"_a, "dtype"_a, "name"_a = none);
  m.def("clip_by_value", [](py::handle t, py::handle lo, py::handle hi, py::handle) {
    Tensor x = to_tensor(t);
    return ops::clip_by_value(x, to_tensor(lo, x.dtype()), to_tensor(hi, x.dtype()));
  }, "t"_a, "clip_value_min"_a, "clip_value_max"_a, "name"_a = none);

  // ---- reductions
#define TF_REDUCE(pyname, expr)                                                                   \
  m.def(pyname, [](py::handle x, py::handle axis, bool keepdims, py::handle) {                                \
    Tensor t = to_tensor(x);                                                                      \
    ops::Axes ax = parse_axes(axis);                                                              \
    return nogil_if(t.numel() > kReleaseGilAbove, [&] { return expr; });                          \
  }, "input_tensor"_a, "axis"_a = none, "keepdims"_a = false, "name"_a = none)
  TF_REDUCE("reduce_sum", ops::reduce_sum(t, ax, keepdims));
  TF_REDUCE("reduce_prod", ops::reduce(ReduceOp::Prod, t, ax, keepdims));
  TF_REDUCE("reduce_max", ops::reduce(ReduceOp::Max, t, ax, keepdims));
  TF_REDUCE("reduce_min", ops::reduce(ReduceOp::Min, t, ax, keepdims));
  TF_REDUCE("reduce_any", ops::reduce(ReduceOp::Any, t, ax, keepdims));
  TF_REDUCE("reduce_all", ops::reduce(ReduceOp::All, t, ax, keepdims));
  TF_REDUCE("reduce_mean", ops::reduce_mean(t, ax, keepdims));
  TF_REDUCE("reduce_variance", ops::reduce_variance(t, ax, keepdims));
  TF_REDUCE("reduce_std", ops::reduce_std(t, ax, keepdims));
  TF_REDUCE("reduce_logsumexp", ops::reduce_logsumexp(t, ax, keepdims));
#undef TF_REDUCE
  m.def("argmax", [](py::handle x, py::handle axis, py::handle out, py::handle) {
    return ops::arg_reduce(to_tensor(x), axis_int(axis, 0), true, parse_dtype(out).value_or(DType::Int64));
  }, "input"_a, "axis"_a = none, "output_type"_a = none, "name"_a = none);
  m.def("_argsort", [](py::handle x, int64_t axis, bool descending) {
    return ops::argsort(to_tensor(x), axis, descending);
  }, "values"_a, "axis"_a = -1, "descending"_a = false);
  m.def("argmin", [](py::handle x, py::handle axis, py::handle out, py::handle) {
    return ops::arg_reduce(to_tensor(x), axis_int(axis, 0), false, parse_dtype(out).value_or(DType::Int64));
  }, "input"_a, "axis"_a = none, "output_type"_a = none, "name"_a = none);
  m.def("cumsum", [](py::handle x, py::handle axis, bool exclusive, bool reverse, py::handle) {
    return ops::cumsum(to_tensor(x), axis_int(axis, 0), exclusive, reverse);
  }, "x"_a, "axis"_a = 0, "exclusive"_a = false, "reverse"_a = false, "name"_a = none);
  m.def("cumprod", [](py::handle x, py::handle axis, bool exclusive, bool reverse, py::handle) {
    return ops::cumprod(to_tensor(x), axis_int(axis, 0), exclusive, reverse);
  }, "x"_a, "axis"_a = 0, "exclusive"_a = false, "reverse"_a = false, "name"_a = none);
  m.def("softmax", [](py::handle x, py::handle axis, py::handle) { return ops::softmax(to_tensor(x), axis_int(axis, -1)); },
        "logits"_a, "axis"_a = none, "name"_a = none);
  m.def("log_softmax", [](py::handle x, py::handle axis, py::handle) { return ops::log_softmax(to_tensor(x), axis_int(axis, -1)); },
        "logits"_a, "axis"_a = none, "name"_a = none);
  m.def("sigmoid_cross_entropy_with_logits", [](py::handle labels, py::handle logits, py::handle) {
    if (labels.is_none() || logits.is_none()) throw ValueError("[sigmoid_cross_entropy_with_logits] both labels and logits must be provided");
    Tensor z = to_tensor(logits);
    return ops::sigmoid_cross_entropy_with_logits(to_tensor(labels, z.dtype()), z);
  }, "labels"_a = none, "logits"_a = none, "name"_a = none);
  m.def("softmax_cross_entropy_with_logits", [](py::handle labels, py::handle logits, int64_t axis, py::handle) {
    Tensor z = to_tensor(logits);
    return ops::softmax_cross_entropy_with_logits(to_tensor(labels, z.dtype()), z, axis);
  }, "labels"_a, "logits"_a, "axis"_a = -1, "name"_a = none);
  m.def("_class_ids", [](py::handle labels) { return ops::class_ids(to_tensor(labels)); });
  m.def("sparse_softmax_cross_entropy_with_logits", [](py::handle labels, py::handle logits, py::handle) {
    return ops::sparse_softmax_cross_entropy_with_logits(to_tensor(labels), to_tensor(logits));
  }, "labels"_a, "logits"_a, "name"_a = none);

  // ---- linear algebra
  // NHWC convolution and pooling with explicit paddings (top, bottom, left, right); tapeflow.nn computes
  // TF's "SAME" / "VALID" paddings and handles data formats.
  m.def("_conv2d", [](py::handle x, py::handle filters, std::vector<int64_t> strides, std::vector<int64_t> dilations,
                      std::vector<int64_t> pads, int64_t groups) {
    Tensor t = to_tensor(x);
    Tensor f = to_tensor(filters, t.dtype());
    return nogil_if(true, [&] { return ops::conv2d(t, f, strides, dilations, pads, groups); });
  }, "input"_a, "filters"_a, "strides"_a, "dilations"_a, "pads"_a, "groups"_a = 1);
  m.def("_conv2d_transpose", [](py::handle x, py::handle filters, std::vector<int64_t> output_hw,
                                std::vector<int64_t> strides, std::vector<int64_t> dilations, std::vector<int64_t> pads) {
    Tensor t = to_tensor(x);
    Tensor f = to_tensor(filters, t.dtype());
    return nogil_if(true, [&] { return ops::conv2d_transpose(t, f, output_hw, strides, dilations, pads); });
  }, "input"_a, "filters"_a, "output_hw"_a, "strides"_a, "dilations"_a, "pads"_a);
  m.def("_max_pool2d", [](py::handle x, std::vector<int64_t> ksize, std::vector<int64_t> strides,
                          std::vector<int64_t> pads) {
    Tensor t = to_tensor(x);
    return nogil_if(true, [&] { return ops::max_pool2d(t, ksize, strides, pads); });
  }, "input"_a, "ksize"_a, "strides"_a, "pads"_a);
  m.def("_avg_pool2d", [](py::handle x, std::vector<int64_t> ksize, std::vector<int64_t> strides,
                          std::vector<int64_t> pads) {
    Tensor t = to_tensor(x);
    return nogil_if(true, [&] { return ops::avg_pool2d(t, ksize, strides, pads); });
  }, "input"_a, "ksize"_a, "strides"_a, "pads"_a);
  m.def("_batch_norm", [](py::handle x, py::handle gamma, py::handle beta, int64_t axis, double epsilon) {
    Tensor t = to_tensor(x);
    Tensor g = gamma.is_none() ? Tensor() : to_tensor(gamma, t.dtype());
    Tensor b = beta.is_none() ? Tensor() : to_tensor(beta, t.dtype());
    return nogil_if(true, [&] { return ops::batch_norm(t, g, b, axis, epsilon); });
  }, "x"_a, "gamma"_a, "beta"_a, "axis"_a, "epsilon"_a);
  // Recurrent layers over a whole sequence (cells and activations: _core.RnnCell and _core.Act, up to
  // hard_sigmoid). Optional operands may be None. Returns a list: [hs] or [hs, cs].
  m.def("_rnn_sequence", [](cpu::RnnCell cell, cpu::Act act, cpu::Act rec_act, py::handle xw, py::handle u,
                            py::handle rbias, py::handle h0, py::handle c0, py::handle mask, py::handle rmask) {
    auto bad_act = [](cpu::Act a) { return a < cpu::Act::Linear || a > cpu::Act::HardSigmoid; };
    if (cell < cpu::RnnCell::SimpleRNN || cell > cpu::RnnCell::GRU || bad_act(act) || bad_act(rec_act))
      throw ValueError("[rnn_sequence] unknown cell or activation code");
    Tensor x = to_tensor(xw);
    auto opt = [&](py::handle h) { return h.is_none() ? Tensor() : to_tensor(h, x.dtype()); };
    Tensor uu = to_tensor(u, x.dtype()), rb = opt(rbias), h = opt(h0), c = opt(c0), m = opt(mask), rm = opt(rmask);
    return nogil_if(true, [&] {
      return ops::rnn_sequence(cell, act, rec_act, x, uu, rb, h, c, m, rm);
    });
  }, "cell"_a, "activation"_a, "recurrent_activation"_a, "xw"_a, "recurrent_kernel"_a, "recurrent_bias"_a,
     "h0"_a, "c0"_a, "mask"_a, "recurrent_mask"_a);
  // act(x @ kernel + bias) in one GEMM (the Dense layer); act a _core.Act other than hard_sigmoid.
  m.def("dense", [](py::handle x, py::handle kernel, py::handle bias, cpu::Act act) {
    auto xw = binary_operands(x, kernel);
    Tensor b = bias.is_none() ? Tensor() : to_tensor(bias, xw.first.dtype());
    return nogil_if(true, [&] { return ops::dense(xw.first, xw.second, b, act); });
  }, "x"_a, "kernel"_a, "bias"_a = none, "activation"_a = cpu::Act::Linear);
  m.def("matmul", [](py::handle a, py::handle b, bool ta, bool tb, bool adj_a, bool adj_b, py::handle, py::handle, py::handle, py::handle) {
    auto ab = binary_operands(a, b);
    return nogil_if(true, [&] { return ops::matmul(ab.first, ab.second, ta || adj_a, tb || adj_b); });
  }, "a"_a, "b"_a, "transpose_a"_a = false, "transpose_b"_a = false, "adjoint_a"_a = false, "adjoint_b"_a = false,
     "a_is_sparse"_a = false, "b_is_sparse"_a = false, "output_type"_a = none, "name"_a = none);

  // ---- shapes and indexing
  m.def("reshape", [](py::handle x, py::handle shape, py::handle) { return ops::reshape(to_tensor(x), parse_int_list(shape, "shape")); },
        "tensor"_a, "shape"_a, "name"_a = none);
  m.def("transpose", [](py::handle x, py::handle perm, py::handle, py::handle) {
    return ops::transpose(to_tensor(x), perm.is_none() ? std::vector<int64_t>{} : parse_int_list(perm, "perm"));
  }, "a"_a, "perm"_a = none, "conjugate"_a = false, "name"_a = none);
  m.def("broadcast_to", [](py::handle x, py::handle shape, py::handle) { return ops::broadcast_to(to_tensor(x), parse_shape(shape)); },
        "input"_a, "shape"_a, "name"_a = none);
  m.def("expand_dims", [](py::handle x, int64_t axis, py::handle) { return ops::expand_dims(to_tensor(x), axis); },
        "input"_a, "axis"_a, "name"_a = none);
  m.def("squeeze", [](py::handle x, py::handle axis, py::handle) {
    return ops::squeeze(to_tensor(x), axis.is_none() ? std::vector<int64_t>{} : parse_int_list(axis, "axis"));
  }, "input"_a, "axis"_a = none, "name"_a = none);
  m.def("reverse", [](py::handle x, py::handle axis, py::handle) { return ops::reverse(to_tensor(x), parse_int_list(axis, "axis")); },
        "tensor"_a, "axis"_a, "name"_a = none);
  m.def("slice", [](py::handle x, py::handle begin, py::handle size, py::handle) {
    return ops::slice(to_tensor(x), parse_int_list(begin, "begin"), parse_int_list(size, "size"));
  }, "input_"_a, "begin"_a, "size"_a, "name"_a = none);
  m.def("concat", [](py::handle values, int64_t axis, py::handle) { return ops::concat(tensor_list(values, "concat"), axis); },
        "values"_a, "axis"_a, "name"_a = none);
  m.def("stack", [](py::handle values, int64_t axis, py::handle) { return ops::stack(tensor_list(values, "stack"), axis); },
        "values"_a, "axis"_a = 0, "name"_a = none);
  m.def("unstack", [](py::handle value, py::handle num, int64_t axis, py::handle) {
    Tensor t = to_tensor(value);
    auto r = ops::unstack(t, axis);
    if (!num.is_none() && num.cast<int64_t>() != static_cast<int64_t>(r.size()))
      throw ValueError("[unstack] num=" + std::to_string(num.cast<int64_t>()) + " does not match the dimension size " + std::to_string(r.size()));
    return r;
  }, "value"_a, "num"_a = none, "axis"_a = 0, "name"_a = none);
  m.def("split", [](py::handle value, py::handle splits, int64_t axis, py::handle, py::handle) {
    Tensor t = to_tensor(value);
    if (t.ndim() == 0) throw ValueError("[split] cannot split a scalar");
    int64_t ax = normalize_axis(axis, t.ndim(), "split");
    std::vector<int64_t> sizes;
    if (PyLong_Check(splits.ptr()) || (py::isinstance<Tensor>(splits) && splits.cast<const Tensor&>().ndim() == 0)) {
      int64_t n = index_int64(splits, "num_or_size_splits", false);
      if (n > 65536 && n > t.dim(ax))  // an empty axis divides by anything: no list of 2^31 empty tensors
        throw InvalidArgument("[split] num_split " + std::to_string(n) + " is larger than the axis (" +
                              std::to_string(t.dim(ax)) + ") and than 65536");
      if (n <= 0 || t.dim(ax) % n != 0)
        throw InvalidArgument("[split] Number of ways to split should evenly divide the split dimension, but got split_dim " +
                              std::to_string(ax) + " (size = " + std::to_string(t.dim(ax)) + ") and num_split " + std::to_string(n));
      sizes.assign(static_cast<size_t>(n), t.dim(ax) / n);
    } else {
      sizes = parse_int_list(splits, "num_or_size_splits");
      int64_t known = 0, unknown = -1;
      for (size_t i = 0; i < sizes.size(); ++i) {
        if (sizes[i] == -1) {
          if (unknown >= 0) throw InvalidArgument("[split] only one size may be -1");
          unknown = static_cast<int64_t>(i);
        } else known += sizes[i];
      }
      if (unknown >= 0) sizes[unknown] = t.dim(ax) - known;
    }
    return ops::split(t, sizes, ax);
  }, "value"_a, "num_or_size_splits"_a, "axis"_a = 0, "num"_a = none, "name"_a = none);
  m.def("tile", [](py::handle x, py::handle multiples, py::handle) { return ops::tile(to_tensor(x), parse_int_list(multiples, "multiples")); },
        "input"_a, "multiples"_a, "name"_a = none);
  m.def("pad", [](py::handle x, py::handle paddings, std::string mode, py::handle constant, py::handle) {
    Tensor t = to_tensor(x);
    std::vector<int64_t> flat = parse_int_list(numpy_module().attr("asarray")(paddings).attr("reshape")(-1), "paddings");
    if (flat.size() % 2) throw InvalidArgument("[pad] paddings must have shape (rank, 2)");
    std::vector<std::pair<int64_t, int64_t>> p;
    for (size_t i = 0; i < flat.size(); i += 2) p.emplace_back(flat[i], flat[i + 1]);
    for (auto& c : mode) c = static_cast<char>(toupper(c));
    int md = mode == "CONSTANT" ? 0 : mode == "REFLECT" ? 1 : mode == "SYMMETRIC" ? 2 : -1;
    if (md < 0) throw ValueError("[pad] Value of argument `mode` expected to be one of \"CONSTANT\", \"REFLECT\", or \"SYMMETRIC\". Received `mode` = " + mode);
    return ops::pad(t, p, md, scalar_value(constant, 0));
  }, "tensor"_a, "paddings"_a, "mode"_a = "CONSTANT", "constant_values"_a = 0, "name"_a = none);
  m.def("gather", [](py::handle params, py::handle indices, py::handle, py::handle axis, int64_t batch_dims, py::handle) {
    Tensor p = to_tensor(params);
    return ops::gather(p, to_tensor(indices), axis_int(axis, batch_dims), batch_dims);
  }, "params"_a, "indices"_a, "validate_indices"_a = none, "axis"_a = none, "batch_dims"_a = 0, "name"_a = none);
  m.def("gather_nd", [](py::handle params, py::handle indices, int64_t batch_dims, py::handle) {
    if (batch_dims != 0) throw Unimplemented("[gather_nd] batch_dims > 0 is not supported yet");
    return ops::gather_nd(to_tensor(params), to_tensor(indices));
  }, "params"_a, "indices"_a, "batch_dims"_a = 0, "name"_a = none);
  m.def("scatter_nd", [](py::handle indices, py::handle updates, py::handle shape, py::handle) {
    return ops::scatter_nd(to_tensor(indices), to_tensor(updates), parse_shape(shape));
  }, "indices"_a, "updates"_a, "shape"_a, "name"_a = none);
  m.def("one_hot", [](py::handle indices, int64_t depth, py::handle on, py::handle off, py::handle axis, py::handle dtype, py::handle) {
    DType d = parse_dtype(dtype).value_or(DType::Float32);
    return ops::one_hot(to_tensor(indices), depth, scalar_value(on, 1), scalar_value(off, 0), axis_int(axis, -1), d);
  }, "indices"_a, "depth"_a, "on_value"_a = none, "off_value"_a = none, "axis"_a = none, "dtype"_a = none, "name"_a = none);
  m.def("shape", [](py::handle x, py::handle out_type, py::handle) {
    Tensor t = to_tensor(x);
    DType d = parse_dtype(out_type).value_or(DType::Int32);
    Tensor s = Tensor::empty({t.ndim()}, DType::Int64, Device{});
    for (int64_t i = 0; i < t.ndim(); ++i) s.data<int64_t>()[i] = t.dim(i);
    s.storage()->host_constant = true;
    Tensor r = on_current_device(ops::cast(s, d));
    r.storage()->host_constant = true;  // a function of the shape alone, fixed in a captured step
    return r;
  }, "input"_a, "out_type"_a = none, "name"_a = none);
  m.def("size", [](py::handle x, py::handle out_type, py::handle) {
    Tensor t = to_tensor(x);
    return Tensor::scalar(static_cast<double>(t.numel()), parse_dtype(out_type).value_or(DType::Int32));
  }, "input"_a, "out_type"_a = none, "name"_a = none);
  m.def("rank", [](py::handle x, py::handle) { return Tensor::scalar(static_cast<double>(to_tensor(x).ndim()), DType::Int32); },
        "input"_a, "name"_a = none);
}

}  // namespace tapeflow
