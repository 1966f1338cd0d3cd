// Process-wide settings: threads, devices, the GEMM micro-kernel, and the
// random seeds (global seed + per-op seed, as TensorFlow: with a global seed
// the sequence of random ops is reproducible; set_seed restarts it).
#include <map>
#include <mutex>
#include <random>
#include <tuple>

#include "tapeflow/bindings/bindings.h"
#include "tapeflow/bindings/convert.h"
#include "tapeflow/core/threadpool.h"
#include "tapeflow/cpu/gemm.h"
#include "tapeflow/cuda/cuda_api.h"

namespace tapeflow {
namespace {

uint64_t splitmix(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

// Guarded by mu: replays draw keys with the GIL released, possibly on several threads.
struct Seeds {
  std::mutex mu;
  std::optional<int64_t> global;
  uint64_t op_counter = 0;
  // Draws so far per (global seed, op seed) pair; only ops given a seed have entries (an op without one takes a
  // fresh counter value, drawn once).
  std::map<std::pair<int64_t, int64_t>, uint64_t> uses;
  uint64_t entropy = (static_cast<uint64_t>(std::random_device{}()) << 32) ^ std::random_device{}();
};
Seeds& seeds() {
  static Seeds s;
  return s;
}

uint64_t next_key(std::optional<int64_t> seed) {
  Seeds& s = seeds();
  std::lock_guard<std::mutex> lock(s.mu);
  if (!s.global && !seed) return splitmix(s.entropy + s.op_counter++);
  const int64_t g = s.global.value_or(87654321);
  const int64_t op = seed ? *seed : static_cast<int64_t>(s.op_counter++);
  const uint64_t n = seed ? s.uses[{g, op}]++ : 0;
  return splitmix(static_cast<uint64_t>(g) ^ splitmix(static_cast<uint64_t>(op) ^ splitmix(n)));
}

// The keys of one random op: a replayed step draws the next key of the same sequence, as an eager step would.
// `stateless` (Keras initializers given a seed): one fixed key from the seed alone, so every call gives the same
// values whatever the global seed and the calls before.
std::function<uint64_t()> key_source(py::handle seed, bool stateless = false) {
  std::optional<int64_t> s;
  if (!seed.is_none()) s = seed.cast<int64_t>();
  if (stateless && s) {
    const uint64_t key = splitmix(splitmix(static_cast<uint64_t>(*s)) ^ 0x5851F42D4C957F2Dull);
    return [key] { return key; };
  }
  return [s] { return next_key(s); };
}

}  // namespace

void init_runtime(py::module_& m) {
  using namespace pybind11::literals;
  auto none = py::none();
  m.def("set_num_threads", &set_num_threads);
  m.def("get_num_threads", &num_threads);
  m.def("built_with_cuda", &cuda::built_with_cuda);
  m.def("cuda_device_count", &cuda::device_count);
  m.def("cuda_device_name", &cuda::device_name);
  m.def("cuda_compute_capability", &cuda::compute_capability);
  // Device placement: Python's tf.device sets this thread's device and restores the previous one on exit.
  m.def("_set_device", [](const std::string& kind, int index) {
    Device d{kind == "GPU" ? Device::CUDA : Device::CPU, index};
    if (d.type == Device::CUDA && (index < 0 || index >= cuda::device_count()))
      throw RuntimeError("[device] GPU:" + std::to_string(index) + " requested, but " +
                         std::to_string(cuda::device_count()) + " GPU(s) are visible");
    auto prev = set_thread_device(d);
    return py::make_tuple(prev.first, static_cast<int>(prev.second.type), prev.second.index);
  });
  m.def("_restore_device", [](bool had, int type, int index) {
    restore_thread_device(had, Device{static_cast<Device::Type>(type), index});
  });
  m.def("current_device", [] { return current_device().str(); });
  m.def("cuda_memory_info", [](int index) {
    cuda::MemoryInfo i = cuda::memory_info(index);
    return py::dict("current"_a = i.current, "peak"_a = i.peak);
  });
  m.def("cuda_reset_peak_memory", &cuda::reset_peak_memory);
  m.def("cuda_empty_cache", &cuda::empty_cache);
  m.def("cuda_synchronize", [](int index) {
    py::gil_scoped_release release;
    cuda::synchronize(index);
  });
  m.def("set_tf32", &cuda::set_tf32);
  m.def("tf32_enabled", &cuda::tf32_enabled);
  m.def("gemm_isa", &cpu::gemm_isa);
  m.def("gemm_force_isa", &cpu::gemm_force_isa);
  m.def("set_seed", [](py::handle seed) {
    Seeds& s = seeds();
    const std::optional<int64_t> global = seed.is_none() ? std::nullopt : std::optional<int64_t>(seed.cast<int64_t>());
    std::lock_guard<std::mutex> lock(s.mu);
    s.global = global;
    s.op_counter = 0;
    s.uses.clear();
  }, "seed"_a);
  // The whole random state (global seed, op counter, this process's entropy, the draws per seeded op), so that a
  // resumed training run continues the interrupted run's random streams (BackupAndRestore).
  m.def("_get_random_state", []() {
    Seeds& s = seeds();
    std::lock_guard<std::mutex> lock(s.mu);
    py::list uses;
    for (const auto& [key, n] : s.uses) uses.append(py::make_tuple(key.first, key.second, n));
    return py::make_tuple(s.global ? py::object(py::int_(*s.global)) : py::object(py::none()), s.op_counter,
                          s.entropy, uses);
  });
  m.def("_set_random_state", [](py::handle global, uint64_t op_counter, uint64_t entropy,
                                const std::vector<std::tuple<int64_t, int64_t, uint64_t>>& uses) {
    const std::optional<int64_t> g = global.is_none() ? std::nullopt : std::optional<int64_t>(global.cast<int64_t>());
    Seeds& s = seeds();
    std::lock_guard<std::mutex> lock(s.mu);
    s.global = g;
    s.op_counter = op_counter;
    s.entropy = entropy;
    s.uses.clear();
    for (const auto& [gs, op, n] : uses) s.uses[{gs, op}] = n;
  }, "global"_a, "op_counter"_a, "entropy"_a, "uses"_a);
  m.def("get_global_seed", []() -> py::object {
    std::lock_guard<std::mutex> lock(seeds().mu);
    if (seeds().global) return py::int_(*seeds().global);
    return py::none();
  });
  m.def("random_uniform", [](py::handle shape, py::handle minval, py::handle maxval, py::handle dtype, py::handle seed,
                             py::handle, bool stateless) {
    DType d = parse_dtype(dtype).value_or(DType::Float32);
    if (is_integer(d) && maxval.is_none()) throw ValueError("[random_uniform] Must specify maxval for integer dtype " + std::string(dtype_name(d)));
    double lo = minval.is_none() ? 0.0 : to_tensor(minval).item(), hi = maxval.is_none() ? 1.0 : to_tensor(maxval).item();
    return ops::random_uniform(parse_shape(shape), lo, hi, d, key_source(seed, stateless));
  }, "shape"_a, "minval"_a = 0, "maxval"_a = none, "dtype"_a = none, "seed"_a = none, "name"_a = none,
     "stateless"_a = false);
  m.def("random_normal", [](py::handle shape, double mean, double stddev, py::handle dtype, py::handle seed, py::handle,
                            bool stateless) {
    return ops::random_normal(parse_shape(shape), mean, stddev, parse_dtype(dtype).value_or(DType::Float32),
                              key_source(seed, stateless), false);
  }, "shape"_a, "mean"_a = 0.0, "stddev"_a = 1.0, "dtype"_a = none, "seed"_a = none, "name"_a = none,
     "stateless"_a = false);
  m.def("truncated_normal", [](py::handle shape, double mean, double stddev, py::handle dtype, py::handle seed,
                               py::handle, bool stateless) {
    return ops::random_normal(parse_shape(shape), mean, stddev, parse_dtype(dtype).value_or(DType::Float32),
                              key_source(seed, stateless), true);
  }, "shape"_a, "mean"_a = 0.0, "stddev"_a = 1.0, "dtype"_a = none, "seed"_a = none, "name"_a = none,
     "stateless"_a = false);
}

}  // namespace tapeflow
