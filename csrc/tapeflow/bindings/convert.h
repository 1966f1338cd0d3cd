// Conversions between Python values and core types, shared by the binding files.
#pragma once
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <optional>

#include "tapeflow/ops/ops.h"

namespace tapeflow {
namespace py = pybind11;

std::optional<DType> parse_dtype(py::handle obj);
DType parse_dtype_required(py::handle obj);

// Python value -> Tensor. `dtype` given and `strict`: the value must convert to
// it (tf.constant(value, dtype)). Given and not strict: a hint used for Python
// scalars and same-kind arrays (the other operand of a binary op).
Tensor to_tensor(py::handle obj, std::optional<DType> dtype = std::nullopt, bool strict = false);
// t (made on the host) placed on the current device, where ops from Python run.
Tensor on_current_device(const Tensor& t);
// Both operands of a binary op; non-tensors take the dtype of the tensor operand.
std::pair<Tensor, Tensor> binary_operands(py::handle a, py::handle b);

// h.__index__() as an int64; beyond int64's range: the nearest end with `saturate` (slice bounds), else ValueError.
int64_t index_int64(py::handle h, const char* what, bool saturate);
ops::Axes parse_axes(py::handle obj);                // None / int / sequence / tensor
std::vector<int64_t> parse_int_list(py::handle obj, const char* what);
Shape parse_shape(py::handle obj);
py::array to_numpy(const Tensor& t, bool writeable_copy);
const char* numpy_name(DType d);  // the NumPy dtype name of a tensor dtype

py::object numpy_module();

}  // namespace tapeflow
