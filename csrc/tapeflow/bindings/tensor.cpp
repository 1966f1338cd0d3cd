// The Tensor class as Python sees it (tapeflow._core.Tensor): data access,
// operators, indexing and the variable primitives. tf.Variable is a Python
// subclass; its value lives in a TensorImpl that keeps its id across
// assignments and is copied on write when its storage is shared.
#include <cmath>
#include <cstring>

#include "tapeflow/bindings/bindings.h"
#include "tapeflow/bindings/convert.h"
#include "tapeflow/ops/common.h"

namespace tapeflow {
namespace {

using cpu::BinaryOp;

// An index or slice bound; beyond int64 it saturates (out of range either way, as in NumPy).
int64_t index_of(py::handle h) {
  if (py::isinstance<py::bool_>(h)) throw TypeError("bool is not a valid index");
  return index_int64(h, "index", true);
}

std::vector<ops::SliceSpec> parse_key(py::handle key) {
  std::vector<ops::SliceSpec> specs;
  auto one = [&](py::handle k) {
    ops::SliceSpec s{ops::SliceSpec::Index};
    if (k.ptr() == Py_Ellipsis) { s.kind = ops::SliceSpec::Ellipsis; }
    else if (k.is_none()) { s.kind = ops::SliceSpec::NewAxis; }
    else if (PySlice_Check(k.ptr())) {
      s.kind = ops::SliceSpec::Range;
      py::object st = k.attr("start"), sp = k.attr("stop"), stp = k.attr("step");
      if (!st.is_none()) { s.start = index_of(st); s.has_start = true; }
      if (!sp.is_none()) { s.stop = index_of(sp); s.has_stop = true; }
      if (!stp.is_none()) s.step = index_of(stp);
    } else if (!PyBool_Check(k.ptr()) && py::hasattr(k, "__index__") &&
               !(py::isinstance<Tensor>(k) && k.cast<const Tensor&>().ndim() != 0)) {
      s.start = index_of(k);
    } else {
      throw TypeError("Only integers, slices (`:`), ellipsis (`...`), tf.newaxis (`None`) and scalar tf.int32/tf.int64 "
                      "tensors are valid indices, got " + std::string(py::repr(k)));
    }
    specs.push_back(s);
  };
  if (py::isinstance<py::tuple>(key)) for (py::handle k : key) one(k);
  else one(key);
  return specs;
}

Tensor& var_checked(Tensor& v, const char* op) {
  if (!v.is_variable()) throw TypeError(std::string("[") + op + "] only variables can be assigned to");
  return v;
}

// Gives the variable storage that nobody else sees (copying if shared), so that values saved earlier (by a tape,
// a read) keep theirs; references held inside captured plans do not count (Storage::plan_refs). Inside a captured
// step the variable is written in place instead: the plan's kernels refer to its storage, and the step reads
// nothing it saved after the update. A copy makes every plan stale.
void own_storage(Tensor& v, bool keep_values) {
  TensorImpl* impl = v.impl();
  if (graph::capturing()) graph::note_variable_written(v);
  if (impl->storage.use_count() - impl->storage->plan_refs == 1 || graph::capturing()) return;
  graph::note_variable_moved();
  Tensor fresh = Tensor::empty(impl->shape, impl->dtype, impl->storage->device);
  fresh.storage()->variable = true;
  if (keep_values) TF_KERNEL(kern::copy(v, fresh));
  impl->storage = fresh.storage();
  impl->strides = fresh.strides();
  impl->offset = 0;
}

Tensor assign_value(const Tensor& v, py::handle value, const char* op) {
  Tensor x = ops::to_device(to_tensor(value, v.dtype()), v.device());
  if (x.dtype() != v.dtype())
    throw TypeError(std::string("[") + op + "] cannot assign a value of dtype " + dtype_name(x.dtype()) +
                    " to a variable of dtype " + dtype_name(v.dtype()));
  if (x.shape() != v.shape())
    throw ValueError(std::string("[") + op + "] Shapes " + shape_str(v.shape()) + " and " + shape_str(x.shape()) +
                     " are incompatible: cannot assign a value of shape " + shape_str(x.shape()) +
                     " to a variable of shape " + shape_str(v.shape()));
  return x;
}

void variable_update(Tensor& v, py::handle value, const char* op, int kind) {  // 0 assign, 1 add, 2 sub
  var_checked(v, op);
  Tensor x = assign_value(v, value, op);
  own_storage(v, kind != 0);
  const Tensor target = v;
  if (kind == 0) TF_KERNEL(kern::copy(x, target));
  else TF_KERNEL(kern::binary(kind == 1 ? BinaryOp::Add : BinaryOp::Sub, target, x, target));
}

py::object compare_op(const Tensor& self, py::handle other, BinaryOp op) {
  auto ab = binary_operands(py::cast(self), other);
  return py::cast(ops::compare(op, ab.first, ab.second));
}

// == and != as TensorFlow 2: elementwise, but a plain bool when the other side
// is None, not convertible, or not broadcast-compatible.
py::object equality(const Tensor& a, py::handle b, BinaryOp op) {
  const bool unequal = op == BinaryOp::Ne;
  if (b.is_none()) return py::bool_(unequal);
  try { return compare_op(a, b, op); }
  catch (TypeError&) { return py::bool_(unequal); }
  catch (InvalidArgument&) { return py::bool_(unequal); }
}

template <class F> py::object binop(py::handle a, py::handle b, F f) {
  try {
    auto ab = binary_operands(a, b);
    return py::cast(f(ab.first, ab.second));
  } catch (TypeError&) {
    if (!py::isinstance<Tensor>(b) && !py::isinstance<py::array>(b) && !py::isinstance<py::float_>(b) &&
        !py::isinstance<py::int_>(b) && !py::isinstance<py::list>(b) && !py::isinstance<py::tuple>(b))
      return py::reinterpret_borrow<py::object>(Py_NotImplemented);
    throw;
  }
}

}  // namespace

Tensor truediv(const Tensor& a, const Tensor& b) {
  if (is_integer(a.dtype()) && is_integer(b.dtype())) {
    DType f = a.dtype() == DType::UInt8 ? DType::Float32 : DType::Float64;
    return ops::divide(ops::cast(a, f), ops::cast(b, f));
  }
  return ops::divide(a, b);
}

void init_tensor(py::module_& m) {
  py::class_<Tensor> cls(m, "Tensor", py::dynamic_attr());  // Keras sets _keras_mask on outputs
  cls.def(py::init([](const Tensor& t) { return Tensor(t); }))
      .def_property_readonly("_shape", [](const Tensor& t) { return py::tuple(py::cast(t.shape())); })
      .def_property_readonly("_dtype_code", [](const Tensor& t) { return static_cast<int>(t.dtype()); })
      .def_property_readonly("ndim", [](const Tensor& t) { return t.ndim(); })
      .def_property_readonly("_id", [](const Tensor& t) { return t.id(); })
      .def_property_readonly("_is_variable", [](const Tensor& t) { return t.is_variable(); })
      .def_property_readonly("_device_str", [](const Tensor& t) { return t.device().str(); })
      .def_property("_trainable", [](const Tensor& t) { return t.impl()->trainable; },
                    [](Tensor& t, bool v) { t.impl()->trainable = v; })
      .def_property_readonly("_is_contiguous", &Tensor::is_contiguous)
      .def_property_readonly("_data_ptr", [](const Tensor& t) { return reinterpret_cast<uintptr_t>(t.raw_data()); })
      .def("_numpy", [](const Tensor& t, bool copy) { return to_numpy(t, copy); }, py::arg("copy") = false)
      .def("__array__", [](const Tensor& t, py::handle dtype, py::handle copy) {
             py::array a = to_numpy(t, !copy.is_none() && copy.cast<bool>());
             if (!dtype.is_none()) return py::array(a.attr("astype")(dtype));
             return a;
           }, py::arg("dtype") = py::none(), py::arg("copy") = py::none())
      .def("__len__", [](const Tensor& t) {
        if (t.ndim() == 0) throw TypeError("len is not well defined for a rank-0 tensor");
        return t.dim(0);
      })
      .def("__float__", [](const Tensor& t) { return t.item(); })
      .def("__int__", [](const Tensor& t) {
        t.item();  // checks for exactly one element
        return py::int_(static_cast<long long>(*ops::cast(t, DType::Int64).to(Device{}).data<int64_t>()));
      })
      .def("__index__", [](const Tensor& t) {
        if (!is_integer(t.dtype()) || t.ndim() != 0) throw TypeError("only integer scalar tensors can be converted to an index");
        return py::int_(static_cast<long long>(t.item()));
      })
      .def("__bool__", [](const Tensor& t) {
        if (t.numel() != 1)
          throw ValueError("The truth value of a tensor with " + std::to_string(t.numel()) + " elements is ambiguous");
        return t.item() != 0;
      })
      .def("__getitem__", [](const Tensor& t, py::handle key) { return ops::strided_slice(t, parse_key(key)); })
      .def("__setitem__", [](const Tensor&, py::handle, py::handle) {
        throw TypeError("'Tensor' object does not support item assignment (tensors are immutable; use a tf.Variable "
                        "and v[...].assign(value))");
      })
      .def("__iter__", [](const Tensor& t) {
        if (t.ndim() == 0) throw TypeError("Cannot iterate over a scalar tensor.");
        return py::iter(py::cast(ops::unstack(t, 0)));
      })
      .def("__neg__", [](const Tensor& t) { return ops::negative(t); })
      .def("__abs__", [](const Tensor& t) { return ops::abs(t); })
      .def("__invert__", [](const Tensor& t) { return ops::logical_not(t); })
      .def("__pos__", [](const Tensor& t) { return t; })
      .def("__add__", [](py::handle a, py::handle b) { return binop(a, b, ops::add); }, py::is_operator())
      .def("__radd__", [](py::handle a, py::handle b) { return binop(b, a, ops::add); }, py::is_operator())
      .def("__sub__", [](py::handle a, py::handle b) { return binop(a, b, ops::subtract); }, py::is_operator())
      .def("__rsub__", [](py::handle a, py::handle b) { return binop(b, a, ops::subtract); }, py::is_operator())
      .def("__mul__", [](py::handle a, py::handle b) { return binop(a, b, ops::multiply); }, py::is_operator())
      .def("__rmul__", [](py::handle a, py::handle b) { return binop(b, a, ops::multiply); }, py::is_operator())
      .def("__truediv__", [](py::handle a, py::handle b) { return binop(a, b, truediv); }, py::is_operator())
      .def("__rtruediv__", [](py::handle a, py::handle b) { return binop(b, a, truediv); }, py::is_operator())
      .def("__floordiv__", [](py::handle a, py::handle b) { return binop(a, b, ops::floordiv); }, py::is_operator())
      .def("__rfloordiv__", [](py::handle a, py::handle b) { return binop(b, a, ops::floordiv); }, py::is_operator())
      .def("__mod__", [](py::handle a, py::handle b) { return binop(a, b, ops::floormod); }, py::is_operator())
      .def("__rmod__", [](py::handle a, py::handle b) { return binop(b, a, ops::floormod); }, py::is_operator())
      .def("__pow__", [](py::handle a, py::handle b) { return binop(a, b, ops::pow); }, py::is_operator())
      .def("__rpow__", [](py::handle a, py::handle b) { return binop(b, a, ops::pow); }, py::is_operator())
      .def("__matmul__", [](py::handle a, py::handle b) {
             return binop(a, b, [](const Tensor& x, const Tensor& y) { return ops::matmul(x, y, false, false); });
           }, py::is_operator())
      .def("__rmatmul__", [](py::handle a, py::handle b) {
             return binop(b, a, [](const Tensor& x, const Tensor& y) { return ops::matmul(x, y, false, false); });
           }, py::is_operator())
      .def("__and__", [](py::handle a, py::handle b) { return binop(a, b, [](const Tensor& x, const Tensor& y) { return ops::logical(BinaryOp::And, x, y); }); }, py::is_operator())
      .def("__rand__", [](py::handle a, py::handle b) { return binop(b, a, [](const Tensor& x, const Tensor& y) { return ops::logical(BinaryOp::And, x, y); }); }, py::is_operator())
      .def("__or__", [](py::handle a, py::handle b) { return binop(a, b, [](const Tensor& x, const Tensor& y) { return ops::logical(BinaryOp::Or, x, y); }); }, py::is_operator())
      .def("__ror__", [](py::handle a, py::handle b) { return binop(b, a, [](const Tensor& x, const Tensor& y) { return ops::logical(BinaryOp::Or, x, y); }); }, py::is_operator())
      .def("__xor__", [](py::handle a, py::handle b) { return binop(a, b, [](const Tensor& x, const Tensor& y) { return ops::logical(BinaryOp::Xor, x, y); }); }, py::is_operator())
      .def("__lt__", [](const Tensor& a, py::handle b) { return compare_op(a, b, BinaryOp::Lt); }, py::is_operator())
      .def("__le__", [](const Tensor& a, py::handle b) { return compare_op(a, b, BinaryOp::Le); }, py::is_operator())
      .def("__gt__", [](const Tensor& a, py::handle b) { return compare_op(a, b, BinaryOp::Gt); }, py::is_operator())
      .def("__ge__", [](const Tensor& a, py::handle b) { return compare_op(a, b, BinaryOp::Ge); }, py::is_operator())
      .def("__eq__", [](const Tensor& a, py::handle b) { return equality(a, b, BinaryOp::Eq); }, py::is_operator())
      .def("__ne__", [](const Tensor& a, py::handle b) { return equality(a, b, BinaryOp::Ne); }, py::is_operator())
      // ---- variable primitives
      .def("_assign", [](Tensor& v, py::handle value) { variable_update(v, value, "assign", 0); })
      .def("_assign_add", [](Tensor& v, py::handle value) { variable_update(v, value, "assign_add", 1); })
      .def("_assign_sub", [](Tensor& v, py::handle value) { variable_update(v, value, "assign_sub", 2); })
      .def("_assign_slice", [](Tensor& v, py::handle key, py::handle value) {
        var_checked(v, "assign");
        std::vector<ops::SliceSpec> specs = parse_key(key);
        Shape target = ops::slice_view(v, specs).shape();
        Tensor x = ops::to_device(to_tensor(value, v.dtype()), v.device());
        if (x.dtype() != v.dtype())
          throw TypeError(std::string("[assign] cannot assign a value of dtype ") + dtype_name(x.dtype()) +
                          " to a variable of dtype " + dtype_name(v.dtype()));
        Shape b = broadcast_shapes(x.shape(), target, "assign");
        if (b != target)
          throw ValueError("[assign] Shapes " + shape_str(target) + " and " + shape_str(x.shape()) +
                           " are incompatible for a sliced assignment");
        own_storage(v, true);
        const Tensor src = ops::broadcast_to(x, target), dst = ops::slice_view(v, specs);
        TF_KERNEL(kern::copy(src, dst));
      });
  cls.attr("__hash__") = py::none();
  cls.attr("__array_priority__") = 100;

  // One fused step over `variables` (one dtype), their gradients and their slot variables, in one kernel. With
  // `indices` (one variable only), the gradient holds the gradients of those rows (tf.IndexedSlices values),
  // duplicates summed. The step size is `lr`, or the value of `lr_variable` when given (read when the update runs,
  // so that a replayed step sees changes); with `step_variable` (the iteration count before this step) it gets
  // Adam's bias correction lr * sqrt(1 - beta_2^t) / (1 - beta_1^t) for t = step + 1.
  m.def("_apply_update", [](cpu::UpdateRule rule, std::vector<Tensor> vars, py::list grad_objs,
                            std::vector<std::vector<Tensor>> slots, double lr, double a, double b, double eps,
                            py::handle indices_obj, py::handle lr_obj, py::handle step_obj, double beta_1,
                            double beta_2) {
    if (rule < cpu::UpdateRule::SGD || rule > cpu::UpdateRule::Adagrad)
      throw ValueError("[apply_update] unknown update rule " + std::to_string(static_cast<int>(rule)));
    if (grad_objs.size() != vars.size() || slots.size() != vars.size())
      throw ValueError("[apply_update] expected one gradient and one list of slots per variable");
    if (!indices_obj.is_none() && vars.size() != 1)
      throw ValueError("[apply_update] a sparse gradient updates one variable at a time");
    std::vector<Tensor> grads;
    Tensor indices;
    for (size_t i = 0; i < vars.size(); ++i) {
      Tensor& var = vars[i];
      var_checked(var, "apply_update");
      if (var.dtype() != DType::Float32 && var.dtype() != DType::Float64)
        throw TypeError(std::string("[apply_update] variables must be float32 or float64, got ") +
                        dtype_name(var.dtype()));
      if (var.dtype() != vars[0].dtype()) throw TypeError("[apply_update] variables must share one dtype");
      if (static_cast<int>(slots[i].size()) != cpu::update_rule_slots(rule))
        throw ValueError("[apply_update] expected " + std::to_string(cpu::update_rule_slots(rule)) +
                         " slot variables, got " + std::to_string(slots[i].size()));
      Tensor grad = ops::to_device(to_tensor(grad_objs[i], var.dtype()), var.device());
      if (!indices_obj.is_none()) {
        indices = ops::to_device(to_tensor(indices_obj), var.device());
        if (indices.dtype() != DType::Int32 && indices.dtype() != DType::Int64)
          throw TypeError("[apply_update] indices must be int32 or int64");
        indices = ops::cast(indices, DType::Int64).contiguous();
        Shape rows_shape{indices.numel()};
        if (var.ndim() > 0) rows_shape.insert(rows_shape.end(), var.shape().begin() + 1, var.shape().end());
        if (var.ndim() == 0 || indices.ndim() != 1 || grad.shape() != rows_shape)
          throw ValueError("[apply_update] sparse gradient values " + shape_str(grad.shape()) + " and indices " +
                           shape_str(indices.shape()) + " do not match variable shape " + shape_str(var.shape()));
      } else if (grad.shape() != var.shape()) {
        throw ValueError("[apply_update] gradient shape " + shape_str(grad.shape()) +
                         " does not match variable shape " + shape_str(var.shape()));
      }
      if (grad.dtype() != var.dtype()) grad = ops::cast(grad, var.dtype());
      grads.push_back(grad.contiguous());
      own_storage(var, true);
      for (Tensor& s : slots[i]) {
        var_checked(s, "apply_update");
        if (s.shape() != var.shape() || s.dtype() != var.dtype())
          throw ValueError("[apply_update] slot variables must have the variable's shape and dtype");
        own_storage(s, true);
      }
      if (!var.is_contiguous()) throw RuntimeError("[apply_update] variable storage is not contiguous");
      for (Tensor& s : slots[i])
        if (!s.is_contiguous()) throw RuntimeError("[apply_update] slot storage is not contiguous");
    }
    Tensor lr_var, step_var;
    if (!lr_obj.is_none()) {
      lr_var = lr_obj.cast<Tensor>();
      if (lr_var.numel() != 1 || !is_floating(lr_var.dtype()))
        throw ValueError("[apply_update] the learning rate must be a floating-point scalar");
    }
    if (!step_obj.is_none()) {
      step_var = step_obj.cast<Tensor>();
      if (step_var.numel() != 1 || step_var.dtype() != DType::Int64)
        throw ValueError("[apply_update] the step counter must be an int64 scalar");
    }
    const std::vector<Tensor> targets = vars;
    py::gil_scoped_release release;
    TF_KERNEL({
      double step = lr_var.defined() ? kern::read_scalar(lr_var) : lr;
      if (step_var.defined()) {
        const double t = kern::read_scalar(step_var) + 1;
        step = step * std::sqrt(1 - std::pow(beta_2, t)) / (1 - std::pow(beta_1, t));
      }
      const cpu::UpdateParams p{step, a, b, eps};
      if (indices.defined()) kern::apply_sparse_update(rule, targets[0], indices, grads[0], slots[0], p);
      else kern::apply_update(rule, targets, grads, slots, p);
    });
  }, py::arg("rule"), py::arg("variables"), py::arg("gradients"), py::arg("slots"), py::arg("lr"), py::arg("a"),
     py::arg("b"), py::arg("eps"), py::arg("indices") = py::none(), py::arg("lr_variable") = py::none(),
     py::arg("step_variable") = py::none(), py::arg("beta_1") = 0.0, py::arg("beta_2") = 0.0);

  // Before a capture: gives each variable storage of its own (copying those that something else holds), since the
  // captured step and its replays write variables in place.
  m.def("_unshare", [](std::vector<Tensor> variables) {
    for (Tensor& v : variables)
      if (v.is_variable()) own_storage(v, true);
  });
  m.def("_make_variable", [](const Tensor& value, bool trainable) {
    graph::fail("a variable is created inside the step");
    Tensor fresh = ops::contiguous_copy(value);
    fresh.impl()->is_variable = true;
    fresh.storage()->variable = true;
    fresh.impl()->trainable = trainable && is_floating(value.dtype());
    return fresh;
  });
}

}  // namespace tapeflow
