// Elementwise ops and their gradient rules, plus activation composites.
#include <cmath>
#include <string>

#include "tapeflow/graph/fuse.h"
#include "tapeflow/ops/common.h"

namespace tapeflow {
namespace ops {
namespace {

using cpu::BinaryOp;
using cpu::UnaryOp;

Tensor binary_raw(BinaryOp op, const char* name, const Tensor& a, const Tensor& b, bool bool_out) {
  const OpDevice on_device(name, {&a, &b});
  check_same_dtype(name, a, b);
  Shape s = broadcast_shapes(a.shape(), b.shape(), name);
  Tensor out = Tensor::empty(s, bool_out ? DType::Bool : a.dtype());
  const Tensor av = broadcast_view(a, s), bv = broadcast_view(b, s);
  graph::kernel(__func__, [=] { kern::binary(op, av, bv, out); }, graph::describe_binary(op, av, bv, out));
  return out;
}

Tensor arith(BinaryOp op, const char* name, const Tensor& a, const Tensor& b) {
  if (a.dtype() == DType::Bool || b.dtype() == DType::Bool)
    throw TypeError(std::string("[") + name + "] is not defined for bool tensors");
  return binary_raw(op, name, a, b, false);
}

bool is_f16_pair(const Tensor& a, const Tensor& b) { return a.dtype() == DType::Float16 && b.dtype() == DType::Float16; }

struct UnaryInfo { const char* name; bool int_ok; };
UnaryInfo unary_info(UnaryOp op) {
  switch (op) {
    case UnaryOp::Neg: return {"negative", true};
    case UnaryOp::Abs: return {"abs", true};
    case UnaryOp::Sign: return {"sign", true};
    case UnaryOp::Sqrt: return {"sqrt", false};
    case UnaryOp::Rsqrt: return {"rsqrt", false};
    case UnaryOp::Exp: return {"exp", false};
    case UnaryOp::Log: return {"log", false};
    case UnaryOp::Log1p: return {"log1p", false};
    case UnaryOp::Expm1: return {"expm1", false};
    case UnaryOp::Tanh: return {"tanh", false};
    case UnaryOp::Sigmoid: return {"sigmoid", false};
    case UnaryOp::Relu: return {"relu", true};
    case UnaryOp::Erf: return {"erf", false};
    case UnaryOp::Softplus: return {"softplus", false};
    case UnaryOp::Square: return {"square", true};
    case UnaryOp::Sin: return {"sin", false};
    case UnaryOp::Cos: return {"cos", false};
    case UnaryOp::Reciprocal: return {"reciprocal", false};
    case UnaryOp::Floor: return {"floor", true};
    case UnaryOp::Ceil: return {"ceil", true};
    case UnaryOp::Round: return {"round", true};
    case UnaryOp::LogicalNot: return {"logical_not", false};
    case UnaryOp::IsNan: return {"is_nan", false};
    case UnaryOp::IsInf: return {"is_inf", false};
    case UnaryOp::IsFinite: return {"is_finite", false};
  }
  return {"unary", false};
}

// relu's gradient in one pass: g where x > 0, else 0 (its own gradient with respect to g is the same map).
Tensor relu_grad(const Tensor& x, const Tensor& g) {
  Tensor out = Tensor::empty(g.shape(), g.dtype());
  const Tensor xv = broadcast_view(x, g.shape());
  if (out.numel() > 0) TF_KERNEL(kern::binary(BinaryOp::ReluGrad, xv, g, out));
  TF_RECORD("relu_grad", {g}, {out}, [x](const Tensors&, const Tensors&, const Tensors& gg) {
    return Tensors{relu_grad(x, gg[0])};
  });
  return out;
}

bool unary_differentiable(UnaryOp op) {
  return !(op == UnaryOp::Floor || op == UnaryOp::Ceil || op == UnaryOp::Round || op == UnaryOp::LogicalNot ||
           op == UnaryOp::IsNan || op == UnaryOp::IsInf || op == UnaryOp::IsFinite);
}

}  // namespace

// The gradient of each differentiable unary op, from x, y = f(x) and g = dL/dy.
Tensor unary_grad(UnaryOp op, const Tensor& x, const Tensor& y, const Tensor& g) {
  switch (op) {
    case UnaryOp::Neg: return negative(g);
    case UnaryOp::Abs: return multiply(g, sign(x));
    case UnaryOp::Sign: return zeros_like(x);
    case UnaryOp::Sqrt: return divide(g, multiply(scalar_like(2.0, y), y));
    case UnaryOp::Rsqrt: return multiply(g, multiply(scalar_like(-0.5, y), multiply(y, square(y))));
    case UnaryOp::Exp: return multiply(g, y);
    case UnaryOp::Log: return divide(g, x);
    case UnaryOp::Log1p: return divide(g, add(x, scalar_like(1.0, x)));
    case UnaryOp::Expm1: return multiply(g, add(y, scalar_like(1.0, y)));
    case UnaryOp::Tanh: return multiply(g, subtract(scalar_like(1.0, y), square(y)));
    case UnaryOp::Sigmoid: return multiply(g, multiply(y, subtract(scalar_like(1.0, y), y)));
    case UnaryOp::Relu: return relu_grad(x, g);
    case UnaryOp::Erf: return multiply(g, multiply(scalar_like(1.1283791670955126, x), exp(negative(square(x)))));
    case UnaryOp::Softplus: return multiply(g, sigmoid(x));
    case UnaryOp::Square: return multiply(g, multiply(scalar_like(2.0, x), x));
    case UnaryOp::Sin: return multiply(g, cos(x));
    case UnaryOp::Cos: return negative(multiply(g, sin(x)));
    case UnaryOp::Reciprocal: return negative(multiply(g, square(y)));
    default: return Tensor();
  }
}

Tensor scalar_like(double v, const Tensor& like) { return Tensor::scalar(v, like.dtype()); }

Tensor unary(UnaryOp op, const Tensor& x) {
  const UnaryInfo info = unary_info(op);
  const OpDevice on_device(info.name, {&x});
  const bool bool_out = op == UnaryOp::LogicalNot || op == UnaryOp::IsNan || op == UnaryOp::IsInf || op == UnaryOp::IsFinite;
  if (op == UnaryOp::LogicalNot) {
    if (x.dtype() != DType::Bool) throw TypeError(std::string("[logical_not] expects a bool tensor, got ") + dtype_name(x.dtype()));
  } else if (x.dtype() == DType::Bool || (!info.int_ok && !is_floating(x.dtype()) && !bool_out)) {
    throw TypeError(std::string("[") + info.name + "] is not defined for " + dtype_name(x.dtype()) +
                    " tensors (expected a floating-point tensor)");
  }
  if (x.dtype() == DType::Float16) {
    Tensor r = unary(op, f32(x));
    return bool_out ? r : f16(r);
  }
  Tensor out = Tensor::empty(x.shape(), bool_out ? DType::Bool : x.dtype());
  graph::kernel(__func__, [=] { kern::unary(op, x, out); }, graph::describe_unary(op, x, out));
  if (unary_differentiable(op))
    TF_RECORD(info.name, {x}, {out}, [op](const Tensors& in, const Tensors& o, const Tensors& g) {
      return Tensors{unary_grad(op, in[0], o[0], g[0])};
    });
  return out;
}

Tensor negative(const Tensor& x) { return unary(UnaryOp::Neg, x); }
Tensor abs(const Tensor& x) { return unary(UnaryOp::Abs, x); }
Tensor sign(const Tensor& x) { return unary(UnaryOp::Sign, x); }
Tensor sqrt(const Tensor& x) { return unary(UnaryOp::Sqrt, x); }
Tensor rsqrt(const Tensor& x) { return unary(UnaryOp::Rsqrt, x); }
Tensor exp(const Tensor& x) { return unary(UnaryOp::Exp, x); }
Tensor log(const Tensor& x) { return unary(UnaryOp::Log, x); }
Tensor log1p(const Tensor& x) { return unary(UnaryOp::Log1p, x); }
Tensor expm1(const Tensor& x) { return unary(UnaryOp::Expm1, x); }
Tensor square(const Tensor& x) { return unary(UnaryOp::Square, x); }
Tensor tanh(const Tensor& x) { return unary(UnaryOp::Tanh, x); }
Tensor sigmoid(const Tensor& x) { return unary(UnaryOp::Sigmoid, x); }
Tensor relu(const Tensor& x) { return unary(UnaryOp::Relu, x); }
Tensor erf(const Tensor& x) { return unary(UnaryOp::Erf, x); }
Tensor softplus(const Tensor& x) { return unary(UnaryOp::Softplus, x); }
Tensor sin(const Tensor& x) { return unary(UnaryOp::Sin, x); }
Tensor cos(const Tensor& x) { return unary(UnaryOp::Cos, x); }
Tensor reciprocal(const Tensor& x) { return unary(UnaryOp::Reciprocal, x); }
Tensor logical_not(const Tensor& x) { return unary(UnaryOp::LogicalNot, x); }

#define TF_F16_BINARY(fn) \
  if (is_f16_pair(a, b)) return f16(fn(f32(a), f32(b)))

Tensor add(const Tensor& a, const Tensor& b) {
  TF_F16_BINARY(add);
  Tensor out = arith(BinaryOp::Add, "add", a, b);
  TF_RECORD("add", {a, b}, {out}, [](const Tensors&, const Tensors&, const Tensors& g) { return Tensors{g[0], g[0]}; });
  return out;
}

Tensor subtract(const Tensor& a, const Tensor& b) {
  TF_F16_BINARY(subtract);
  Tensor out = arith(BinaryOp::Sub, "subtract", a, b);
  TF_RECORD("subtract", {a, b}, {out},
            [](const Tensors&, const Tensors&, const Tensors& g) { return Tensors{g[0], negative(g[0])}; });
  return out;
}

Tensor multiply(const Tensor& a, const Tensor& b) {
  TF_F16_BINARY(multiply);
  Tensor out = arith(BinaryOp::Mul, "multiply", a, b);
  TF_RECORD("multiply", {a, b}, {out}, [](const Tensors& in, const Tensors&, const Tensors& g) {
    return Tensors{multiply(g[0], in[1]), multiply(g[0], in[0])};
  });
  return out;
}

Tensor divide(const Tensor& a, const Tensor& b) {
  TF_F16_BINARY(divide);
  Tensor out = arith(BinaryOp::Div, "divide", a, b);
  TF_RECORD("divide", {a, b}, {out}, [](const Tensors& in, const Tensors&, const Tensors& g) {
    return Tensors{divide(g[0], in[1]), negative(divide(multiply(g[0], in[0]), square(in[1])))};
  });
  return out;
}

Tensor floordiv(const Tensor& a, const Tensor& b) {
  TF_F16_BINARY(floordiv);
  return arith(BinaryOp::FloorDiv, "floordiv", a, b);  // not differentiable, as TensorFlow
}

Tensor floormod(const Tensor& a, const Tensor& b) {
  TF_F16_BINARY(floormod);
  Tensor out = arith(BinaryOp::Mod, "floormod", a, b);
  TF_RECORD("floormod", {a, b}, {out}, [](const Tensors& in, const Tensors&, const Tensors& g) {
    return Tensors{g[0], negative(multiply(g[0], floordiv(in[0], in[1])))};
  });
  return out;
}

Tensor pow(const Tensor& a, const Tensor& b) {
  TF_F16_BINARY(pow);
  Tensor out = arith(BinaryOp::Pow, "pow", a, b);
  TF_RECORD("pow", {a, b}, {out}, [](const Tensors& in, const Tensors& o, const Tensors& g) {
    const Tensor &x = in[0], &y = in[1];
    Tensor dx = multiply(g[0], multiply(y, pow(x, subtract(y, scalar_like(1.0, y)))));
    // d/dy x^y = x^y log x, taken as 0 where x <= 0 (log of a safe value avoids NaN).
    Tensor pos = compare(BinaryOp::Gt, x, scalar_like(0.0, x));
    Tensor safe_log = where(pos, log(where(pos, x, ones_like(x))), zeros_like(x));
    Tensor dy = multiply(g[0], multiply(o[0], safe_log));
    return Tensors{dx, dy};
  });
  return out;
}

Tensor maximum(const Tensor& a, const Tensor& b) {
  TF_F16_BINARY(maximum);
  Tensor out = arith(BinaryOp::Max, "maximum", a, b);
  TF_RECORD("maximum", {a, b}, {out}, [](const Tensors& in, const Tensors&, const Tensors& g) {
    Tensor m = compare(BinaryOp::Ge, in[0], in[1]), z = zeros_like(g[0]);
    return Tensors{where(m, g[0], z), where(m, z, g[0])};
  });
  return out;
}

Tensor minimum(const Tensor& a, const Tensor& b) {
  TF_F16_BINARY(minimum);
  Tensor out = arith(BinaryOp::Min, "minimum", a, b);
  TF_RECORD("minimum", {a, b}, {out}, [](const Tensors& in, const Tensors&, const Tensors& g) {
    Tensor m = compare(BinaryOp::Le, in[0], in[1]), z = zeros_like(g[0]);
    return Tensors{where(m, g[0], z), where(m, z, g[0])};
  });
  return out;
}

Tensor compare(BinaryOp op, const Tensor& a, const Tensor& b) {
  static const char* names[] = {"equal", "not_equal", "less", "less_equal", "greater", "greater_equal"};
  const char* name = names[static_cast<int>(op) - static_cast<int>(BinaryOp::Eq)];
  if (is_f16_pair(a, b)) return compare(op, f32(a), f32(b));
  if ((a.dtype() == DType::Bool || b.dtype() == DType::Bool) && op != BinaryOp::Eq && op != BinaryOp::Ne)
    throw TypeError(std::string("[") + name + "] is not defined for bool tensors");
  return binary_raw(op, name, a, b, true);
}

Tensor logical(BinaryOp op, const Tensor& a, const Tensor& b) {
  const char* name = op == BinaryOp::And ? "logical_and" : op == BinaryOp::Or ? "logical_or" : "logical_xor";
  if (a.dtype() != DType::Bool || b.dtype() != DType::Bool)
    throw TypeError(std::string("[") + name + "] expects bool tensors, got " + dtype_name(a.dtype()) + " and " +
                    dtype_name(b.dtype()));
  return binary_raw(op, name, a, b, true);
}

Tensor where(const Tensor& cond, const Tensor& x, const Tensor& y) {
  const OpDevice on_device("where", {&cond, &x, &y});
  if (cond.dtype() != DType::Bool)
    throw TypeError(std::string("[where] condition must be a bool tensor, got ") + dtype_name(cond.dtype()));
  check_same_dtype("where", x, y);
  Shape s = broadcast_shapes(broadcast_shapes(cond.shape(), x.shape(), "where"), y.shape(), "where");
  Tensor out = Tensor::empty(s, x.dtype());
  const Tensor cv = broadcast_view(cond, s), xv = broadcast_view(x, s), yv = broadcast_view(y, s);
  TF_KERNEL(kern::where(cv, xv, yv, out));
  TF_RECORD("where", {cond, x, y}, {out}, [](const Tensors& in, const Tensors&, const Tensors& g) {
    Tensor z = zeros_like(g[0]);
    return Tensors{Tensor(), where(in[0], g[0], z), where(in[0], z, g[0])};
  });
  return out;
}

Tensor cast(const Tensor& x, DType dtype) {
  const OpDevice on_device("cast", {&x});
  if (x.dtype() == dtype) return x;
  Tensor out = Tensor::empty(x.shape(), dtype);
  TF_KERNEL(kern::cast(x, out));
  if (is_floating(x.dtype()) && is_floating(dtype))
    TF_RECORD("cast", {x}, {out}, [](const Tensors&, const Tensors&, const Tensors& g) { return Tensors{g[0]}; });
  return out;
}

Tensor identity(const Tensor& x) {
  Tensor out = x.as_strided(x.shape(), x.strides(), x.offset());
  TF_RECORD("identity", {x}, {out}, [](const Tensors&, const Tensors&, const Tensors& g) { return Tensors{g[0]}; });
  return out;
}

Tensor stop_gradient(const Tensor& x) { return x.as_strided(x.shape(), x.strides(), x.offset()); }

// ---- composites
Tensor relu6(const Tensor& x) { return minimum(relu(x), scalar_like(6.0, x)); }

Tensor leaky_relu(const Tensor& x, double alpha) {
  check_floating("leaky_relu", x);
  return where(compare(BinaryOp::Gt, x, scalar_like(0.0, x)), x, multiply(x, scalar_like(alpha, x)));
}

Tensor elu(const Tensor& x, double alpha) {
  check_floating("elu", x);
  Tensor neg = multiply(scalar_like(alpha, x), expm1(minimum(x, scalar_like(0.0, x))));
  return where(compare(BinaryOp::Gt, x, scalar_like(0.0, x)), x, neg);
}

Tensor selu(const Tensor& x) {
  return multiply(scalar_like(1.0507009873554804934193349852946, x), elu(x, 1.6732632423543772848170429916717));
}

Tensor gelu(const Tensor& x, bool approximate) {
  check_floating("gelu", x);
  Tensor half_x = multiply(scalar_like(0.5, x), x);
  if (approximate) {
    Tensor inner = multiply(scalar_like(0.7978845608028654, x),
                            add(x, multiply(scalar_like(0.044715, x), multiply(x, square(x)))));
    return multiply(half_x, add(scalar_like(1.0, x), tanh(inner)));
  }
  return multiply(half_x, add(scalar_like(1.0, x), erf(multiply(x, scalar_like(0.7071067811865476, x)))));
}

Tensor softsign(const Tensor& x) {
  check_floating("softsign", x);
  return divide(x, add(scalar_like(1.0, x), abs(x)));
}

Tensor swish(const Tensor& x) { return multiply(x, sigmoid(x)); }

Tensor clip_by_value(const Tensor& x, const Tensor& lo, const Tensor& hi) {
  Tensor r = minimum(maximum(x, lo), hi);
  if (r.shape() != x.shape())
    throw InvalidArgument("[clip_by_value] clip bounds of shapes " + shape_str(lo.shape()) + " and " + shape_str(hi.shape()) +
                          " would change the shape of t " + shape_str(x.shape()));
  return r;
}

Tensor squared_difference(const Tensor& a, const Tensor& b) { return square(subtract(a, b)); }

}  // namespace ops
}  // namespace tapeflow
