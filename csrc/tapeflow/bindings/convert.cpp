#include "tapeflow/bindings/convert.h"
#include "tapeflow/graph/plan.h"

#include <cstring>
#include <limits>
#include <string>

#include "tapeflow/cpu/kernels.h"

namespace tapeflow {

py::object numpy_module() {
  // Kept for the life of the process: releasing it after interpreter shutdown would crash.
  static PyObject* np = py::module_::import("numpy").release().ptr();
  return py::reinterpret_borrow<py::object>(np);
}

const char* numpy_name(DType d) { return d == DType::Bool ? "bool" : dtype_name(d); }

namespace {

std::optional<DType> dtype_from_name(const std::string& n) {
  if (n == "float32" || n == "float") return DType::Float32;
  if (n == "float64" || n == "double") return DType::Float64;
  if (n == "float16" || n == "half") return DType::Float16;
  if (n == "int32") return DType::Int32;
  if (n == "int64") return DType::Int64;
  if (n == "uint8") return DType::UInt8;
  if (n == "bool") return DType::Bool;
  return std::nullopt;
}

// The DType a NumPy array of this dtype becomes (int8/int16 widen, uint16/32 widen).
DType from_numpy_dtype(const py::dtype& dt, py::handle src) {
  const char kind = dt.kind();
  const auto size = dt.itemsize();
  if (kind == 'f') return size == 2 ? DType::Float16 : size == 4 ? DType::Float32 : DType::Float64;
  if (kind == 'b') return DType::Bool;
  if (kind == 'i') return size <= 4 ? DType::Int32 : DType::Int64;
  if (kind == 'u') return size == 1 ? DType::UInt8 : DType::Int64;
  throw TypeError("Can't convert an array of dtype " + std::string(py::str(dt)) + " to a Tensor (value: " +
                  std::string(py::repr(src)).substr(0, 80) + ")");
}

Tensor from_array(const py::array& arr, DType dtype) {
  py::array c = numpy_module().attr("asarray")(arr, py::arg("dtype") = numpy_name(dtype), py::arg("order") = "C");
  Shape shape(c.shape(), c.shape() + c.ndim());
  Tensor t = Tensor::empty(shape, dtype, Device{});
  if (t.numel()) std::memcpy(t.raw_data(), c.data(), static_cast<size_t>(t.numel()) * itemsize(dtype));
  t.storage()->host_constant = true;
  return on_current_device(t);
}

[[noreturn]] void cannot_convert(py::handle obj, DType d) {
  throw TypeError("Cannot convert " + std::string(py::repr(obj)).substr(0, 80) + " to EagerTensor of dtype " + dtype_name(d));
}

bool same_kind(DType a, DType b) {
  return (is_floating(a) && is_floating(b)) || (is_integer(a) && is_integer(b)) || a == b;
}

}  // namespace

Tensor on_current_device(const Tensor& t) { return ops::to_device(t, current_device()); }

std::optional<DType> parse_dtype(py::handle obj) {
  if (obj.is_none()) return std::nullopt;
  if (py::hasattr(obj, "_code")) {  // a tf.DType; any other object with such an attribute must hold a valid code
    py::object code = obj.attr("_code");
    if (PyLong_Check(code.ptr())) {
      int overflow = 0;
      const long long c = PyLong_AsLongLongAndOverflow(code.ptr(), &overflow);
      if (!overflow && c >= 0 && c < kNumDTypes) return static_cast<DType>(c);
    }
    throw TypeError("Cannot convert " + std::string(py::repr(obj)) + " to a tapeflow DType: its _code " +
                    std::string(py::repr(code)) + " names no dtype");
  }
  if (py::isinstance<py::str>(obj)) {
    auto d = dtype_from_name(obj.cast<std::string>());
    if (d) return d;
    throw TypeError("Cannot convert '" + obj.cast<std::string>() + "' to a tapeflow DType");
  }
  if (obj.ptr() == reinterpret_cast<PyObject*>(&PyFloat_Type)) return DType::Float32;
  if (obj.ptr() == reinterpret_cast<PyObject*>(&PyLong_Type)) return DType::Int32;
  if (obj.ptr() == reinterpret_cast<PyObject*>(&PyBool_Type)) return DType::Bool;
  try {
    py::dtype dt = numpy_module().attr("dtype")(obj);
    auto d = dtype_from_name(py::str(dt.attr("name")).cast<std::string>());
    if (d) return d;
  } catch (py::error_already_set&) {
  }
  throw TypeError("Cannot convert " + std::string(py::repr(obj)) + " to a tapeflow DType");
}

DType parse_dtype_required(py::handle obj) {
  auto d = parse_dtype(obj);
  if (!d) throw TypeError("a dtype is required, got None");
  return *d;
}

Tensor to_tensor(py::handle obj, std::optional<DType> dtype, bool strict) {
  if (py::isinstance<Tensor>(obj)) {
    const Tensor& t = obj.cast<const Tensor&>();
    if (strict && dtype && *dtype != t.dtype())
      throw ValueError(std::string("Tensor conversion requested dtype ") + dtype_name(*dtype) + " for Tensor with dtype " +
                       dtype_name(t.dtype()));
    return on_current_device(t);  // ops run on the device in scope, as TensorFlow places them
  }
  if (PyBool_Check(obj.ptr())) {
    if (dtype && *dtype != DType::Bool) cannot_convert(obj, *dtype);
    return Tensor::scalar(obj.ptr() == Py_True ? 1.0 : 0.0, DType::Bool);
  }
  if (PyLong_Check(obj.ptr())) {
    int overflow = 0;
    long long v = PyLong_AsLongLongAndOverflow(obj.ptr(), &overflow);
    DType d = dtype ? *dtype : (v >= std::numeric_limits<int32_t>::min() && v <= std::numeric_limits<int32_t>::max()
                                    ? DType::Int32 : DType::Int64);
    if (overflow || d == DType::Bool) cannot_convert(obj, d);
    if ((d == DType::Int32 && (v < std::numeric_limits<int32_t>::min() || v > std::numeric_limits<int32_t>::max())) ||
        (d == DType::UInt8 && (v < 0 || v > 255)))
      cannot_convert(obj, d);
    if (d == DType::Int64) {
      Tensor t = Tensor::empty({}, DType::Int64, Device{});
      *t.data<int64_t>() = v;  // exact beyond 2^53
      t.storage()->host_constant = true;
      return on_current_device(t);
    }
    return Tensor::scalar(static_cast<double>(v), d);
  }
  if (PyFloat_Check(obj.ptr())) {
    DType d = dtype ? *dtype : DType::Float32;
    if (!is_floating(d)) cannot_convert(obj, d);
    return Tensor::scalar(PyFloat_AS_DOUBLE(obj.ptr()), d);
  }
  if (py::isinstance<py::str>(obj) || py::isinstance<py::bytes>(obj) || obj.is_none())
    throw TypeError("Can't convert Python object " + std::string(py::repr(obj)).substr(0, 80) + " of type " +
                    std::string(py::str(py::type::handle_of(obj).attr("__name__"))) + " to Tensor");
  const bool is_array = py::isinstance<py::array>(obj) || py::hasattr(obj, "dtype");
  py::array arr;
  try {
    arr = numpy_module().attr("asarray")(obj);
  } catch (py::error_already_set& e) {
    if (e.matches(PyExc_ValueError) && (py::isinstance<py::list>(obj) || py::isinstance<py::tuple>(obj)))
      throw ValueError("Can't convert non-rectangular Python sequence to Tensor.");  // TensorFlow's words
    throw TypeError("Can't convert Python object of type " + std::string(py::str(py::type::handle_of(obj).attr("__name__"))) +
                    " to Tensor: " + e.what());
  }
  DType own = from_numpy_dtype(arr.dtype(), obj);
  if (!is_array) {  // Python lists: Python floats and ints default to float32 / int32
    if (own == DType::Float64 && arr.dtype().kind() == 'f') own = DType::Float32;
    if (own == DType::Int64 && arr.size() > 0) {
      py::object lo = arr.attr("min")(), hi = arr.attr("max")();
      if (lo.cast<long long>() >= std::numeric_limits<int32_t>::min() && hi.cast<long long>() <= std::numeric_limits<int32_t>::max())
        own = DType::Int32;
    } else if (own == DType::Int64) {
      own = DType::Int32;
    }
  }
  if (dtype && *dtype != own) {
    if (strict || same_kind(own, *dtype) || (!is_array && is_integer(own) && is_floating(*dtype))) {
      if (is_floating(own) && !is_floating(*dtype) && !is_array) cannot_convert(obj, *dtype);
      return from_array(arr, *dtype);
    }
  }
  return from_array(arr, own);
}

std::pair<Tensor, Tensor> binary_operands(py::handle a, py::handle b) {
  const bool ta = py::isinstance<Tensor>(a), tb = py::isinstance<Tensor>(b);
  if (ta && tb) return {to_tensor(a), to_tensor(b)};
  if (ta) { Tensor x = to_tensor(a); return {x, to_tensor(b, x.dtype())}; }
  if (tb) { Tensor y = to_tensor(b); return {to_tensor(a, y.dtype()), y}; }
  Tensor x = to_tensor(a);
  return {x, to_tensor(b, x.dtype())};
}

int64_t index_int64(py::handle h, const char* what, bool saturate) {
  py::object i = py::reinterpret_steal<py::object>(PyNumber_Index(h.ptr()));
  if (!i) throw py::error_already_set();
  int overflow = 0;
  const long long v = PyLong_AsLongLongAndOverflow(i.ptr(), &overflow);
  if (overflow == 0) return v;
  if (saturate) return overflow > 0 ? std::numeric_limits<int64_t>::max() : std::numeric_limits<int64_t>::min();
  throw ValueError(std::string(what) + " holds " + std::string(py::str(i)) + ", which does not fit in int64");
}

std::vector<int64_t> parse_int_list(py::handle obj, const char* what) {
  std::vector<int64_t> out;
  if (py::isinstance<Tensor>(obj) || py::isinstance<py::array>(obj)) {
    Tensor t = to_tensor(obj);
    if (!is_integer(t.dtype())) throw TypeError(std::string(what) + " must hold integers, got " + dtype_name(t.dtype()));
    graph::check_host_read(t, what);
    t = ops::cast(t, DType::Int64).to(Device{});
    for (int64_t i = 0; i < t.numel(); ++i) out.push_back(t.data<int64_t>()[i]);
    return out;
  }
  if (py::hasattr(obj, "__index__") && !py::isinstance<py::sequence>(obj)) return {index_int64(obj, what, false)};
  if (!py::isinstance<py::sequence>(obj) || py::isinstance<py::str>(obj))
    throw TypeError(std::string(what) + " must be an int or a sequence of ints, got " + std::string(py::repr(obj)));
  for (py::handle h : obj) {
    if (h.is_none()) throw ValueError(std::string(what) + " cannot contain None (unknown dimensions): " + std::string(py::repr(obj)));
    if (py::isinstance<py::float_>(h)) throw TypeError(std::string(what) + " must hold integers, got " + std::string(py::repr(obj)));
    out.push_back(index_int64(h, what, false));
  }
  return out;
}

ops::Axes parse_axes(py::handle obj) {
  if (obj.is_none()) return std::nullopt;
  return parse_int_list(obj, "axis");
}

Shape parse_shape(py::handle obj) {
  Shape s = parse_int_list(obj, "shape");
  for (int64_t d : s)
    if (d < 0) throw ValueError("shape must have non-negative dimensions, got " + shape_str(s));
  return s;
}

py::array to_numpy(const Tensor& t0, bool writeable_copy) {
  graph::check_host_read(t0, "numpy");
  const Tensor t = t0.to(Device{});
  const size_t es = itemsize(t.dtype());
  std::vector<py::ssize_t> shape(t.shape().begin(), t.shape().end()), strides;
  for (int64_t s : t.strides())  // an empty tensor's strides may be huge; NumPy needs none
    strides.push_back(t.numel() ? static_cast<py::ssize_t>(s * static_cast<int64_t>(es)) : 0);
  auto* keep = new std::shared_ptr<Storage>(t.storage());
  py::capsule base(keep, [](void* p) { delete static_cast<std::shared_ptr<Storage>*>(p); });
  py::array view(py::dtype(numpy_name(t.dtype())), shape, strides, t.raw_data(), base);
  if (writeable_copy) return numpy_module().attr("array")(view, py::arg("order") = "C");
  py::detail::array_proxy(view.ptr())->flags &= ~py::detail::npy_api::NPY_ARRAY_WRITEABLE_;
  return view;
}

}  // namespace tapeflow
