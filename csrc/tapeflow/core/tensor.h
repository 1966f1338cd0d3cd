// Tensor: a strided view (shape, strides in elements, offset) of a shared,
// reference-counted Storage on one Device. Copying a Tensor copies the handle,
// not the data. Every TensorImpl carries a unique id that the tape uses to
// identify values; a variable keeps its id across assignments.
#pragma once
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "tapeflow/core/dtype.h"
#include "tapeflow/core/error.h"
#include "tapeflow/core/shape.h"

namespace tapeflow {

struct Device {
  enum Type : uint8_t { CPU = 0, CUDA = 1 };
  Type type = CPU;
  int index = 0;
  bool operator==(const Device& o) const { return type == o.type && index == o.index; }
  bool operator!=(const Device& o) const { return !(*this == o); }
  std::string str() const { return std::string(type == CPU ? "CPU:" : "GPU:") + std::to_string(index); }
};

// The device that new tensors are allocated on and ops run on when none is named: on each thread, the innermost
// DeviceScope (Python's `tf.device`), else GPU:0 when a GPU is visible, else CPU:0.
Device current_device();
class DeviceScope {
 public:
  explicit DeviceScope(Device d);
  ~DeviceScope();
  DeviceScope(const DeviceScope&) = delete;
  DeviceScope& operator=(const DeviceScope&) = delete;
 private:
  Device prev_;
  bool had_prev_;
};
// Sets this thread's device for the rest of a Python `with tf.device(...)` block; returns whether one was set before
// and which (the caller restores it with restore_device).
std::pair<bool, Device> set_thread_device(Device d);
void restore_thread_device(bool had, Device d);

// Copies n bytes between any two devices (waits for the device's pending work first, so host memory is ready on
// return).
void copy_bytes(void* dst, Device dst_dev, const void* src, Device src_dev, size_t n);

// A block of device memory. CPU storage allocated here is 64-byte aligned; borrowed memory (a NumPy array viewed
// without a copy) is aligned to its element size. No kernel relies on more.
struct Storage : std::enable_shared_from_this<Storage> {
  void* data = nullptr;
  size_t nbytes = 0;
  Device device;
  // Filled once from host data (a constant from Python or a scalar), never written by a kernel: reading it on
  // the host inside a captured step is safe.
  bool host_constant = false;
  bool variable = false;  // a tf.Variable's value (written only by assignments and optimizer updates)
  // Set when `data` is not a block of this storage's own but lies in memory this keeps alive: a captured step's
  // arena (memory planning), or a NumPy array viewed without a copy.
  std::shared_ptr<void> owner;
  // References to this (variable's) storage held inside live captured plans: views their kernels use, and the
  // copies a step's gradient rules saved of the variable. Replays write the variable in place, which those expect,
  // so they do not count as sharing (graph/plan.h).
  std::atomic<long> plan_refs{0};
  Storage(size_t nbytes, Device device);
  // CPU memory of someone else's, kept alive by `owner`.
  Storage(void* data, size_t nbytes, std::shared_ptr<void> owner);
  ~Storage();
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;
};

uint64_t next_tensor_id();

// While a kernel is being captured: the storages whose data it takes (graph/plan.h), else null.
std::vector<const Storage*>*& touched_storages();
// Frees a CPU storage's own block and points it at arena + offset instead (memory planning of captured steps).
void move_to_arena(Storage& s, const std::shared_ptr<void>& arena, size_t offset);

struct TensorImpl {
  std::shared_ptr<Storage> storage;
  Shape shape;
  Shape strides;  // in elements
  int64_t offset = 0;  // in elements
  int64_t numel = 0;
  DType dtype = DType::Float32;
  uint64_t id = 0;
  bool is_variable = false;
  bool trainable = false;
};

class Tensor {
 public:
  Tensor() = default;
  explicit Tensor(std::shared_ptr<TensorImpl> impl) : impl_(std::move(impl)) {}

  // A new contiguous tensor with uninitialised contents.
  static Tensor empty(const Shape& shape, DType dtype, Device device = current_device());
  static Tensor zeros(const Shape& shape, DType dtype, Device device = current_device());
  // A 0-d tensor holding `v` converted to dtype (on the current device).
  static Tensor scalar(double v, DType dtype);

  bool defined() const { return impl_ != nullptr; }
  const Shape& shape() const { return impl_->shape; }
  const Shape& strides() const { return impl_->strides; }
  int64_t dim(int64_t i) const { return impl_->shape[i]; }
  int64_t ndim() const { return static_cast<int64_t>(impl_->shape.size()); }
  int64_t numel() const { return impl_->numel; }
  int64_t offset() const { return impl_->offset; }
  DType dtype() const { return impl_->dtype; }
  Device device() const { return impl_->storage->device; }
  uint64_t id() const { return impl_->id; }
  bool is_variable() const { return impl_->is_variable; }
  bool is_contiguous() const;
  const std::shared_ptr<Storage>& storage() const { return impl_->storage; }
  TensorImpl* impl() const { return impl_.get(); }
  const std::shared_ptr<TensorImpl>& impl_ptr() const { return impl_; }

  void* raw_data() const {
    if (std::vector<const Storage*>* t = touched_storages()) t->push_back(impl_->storage.get());
    return static_cast<char*>(impl_->storage->data) + impl_->offset * static_cast<int64_t>(itemsize(impl_->dtype));
  }
  template <class T> T* data() const { return static_cast<T*>(raw_data()); }

  // A view sharing storage, with a fresh id.
  Tensor as_strided(const Shape& shape, const Shape& strides, int64_t offset) const;
  // A handle to the same data and id whose shape/strides/storage no longer
  // follow later assignments to a variable (what the tape saves).
  Tensor snapshot() const;
  // This tensor as a contiguous tensor (itself when already contiguous).
  Tensor contiguous() const;
  // Reads element 0 of a one-element tensor as double.
  double item() const;
  // This tensor's values on `device`, contiguous (itself when it is there already). Not recorded on a tape (the op
  // ops::to_device is).
  Tensor to(Device device) const;

 private:
  std::shared_ptr<TensorImpl> impl_;
};

}  // namespace tapeflow
