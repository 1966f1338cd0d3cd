// The CUDA kernel table (core/dispatch.h). An entry runs its CUDA kernel (cuda/kernels.h) when there is one for
// its arguments; otherwise, and for the entries with no CUDA kernel yet, the CPU kernel runs on host copies of the
// operands' storages, which are then copied back (the fallback: same results, at the cost of two copies of every
// operand). This file is built in CPU-only builds too, where only the simulated GPU (cuda/simulated.h) reaches
// the table, all of it fallbacks.
#include <cstring>
#include <type_traits>
#include <utility>
#include <vector>

#include "tapeflow/core/dispatch.h"
#include "tapeflow/cuda/cuda_api.h"
#include "tapeflow/cuda/simulated.h"
#ifdef TAPEFLOW_WITH_CUDA
#include "tapeflow/cuda/kernels.h"
#endif

namespace tapeflow {
namespace {

// Host copies of the device storages a kernel's arguments view, one per storage, written back when done.
class HostMirror {
 public:
  Tensor operator()(const Tensor& t) {
    if (!t.defined() || t.device().type == Device::CPU) return t;
    auto impl = std::make_shared<TensorImpl>(*t.impl());
    impl->storage = mirror(t.storage());
    return Tensor(std::move(impl));
  }
  std::vector<Tensor> operator()(const std::vector<Tensor>& v) {
    std::vector<Tensor> r;
    for (const Tensor& t : v) r.push_back((*this)(t));
    return r;
  }
  std::vector<std::vector<Tensor>> operator()(const std::vector<std::vector<Tensor>>& v) {
    std::vector<std::vector<Tensor>> r;
    for (const auto& t : v) r.push_back((*this)(t));
    return r;
  }
  template <class T> const T& operator()(const T& v) { return v; }

  void write_back() {
    for (auto& [dev, host] : pairs_) copy_bytes(dev->data, dev->device, host->data, Device{}, dev->nbytes);
  }

 private:
  std::shared_ptr<Storage> mirror(const std::shared_ptr<Storage>& s) {
    for (auto& [dev, host] : pairs_)
      if (dev == s) return host;
    auto host = std::make_shared<Storage>(s->nbytes, Device{});
    copy_bytes(host->data, Device{}, s->data, s->device, s->nbytes);
    pairs_.emplace_back(s, host);
    return host;
  }
  std::vector<std::pair<std::shared_ptr<Storage>, std::shared_ptr<Storage>>> pairs_;
};

// The device storages a kernel takes, noted for a capture in progress (graph/plan.h) as its own kernel would.
template <class T> void note_touched(const T& v) {
  if constexpr (std::is_same_v<T, Tensor>) {
    if (v.defined()) v.raw_data();
  } else if constexpr (std::is_same_v<T, std::vector<Tensor>> || std::is_same_v<T, std::vector<std::vector<Tensor>>>) {
    for (const auto& t : v) note_touched(t);
  }
}

template <auto F> struct Fallback;
template <class R, class... A, R (*F)(A...)> struct Fallback<F> {
  static R run(A... a) {
    (note_touched(a), ...);
    std::vector<const Storage*>* touched = touched_storages();
    touched_storages() = nullptr;  // the host copies are not the step's buffers
    struct Restore {
      std::vector<const Storage*>* t;
      ~Restore() { touched_storages() = t; }
    } restore{touched};
    DeviceScope on_host(Device{});  // what the CPU kernel allocates is host memory
    HostMirror m;
    if constexpr (std::is_void_v<R>) {
      F(m(a)...);
      m.write_back();
    } else {
      R r = F(m(a)...);
      m.write_back();
      return r;
    }
  }
};

// The CUDA kernel C when it takes the arguments (it returns false when not), else the CPU kernel F on host copies.
template <auto C, auto F> struct CudaOrFallback;
template <auto C, class... A, void (*F)(A...)> struct CudaOrFallback<C, F> {
  static void run(A... a) {
    if (!C(a...)) Fallback<F>::run(a...);
  }
};

}  // namespace

const KernelTable& cuda_kernel_table() {
  static const KernelTable table = [] {
#define TF_FALLBACK_ENTRY(name) &Fallback<&cpu::name>::run,
    KernelTable t{TF_KERNEL_TABLE(TF_FALLBACK_ENTRY)};
#undef TF_FALLBACK_ENTRY
#ifdef TAPEFLOW_WITH_CUDA
    if (cuda::sim::enabled()) return t;  // a simulated GPU has only the fallbacks
#define TF_CUDA_ENTRY(name) t.name = &CudaOrFallback<&cuda::name, &cpu::name>::run;
    TF_CUDA_ENTRY(fill_scalar) TF_CUDA_ENTRY(copy) TF_CUDA_ENTRY(cast) TF_CUDA_ENTRY(unary) TF_CUDA_ENTRY(binary)
    TF_CUDA_ENTRY(where) TF_CUDA_ENTRY(reduce) TF_CUDA_ENTRY(softmax) TF_CUDA_ENTRY(softmax_xent)
    TF_CUDA_ENTRY(softmax_xent_grad) TF_CUDA_ENTRY(sigmoid_xent) TF_CUDA_ENTRY(sigmoid_xent_grad) TF_CUDA_ENTRY(gather)
    TF_CUDA_ENTRY(apply_update) TF_CUDA_ENTRY(matmul) TF_CUDA_ENTRY(gemm) TF_CUDA_ENTRY(range_fill)
    TF_CUDA_ENTRY(random_uniform) TF_CUDA_ENTRY(random_normal) TF_CUDA_ENTRY(arg_reduce) TF_CUDA_ENTRY(cumulative)
    TF_CUDA_ENTRY(im2col) TF_CUDA_ENTRY(col2im) TF_CUDA_ENTRY(max_pool2d) TF_CUDA_ENTRY(max_pool2d_grad)
    TF_CUDA_ENTRY(avg_pool2d) TF_CUDA_ENTRY(avg_pool2d_grad) TF_CUDA_ENTRY(batch_norm_forward)
    TF_CUDA_ENTRY(batch_norm_backward)
#undef TF_CUDA_ENTRY
    t.read_scalar = [](const Tensor& x) {
      double v = 0;
      cuda::read_scalar(x, &v);
      return v;
    };
#endif
    return t;
  }();
  return table;
}

}  // namespace tapeflow
