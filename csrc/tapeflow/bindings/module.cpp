// tapeflow._core: the extension module. C++ error types map to Python
// exceptions here; tapeflow.errors supplies the tf-style classes at import.
#include "tapeflow/bindings/bindings.h"
#include "tapeflow/bindings/convert.h"

namespace py = pybind11;

namespace {
// Borrowed for the life of the process (never released: no teardown order issues).
PyObject* g_invalid_argument = nullptr;
PyObject* g_unimplemented = nullptr;
PyObject* g_resource_exhausted = nullptr;
}

PYBIND11_MODULE(_core, m) {
  m.doc() = "tapeflow's C++ engine: tensors, kernels, ops and the tape";
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const tapeflow::ValueError& e) {
      PyErr_SetString(PyExc_ValueError, e.what());
    } catch (const tapeflow::TypeError& e) {
      PyErr_SetString(PyExc_TypeError, e.what());
    } catch (const tapeflow::IndexError& e) {
      PyErr_SetString(PyExc_IndexError, e.what());
    } catch (const tapeflow::InvalidArgument& e) {
      PyErr_SetString(g_invalid_argument ? g_invalid_argument : PyExc_ValueError, e.what());
    } catch (const tapeflow::Unimplemented& e) {
      PyErr_SetString(g_unimplemented ? g_unimplemented : PyExc_NotImplementedError, e.what());
    } catch (const tapeflow::ResourceExhausted& e) {
      PyErr_SetString(g_resource_exhausted ? g_resource_exhausted : PyExc_MemoryError, e.what());
    } catch (const tapeflow::RuntimeError& e) {
      PyErr_SetString(PyExc_RuntimeError, e.what());
    }
  });
  m.def("_set_error_classes", [](py::object invalid_argument, py::object unimplemented, py::object resource_exhausted) {
    g_invalid_argument = invalid_argument.release().ptr();
    g_unimplemented = unimplemented.release().ptr();
    g_resource_exhausted = resource_exhausted.release().ptr();
  });
  tapeflow::init_enums(m);  // first: other bindings take them, with defaults
  tapeflow::init_tensor(m);
  tapeflow::init_ops(m);
  tapeflow::init_autograd(m);
  tapeflow::init_runtime(m);
  tapeflow::init_graph(m);
  tapeflow::init_data(m);
}
