// One init function per binding file; module.cpp calls them in order.
#pragma once
#include <pybind11/pybind11.h>

#include "tapeflow/core/tensor.h"

namespace tapeflow {
namespace py = pybind11;
void init_enums(pybind11::module_& m);
void init_tensor(pybind11::module_& m);
void init_ops(pybind11::module_& m);
void init_autograd(pybind11::module_& m);
void init_runtime(pybind11::module_& m);
void init_graph(pybind11::module_& m);
void init_data(pybind11::module_& m);
Tensor truediv(const Tensor& a, const Tensor& b);
}  // namespace tapeflow
