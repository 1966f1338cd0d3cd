#include "tapeflow/core/tensor.h"

#include <cstdlib>
#include <cstring>
#include <new>

#include "tapeflow/cpu/kernels.h"
#include "tapeflow/cuda/cuda_api.h"

namespace tapeflow {

Storage::Storage(size_t n, Device dev) : nbytes(n), device(dev) {
  if (dev.type == Device::CUDA) {
    data = cuda::device_alloc(n, dev.index);
    return;
  }
  size_t alloc = ((n + 63) / 64) * 64;
  if (alloc == 0) alloc = 64;
  data = std::aligned_alloc(64, alloc);
  if (!data) throw std::bad_alloc();
}

Storage::~Storage() {
  if (device.type == Device::CUDA) cuda::device_free(data, device.index);
  else std::free(data);
}

uint64_t next_tensor_id() {
  static std::atomic<uint64_t> counter{1};
  return counter.fetch_add(1, std::memory_order_relaxed);
}

Tensor Tensor::empty(const Shape& shape, DType dtype, Device device) {
  auto impl = std::make_shared<TensorImpl>();
  impl->numel = checked_numel(shape, "empty");
  if (impl->numel > static_cast<int64_t>((size_t(1) << 62) / itemsize(dtype)))
    throw ValueError("[empty] shape " + shape_str(shape) + " is too large to allocate");
  impl->storage = std::make_shared<Storage>(static_cast<size_t>(impl->numel) * itemsize(dtype), device);
  impl->shape = shape;
  impl->strides = contiguous_strides(shape);
  impl->dtype = dtype;
  impl->id = next_tensor_id();
  return Tensor(std::move(impl));
}

Tensor Tensor::zeros(const Shape& shape, DType dtype, Device device) {
  Tensor t = empty(shape, dtype, device);
  if (t.numel()) std::memset(t.raw_data(), 0, t.storage()->nbytes);
  return t;
}

Tensor Tensor::scalar(double v, DType dtype) {
  Tensor t = empty({}, dtype);
  cpu::fill_scalar(t, v);
  return t;
}

bool Tensor::is_contiguous() const {
  int64_t expected = 1;
  for (int64_t i = ndim() - 1; i >= 0; --i) {
    if (impl_->shape[i] == 1) continue;
    if (impl_->strides[i] != expected) return false;
    expected *= impl_->shape[i];
  }
  return true;
}

Tensor Tensor::as_strided(const Shape& shape, const Shape& strides, int64_t offset) const {
  auto impl = std::make_shared<TensorImpl>();
  impl->storage = impl_->storage;
  impl->shape = shape;
  impl->strides = strides;
  impl->offset = offset;
  impl->numel = checked_numel(shape, "view");
  impl->dtype = impl_->dtype;
  impl->id = next_tensor_id();
  return Tensor(std::move(impl));
}

Tensor Tensor::snapshot() const {
  if (!impl_->is_variable) return *this;
  auto impl = std::make_shared<TensorImpl>(*impl_);
  impl->is_variable = false;
  return Tensor(std::move(impl));
}

Tensor Tensor::contiguous() const {
  if (is_contiguous()) return *this;
  Tensor out = empty(shape(), dtype(), device());
  cpu::copy(*this, out);
  return out;
}

double Tensor::item() const {
  if (numel() != 1) throw ValueError("[item] expected a tensor with one element, got shape " + shape_str(shape()));
  return cpu::read_scalar(*this);
}

}  // namespace tapeflow
