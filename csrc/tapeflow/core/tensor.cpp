#include "tapeflow/core/tensor.h"

#include <cstdlib>
#include <cstring>
#include <mutex>
#include <new>
#include <unordered_map>

#include "tapeflow/core/dispatch.h"
#include "tapeflow/cuda/cuda_api.h"
#include "tapeflow/graph/plan.h"

namespace tapeflow {

namespace {

// Large CPU blocks are kept for reuse instead of being returned to the system: a training step allocates
// the same large buffers again and again, and fresh pages from the system cost a page fault each on first
// touch. Blocks of kCachedMin bytes or more are rounded up to kCacheGranule, reused on an exact size match,
// and kept up to kCacheCap bytes in all. Sanitizer builds free everything at once, so that they see each
// use after free.
constexpr size_t kCachedMin = size_t(1) << 18, kCacheGranule = size_t(1) << 16, kCacheCap = size_t(1) << 30;

#if defined(__SANITIZE_ADDRESS__)
constexpr bool kCacheBlocks = false;
#else
constexpr bool kCacheBlocks = true;
#endif

struct BlockCache {
  std::mutex mu;
  std::unordered_multimap<size_t, void*> free_blocks;
  size_t cached = 0;
};

BlockCache& block_cache() {
  static BlockCache* cache = new BlockCache();  // never destroyed: storages may outlive static destruction
  return *cache;
}

size_t rounded_size(size_t n) {
  size_t alloc = ((n + 63) / 64) * 64;
  if (alloc == 0) alloc = 64;
  if (kCacheBlocks && alloc >= kCachedMin) alloc = (alloc + kCacheGranule - 1) / kCacheGranule * kCacheGranule;
  return alloc;
}

void* cpu_alloc(size_t n) {
  const size_t alloc = rounded_size(n);
  if (kCacheBlocks && alloc >= kCachedMin) {
    BlockCache& c = block_cache();
    std::lock_guard<std::mutex> lock(c.mu);
    auto it = c.free_blocks.find(alloc);
    if (it != c.free_blocks.end()) {
      void* p = it->second;
      c.free_blocks.erase(it);
      c.cached -= alloc;
      return p;
    }
  }
  void* p = std::aligned_alloc(64, alloc);
  if (!p) throw std::bad_alloc();
  return p;
}

void cpu_free(void* p, size_t n) {
  const size_t alloc = rounded_size(n);
  if (kCacheBlocks && alloc >= kCachedMin) {
    BlockCache& c = block_cache();
    std::lock_guard<std::mutex> lock(c.mu);
    if (c.cached + alloc <= kCacheCap) {
      c.free_blocks.emplace(alloc, p);
      c.cached += alloc;
      return;
    }
  }
  std::free(p);
}

}  // namespace

Storage::Storage(size_t n, Device dev) : nbytes(n), device(dev) {
  if (dev.type == Device::CUDA) {
    data = cuda::device_alloc(n, dev.index);
    return;
  }
  data = cpu_alloc(n);
}

Storage::Storage(void* d, size_t n, std::shared_ptr<void> o) : data(d), nbytes(n), owner(std::move(o)) {}

Storage::~Storage() {
  if (owner) return;
  if (device.type == Device::CUDA) cuda::device_free(data, nbytes, device.index);
  else cpu_free(data, nbytes);
}

std::vector<const Storage*>*& touched_storages() {
  thread_local std::vector<const Storage*>* t = nullptr;
  return t;
}

void move_to_arena(Storage& s, const std::shared_ptr<void>& arena, size_t offset) {
  if (s.owner || s.device.type != Device::CPU) return;
  cpu_free(s.data, s.nbytes);
  s.data = static_cast<char*>(arena.get()) + offset;
  s.owner = arena;
}

namespace {
thread_local bool t_has_device = false;
thread_local Device t_device;
}  // namespace

Device current_device() {
  if (t_has_device) return t_device;
  static const Device dflt = cuda::device_count() > 0 ? Device{Device::CUDA, 0} : Device{};
  return dflt;
}

std::pair<bool, Device> set_thread_device(Device d) {
  std::pair<bool, Device> prev{t_has_device, t_device};
  t_has_device = true;
  t_device = d;
  return prev;
}

void restore_thread_device(bool had, Device d) {
  t_has_device = had;
  t_device = d;
}

DeviceScope::DeviceScope(Device d) {
  auto prev = set_thread_device(d);
  had_prev_ = prev.first;
  prev_ = prev.second;
}
DeviceScope::~DeviceScope() { restore_thread_device(had_prev_, prev_); }

void copy_bytes(void* dst, Device dst_dev, const void* src, Device src_dev, size_t n) {
  if (n == 0) return;
  if (dst_dev.type == Device::CPU && src_dev.type == Device::CPU) std::memcpy(dst, src, n);
  else cuda::copy_bytes(dst, dst_dev.type == Device::CUDA ? dst_dev.index : -1, src,
                        src_dev.type == Device::CUDA ? src_dev.index : -1, n);
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
  graph::note_allocation(impl->storage);
  impl->shape = shape;
  impl->strides = contiguous_strides(shape);
  impl->dtype = dtype;
  impl->id = next_tensor_id();
  return Tensor(std::move(impl));
}

Tensor Tensor::zeros(const Shape& shape, DType dtype, Device device) {
  Tensor t = empty(shape, dtype, device);
  if (t.numel()) TF_KERNEL(kern::fill_scalar(t, 0.0));
  return t;
}

Tensor Tensor::scalar(double v, DType dtype) {
  Tensor t = empty({}, dtype);
  kern::fill_scalar(t, v);
  t.storage()->host_constant = true;
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
  const Tensor self = *this;
  TF_KERNEL(kern::copy(self, out));
  return out;
}

double Tensor::item() const {
  if (numel() != 1) throw ValueError("[item] expected a tensor with one element, got shape " + shape_str(shape()));
  graph::check_host_read(*this, "item");
  return kern::read_scalar(*this);
}

Tensor Tensor::to(Device d) const {
  if (device() == d) return *this;
  const Tensor src = contiguous();
  Tensor out = empty(shape(), dtype(), d);
  copy_bytes(out.raw_data(), d, src.raw_data(), device(), static_cast<size_t>(numel()) * itemsize(dtype()));
  return out;
}

}  // namespace tapeflow
