// tf.data's C++ pieces (csrc/tapeflow/data/).
#include "tapeflow/bindings/bindings.h"
#include "tapeflow/bindings/convert.h"
#include "tapeflow/data/shuffle.h"

namespace tapeflow {

void init_data(py::module_& m) {
  // The order Dataset.shuffle(buffer_size) gives the int64 vector `order` (a pass's row indices).
  m.def("_shuffle_order", [](const Tensor& order, int64_t buffer_size, uint64_t seed) {
    if (order.dtype() != DType::Int64 || order.ndim() != 1)
      throw ValueError("[shuffle] expects an int64 vector of row indices, got " + std::string(dtype_name(order.dtype())) +
                       " of shape " + shape_str(order.shape()));
    if (buffer_size <= 0) throw ValueError("[shuffle] buffer_size must be positive, got " + std::to_string(buffer_size));
    const Tensor c = order.to(Device{}).contiguous();
    std::vector<int64_t> out;
    {
      py::gil_scoped_release release;
      out = data::buffer_shuffle(c.numel() ? c.data<int64_t>() : nullptr, c.numel(), buffer_size, seed);
    }
    Tensor result = Tensor::empty({static_cast<int64_t>(out.size())}, DType::Int64, Device{});
    std::copy(out.begin(), out.end(), result.data<int64_t>());
    return on_current_device(result);
  }, py::arg("order"), py::arg("buffer_size"), py::arg("seed"));
}

}  // namespace tapeflow
