// Captured steps as tapeflow._core._Plan: the trainer captures a training,
// test or predict step once per input signature and replays it, feeding new
// batches into the step's input buffers (graph/plan.h).
#include <chrono>
#include <cstring>

#include "tapeflow/autograd/tape.h"
#include "tapeflow/bindings/bindings.h"
#include "tapeflow/bindings/convert.h"
#include "tapeflow/core/dispatch.h"
#include "tapeflow/cpu/kernels.h"
#include "tapeflow/graph/plan.h"
#include "tapeflow/ops/ops.h"

namespace tapeflow {
namespace {

using graph::Plan;

void check_buffers(const std::vector<Tensor>& buffers, const std::vector<Tensor>& values, const char* op) {
  if (buffers.size() != values.size())
    throw ValueError(std::string("[") + op + "] expected " + std::to_string(buffers.size()) + " inputs, got " +
                     std::to_string(values.size()));
  for (size_t i = 0; i < buffers.size(); ++i)
    if (values[i].dtype() != buffers[i].dtype())
      throw TypeError(std::string("[") + op + "] input " + std::to_string(i) + " has dtype " +
                      dtype_name(values[i].dtype()) + ", the captured step takes " + dtype_name(buffers[i].dtype()));
}

// Copies batch `step` (rows order[step*bs ..] of each source, or the rows in sequence) into the buffers.
void gather_batch(const std::vector<Tensor>& sources, const std::vector<Tensor>& buffers, const int64_t* order,
                  int64_t step, int64_t bs) {
  for (size_t i = 0; i < sources.size(); ++i) {
    const Tensor &src = sources[i], &buf = buffers[i];
    const size_t row = static_cast<size_t>(src.numel() / src.dim(0)) * itemsize(src.dtype());
    const char* from = static_cast<const char*>(src.raw_data());
    char* to = static_cast<char*>(buf.raw_data());
    if (!order) {
      copy_bytes(to, buf.device(), from + static_cast<size_t>(step * bs) * row, src.device(), static_cast<size_t>(bs) * row);
      continue;
    }
    if (buf.device().type != Device::CPU && src.device() == buf.device()) {  // one gather kernel, not a copy per row
      Tensor idx = Tensor::empty({1, bs}, DType::Int64, Device{});
      std::copy(order + step * bs, order + (step + 1) * bs, idx.data<int64_t>());
      const int64_t inner = src.numel() / src.dim(0);
      kern::gather(src, idx.to(buf.device()), 1, 1, inner, buf);
      continue;
    }
    for (int64_t r = 0; r < bs; ++r)
      copy_bytes(to + static_cast<size_t>(r) * row, buf.device(), from + static_cast<size_t>(order[step * bs + r]) * row,
                 src.device(), row);
  }
}

// tf.print's kernel body: calls fn with NumPy copies of the tensors' values. It takes the GIL, which a replay has
// released (whoever holds the GIL never waits for a plan's lock: the bindings release it first).
void call_host(PyObject* fn, const std::vector<Tensor>& tensors) {
  std::vector<Tensor> values;
  for (const Tensor& t : tensors) values.push_back(ops::contiguous_copy(t));
  py::gil_scoped_acquire gil;
  py::tuple args(values.size());
  for (size_t i = 0; i < values.size(); ++i) {
    const Tensor& v = values[i];
    py::array a(py::dtype(numpy_name(v.dtype())), std::vector<py::ssize_t>(v.shape().begin(), v.shape().end()));
    copy_bytes(a.mutable_data(), Device{}, v.raw_data(), v.device(), static_cast<size_t>(v.numel()) * itemsize(v.dtype()));
    args[i] = std::move(a);
  }
  py::reinterpret_borrow<py::function>(fn)(*args);
}

char numpy_kind(DType d) {
  if (is_floating(d)) return 'f';
  if (d == DType::Bool) return 'b';
  return d == DType::UInt8 ? 'u' : 'i';
}

}  // namespace

void init_graph(py::module_& m) {
  py::class_<Plan, std::shared_ptr<Plan>>(m, "_Plan")
      .def_property_readonly("failure", [](const Plan& p) -> py::object {
        if (p.failure().empty()) return py::none();
        return py::str(p.failure());
      })
      .def_property_readonly("num_kernels", &Plan::num_kernels)
      .def("plan_memory", [](Plan& p, const std::vector<Tensor>& keep) { p.plan_memory(keep); }, py::arg("keep"))
      // Debug: the buffers the capture allocated that are still alive (the step's intermediates and results),
      // their bytes, how many share the planned arena, and its bytes (the step's peak for intermediates).
      .def("memory", [](const Plan& p) {
        const graph::MemoryStats m = p.memory();
        py::dict d;
        d["buffers"] = m.buffers;
        d["buffer_bytes"] = m.buffer_bytes;
        d["planned_buffers"] = m.planned;
        d["arena_bytes"] = m.arena_bytes;
        return d;
      })
      .def("valid", &Plan::valid)
      .def("profile", [](const Plan& p, int reps) {
        py::gil_scoped_release release;
        std::lock_guard<std::mutex> lock(p.mutex());
        return p.profile(reps);
      }, py::arg("reps") = 100)
      // Copies values[i] (any strides, same shape and dtype) into buffers[i], runs the plan and returns fresh copies
      // of `results` (the plan's result tensors; as NumPy arrays with `numpy`), all under the plan's lock: another
      // thread's replay can rewrite the results as soon as it is released.
      .def("run", [](const Plan& p, const std::vector<Tensor>& buffers, const std::vector<Tensor>& values,
                     const std::vector<Tensor>& results, bool numpy) {
        check_buffers(buffers, values, "run");
        for (size_t i = 0; i < buffers.size(); ++i)
          if (values[i].shape() != buffers[i].shape())
            throw ValueError("[run] input " + std::to_string(i) + " has shape " + shape_str(values[i].shape()) +
                             ", the captured step takes " + shape_str(buffers[i].shape()));
        py::list out;
        std::vector<void*> arrays;  // with `numpy`: where each result's bytes go
        for (const Tensor& r : results) {
          if (!numpy) continue;
          py::array a(py::dtype(numpy_name(r.dtype())), std::vector<py::ssize_t>(r.shape().begin(), r.shape().end()));
          arrays.push_back(a.mutable_data());
          out.append(a);
        }
        std::vector<Tensor> copies;
        {
          py::gil_scoped_release release;
          std::lock_guard<std::mutex> lock(p.mutex());
          for (size_t i = 0; i < buffers.size(); ++i)
            if (values[i].storage() != buffers[i].storage()) kern::copy(values[i].to(buffers[i].device()), buffers[i]);
          p.run();
          for (size_t i = 0; i < results.size(); ++i) {
            const Tensor& r = results[i];
            Tensor c = numpy && r.is_contiguous() ? r : ops::contiguous_copy(r);
            if (!numpy) copies.push_back(std::move(c));
            else copy_bytes(arrays[i], Device{}, c.raw_data(), c.device(), static_cast<size_t>(r.numel()) * itemsize(r.dtype()));
          }
        }
        for (Tensor& c : copies) out.append(py::cast(std::move(c)));
        return out;
      }, py::arg("buffers") = std::vector<Tensor>(), py::arg("values") = std::vector<Tensor>(),
         py::arg("results") = std::vector<Tensor>(), py::arg("numpy") = false)
      // predict's path for one batch from one NumPy array (C-contiguous, of the buffer's dtype and shape): copies
      // it into the buffer, runs the plan and returns a NumPy copy of `result`; None when the plan is stale.
      .def("run_array", [](const Plan& p, const Tensor& buffer, const py::array& a, const Tensor& result) -> py::object {
        if (!p.valid()) return py::none();
        bool ok = (a.flags() & py::array::c_style) && a.ndim() == buffer.ndim() &&
                  static_cast<size_t>(a.itemsize()) == itemsize(buffer.dtype()) &&
                  numpy_kind(buffer.dtype()) == a.dtype().kind();
        for (int64_t d = 0; ok && d < buffer.ndim(); ++d) ok = a.shape(d) == buffer.dim(d);
        if (!ok) throw ValueError("[run_array] the array does not match the captured step's " +
                                  std::string(dtype_name(buffer.dtype())) + " input of shape " + shape_str(buffer.shape()));
        const bool direct = result.dtype() == DType::Float32 && result.is_contiguous();
        py::array_t<float> out(std::vector<py::ssize_t>(result.shape().begin(), result.shape().end()));
        float* dst = out.mutable_data();
        Tensor copy;  // the result, read under the lock (another thread's replay may rewrite it after)
        {
          py::gil_scoped_release release;
          std::lock_guard<std::mutex> lock(p.mutex());
          copy_bytes(buffer.raw_data(), buffer.device(), a.data(), Device{},
                     static_cast<size_t>(buffer.numel()) * itemsize(buffer.dtype()));
          p.run();
          if (!direct) copy = ops::contiguous_copy(result);
          else
            copy_bytes(dst, Device{}, result.raw_data(), result.device(), static_cast<size_t>(result.numel()) * sizeof(float));
        }
        if (!direct) return to_numpy(copy, true);
        return std::move(out);
      })
      // The epoch loop: for steps start .. start+count-1, copies full batches of batch_size rows of each source
      // (contiguous, rows in `order` when given, int64) into the buffers and runs the plan. Stops early once
      // max_seconds have passed (0: never); returns the number of steps run.
      .def("run_batches", [](const Plan& p, const std::vector<Tensor>& sources, const std::vector<Tensor>& buffers,
                             py::object order_obj, int64_t start, int64_t count, int64_t batch_size, double max_seconds) {
        check_buffers(buffers, sources, "run_batches");
        Tensor order;
        int64_t n = -1;
        for (size_t i = 0; i < sources.size(); ++i) {
          const Tensor &src = sources[i], &buf = buffers[i];
          if (src.ndim() == 0 || !src.is_contiguous() || !buf.is_contiguous() || buf.ndim() != src.ndim() ||
              buf.dim(0) != batch_size || !std::equal(src.shape().begin() + 1, src.shape().end(), buf.shape().begin() + 1))
            throw ValueError("[run_batches] source " + std::to_string(i) + " of shape " + shape_str(src.shape()) +
                             " does not fill the step's input of shape " + shape_str(buf.shape()));
          if (n >= 0 && src.dim(0) != n) throw ValueError("[run_batches] sources differ in length");
          n = src.dim(0);
        }
        if (start < 0 || count < 0 || batch_size <= 0 || (start + count) * batch_size > std::max<int64_t>(n, 0))
          throw ValueError("[run_batches] steps " + std::to_string(start) + ".." + std::to_string(start + count) +
                           " of " + std::to_string(batch_size) + " rows are out of range");
        if (!order_obj.is_none()) {
          order = order_obj.cast<Tensor>().to(Device{});  // read on the host
          if (order.dtype() != DType::Int64 || order.ndim() != 1 || !order.is_contiguous() ||
              order.dim(0) < (start + count) * batch_size)
            throw ValueError("[run_batches] order must be a contiguous int64 vector covering the steps");
          const int64_t* o = order.data<int64_t>();
          for (int64_t i = start * batch_size; i < (start + count) * batch_size; ++i)
            if (o[i] < 0 || o[i] >= n) throw IndexError("[run_batches] order holds row " + std::to_string(o[i]) +
                                                        ", out of range for " + std::to_string(n) + " rows");
        }
        py::gil_scoped_release release;
        std::lock_guard<std::mutex> lock(p.mutex());
        const auto t0 = std::chrono::steady_clock::now();
        const int64_t* o = order.defined() ? order.data<int64_t>() : nullptr;
        int64_t done = 0;
        while (done < count) {
          gather_batch(sources, buffers, o, start + done, batch_size);
          p.run();
          ++done;
          if (max_seconds > 0 &&
              std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() >= max_seconds)
            break;
        }
        return done;
      }, py::arg("sources"), py::arg("buffers"), py::arg("order"), py::arg("start"), py::arg("count"),
         py::arg("batch_size"), py::arg("max_seconds") = 0.0);
  // The data set arrays of fit / evaluate / predict without a copy (converting 60 000 images took a sixth of a
  // one-epoch fit, mostly page faults): a tensor over a C-contiguous, element-aligned NumPy array of a tensor
  // dtype, holding a reference to it; None when the array does not qualify. The caller must not write to it.
  m.def("_array_view", [](const py::array& a) -> py::object {
    const auto addr = reinterpret_cast<uintptr_t>(a.data());
    if (!(a.flags() & py::array::c_style) || addr % static_cast<uintptr_t>(a.itemsize()) != 0 || a.nbytes() == 0)
      return py::none();
    const char kind = a.dtype().kind();
    const auto size = a.itemsize();
    DType d;
    if (kind == 'f' && size == 4) d = DType::Float32;
    else if (kind == 'f' && size == 8) d = DType::Float64;
    else if (kind == 'i' && size == 4) d = DType::Int32;
    else if (kind == 'i' && size == 8) d = DType::Int64;
    else if (kind == 'u' && size == 1) d = DType::UInt8;
    else return py::none();
    PyObject* ref = a.ptr();
    Py_INCREF(ref);
    std::shared_ptr<void> owner(ref, [](void* p) {
      if (!Py_IsInitialized()) return;
      py::gil_scoped_acquire gil;
      Py_DECREF(static_cast<PyObject*>(p));
    });
    auto impl = std::make_shared<TensorImpl>();
    impl->storage = std::make_shared<Storage>(const_cast<void*>(a.data()), static_cast<size_t>(a.nbytes()), owner);
    impl->storage->host_constant = true;
    impl->shape.assign(a.shape(), a.shape() + a.ndim());
    impl->strides = contiguous_strides(impl->shape);
    impl->numel = static_cast<int64_t>(a.size());
    impl->dtype = d;
    impl->id = next_tensor_id();
    return py::cast(Tensor(std::move(impl)));
  });
  // A fresh contiguous copy of t: an input buffer of a step that is about to be captured.
  m.def("_buffer_copy", [](const Tensor& t) { return ops::contiguous_copy(t); });
  m.def("_begin_capture", &graph::begin_capture, py::arg("variables") = std::vector<Tensor>());
  m.def("_end_capture", &graph::end_capture, py::arg("inputs") = std::vector<Tensor>());
  m.def("_capturing", &graph::capturing);
  m.def("_tape_active", &autograd::any_active);
  m.def("_capture_fail", [](const std::string& why) { graph::fail(why); });
  // A kernel that calls fn(*numpy_values) now and at every replay of a plan that records it (tf.print).
  m.def("_host_callback", [](const py::function& fn, const std::vector<Tensor>& tensors) {
    fn.inc_ref();
    const std::shared_ptr<PyObject> callback(fn.ptr(), [](PyObject* p) {
      if (!Py_IsInitialized()) return;
      py::gil_scoped_acquire gil;
      Py_DECREF(p);
    });
    TF_KERNEL(call_host(callback.get(), tensors));
  }, py::arg("fn"), py::arg("tensors"));
}

}  // namespace tapeflow
