// The C++ tape as tapeflow._core._Tape; tapeflow.GradientTape wraps it with
// TensorFlow's context-manager API and nested-structure handling.
#include "tapeflow/autograd/tape.h"
#include "tapeflow/bindings/bindings.h"
#include "tapeflow/bindings/convert.h"

namespace tapeflow {

void init_autograd(py::module_& m) {
  using autograd::Tape;
  py::class_<Tape, std::shared_ptr<Tape>>(m, "_Tape")
      .def(py::init<bool, bool>(), py::arg("persistent"), py::arg("watch_accessed_variables"))
      .def("push", &Tape::push)
      .def("pop", &Tape::pop)
      .def("pause", &Tape::pause)
      .def("resume", &Tape::resume)
      .def("reset", &Tape::reset)
      .def("watch", [](Tape& t, const Tensor& x) { t.watch(x); })
      .def("watched_variables", &Tape::watched_variables)
      .def("gradient", [](Tape& t, const std::vector<Tensor>& targets, const std::vector<Tensor>& sources,
                          const std::vector<std::optional<Tensor>>& output_grads) {
        std::vector<Tensor> og;
        for (const auto& g : output_grads) og.push_back(g ? *g : Tensor());
        std::vector<Tensor> r;
        std::vector<autograd::Slices> sparse;
        {
          py::gil_scoped_release release;
          r = t.gradient(targets, sources, og, &sparse);
        }
        // Each entry: a Tensor, None (unconnected) or a (values, indices) pair for tf.IndexedSlices.
        py::list out;
        for (size_t k = 0; k < r.size(); ++k) {
          if (sparse[k].values.defined()) out.append(py::make_tuple(sparse[k].values, sparse[k].indices));
          else out.append(r[k].defined() ? py::cast(r[k]) : py::none());
        }
        return out;
      });
}

}  // namespace tapeflow
