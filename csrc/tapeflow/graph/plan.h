// A captured step: the kernel calls one eager run made, replayed over the same
// buffers without Python, allocation or tape bookkeeping.
//
// While a capture is active on a thread, every kernel an op launches through
// TF_KERNEL runs at once and is also appended to the plan as a closure that
// holds its operand tensors (so their storage lives as long as the plan).
// Values the closures compute at run time stay live: a random kernel draws a
// fresh key each replay, an optimizer reads its step counter and learning rate
// from their variables. What a plan cannot reproduce makes the capture fail
// with a reason (fail()): a host read of a computed value, a data-dependent
// shape, a variable created inside the step, a kernel reading a tensor computed
// before the step that is not a variable or an input (state kept in Python, as
// a stateful RNN's last states: a replay would read the captured one again).
// The caller then keeps the eager result and does not replay.
//
// A plan refers to variable storage through views, so it is valid only while no
// variable has moved to new storage (copy on write outside a capture; a global
// counter of such moves), and while nothing outside the plan has taken a new
// reference to the storage of a variable the step writes (a replay writes in
// place, where an eager step would copy on write to keep that reference's
// values). valid() checks both; the caller then runs the step eagerly once.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "tapeflow/core/tensor.h"

namespace tapeflow {
namespace graph {

using Kernel = std::function<void()>;

// A float32 elementwise map recorded with its structure, so that the plan can fuse chains of them (graph/fuse.h):
// out = op(a) (unary) or op(a, b) (binary), out contiguous, each input a contiguous tensor of out's size or a single
// value (all strides 0; binary only).
struct Elementwise {
  bool binary;
  int op;  // a cpu::UnaryOp or cpu::BinaryOp
  Tensor a, b, out;
};

// A recorded kernel, the function that launched it (for profiles), the storages whose data it took, and, for an
// elementwise map, its structure.
struct Step {
  const char* where;
  Kernel run;
  std::vector<const Storage*> touched;
  std::shared_ptr<const Elementwise> ew;
};

struct MemoryStats {
  size_t buffers = 0, buffer_bytes = 0;    // the live buffers the capture allocated, and their bytes
  size_t planned = 0, arena_bytes = 0;      // those placed in the shared arena by plan_memory, and its size
};

class Plan {
 public:
  // Runs every kernel in order (the calling thread; kernels use the thread pool). A caller that feeds the input
  // buffers first holds mutex() across both, so that two Python threads replaying one plan take turns.
  void run() const;
  std::mutex& mutex() const { return mu_; }
  bool valid() const;
  ~Plan();
  const std::string& failure() const { return failure_; }
  size_t num_kernels() const { return kernels_.size(); }
  // Memory planning: chains of elementwise maps are fused first (graph/fuse.h); then every buffer the capture
  // allocated that a kernel uses, except `keep` (the step's results, which Python reads) and host constants, gets
  // a place in one arena by its lifetime (first to last kernel that uses it): buffers whose lifetimes do not
  // overlap share memory. Their own blocks are freed. Call once, after the capture, while nothing but the plan
  // refers to the step's intermediates.
  void plan_memory(const std::vector<Tensor>& keep);
  MemoryStats memory() const;
  // Runs the plan `reps` times and returns, per kernel, where it was launched and its total seconds.
  std::vector<std::pair<std::string, double>> profile(int reps) const;

 private:
  friend void begin_capture(const std::vector<Tensor>&);
  friend std::shared_ptr<Plan> end_capture(const std::vector<Tensor>&);
  friend void fail(const std::string&);
  friend void record(const char*, Kernel, std::vector<const Storage*>, std::shared_ptr<const Elementwise>);
  friend void note_allocation(const std::shared_ptr<Storage>&);
  friend void note_variable_written(const Tensor&);
  void check_replayable() const;
  std::vector<Step> kernels_;
  // The variables the step writes, and the references others held to each one's storage at the end of the capture.
  std::vector<Tensor> written_;
  std::vector<long> outside_refs_;
  // Variable storages this plan's kernels hold references to, and how many (added to Storage::plan_refs while the
  // plan lives).
  std::vector<std::weak_ptr<Storage>> held_;
  std::vector<long> own_refs_;
  std::vector<std::pair<std::weak_ptr<Storage>, long>> refs_before_;  // while capturing: variables' references
  std::string failure_;
  uint64_t moves_ = 0;
  std::vector<std::weak_ptr<Storage>> allocated_;
  std::vector<const Storage*> allocated_at_;  // their addresses (also of those freed since)
  size_t arena_bytes_ = 0;
  bool planned_ = false;
  mutable std::mutex mu_;
};

// The plan being captured on this thread, or null.
Plan* current();
inline bool capturing() { return current() != nullptr; }

// Starts capturing on this thread (throws RuntimeError if a capture is already active). `variables`: those the
// step may write (the references to them it adds are the plan's own; see Storage::plan_refs).
void begin_capture(const std::vector<Tensor>& variables = {});
// Ends the capture and returns its plan (failure() says why it cannot be replayed, if so). `inputs`: the buffers
// the caller feeds before each replay.
std::shared_ptr<Plan> end_capture(const std::vector<Tensor>& inputs);
// Marks the current capture as not replayable; the first reason is kept.
void fail(const std::string& why);
void record(const char* where, Kernel k, std::vector<const Storage*> touched,
            std::shared_ptr<const Elementwise> ew = nullptr);
void note_allocation(const std::shared_ptr<Storage>& s);

// A variable's value moved to new storage (copy on write): every plan made before is stale.
void note_variable_moved();
// A variable written in place by the step being captured.
void note_variable_written(const Tensor& v);
// Fails the capture if it reads on the host a value that a replay would change (anything but a constant that
// came from the host).
void check_host_read(const Tensor& t, const char* what);

// Points touched_storages() at a list for the life of one captured kernel (so also while it throws).
struct Touching {
  explicit Touching(std::vector<const Storage*>* list) { touched_storages() = list; }
  ~Touching() { touched_storages() = nullptr; }
};

// Runs f now and, while capturing, records it for replay (with ew, its structure, if any). Inside a recorded kernel
// (touched_storages() is set), what it launches itself is part of it and is not recorded again.
template <class F>
void kernel(const char* where, F&& f, std::shared_ptr<const Elementwise> ew = nullptr) {
  if (!capturing() || touched_storages()) {
    f();
    return;
  }
  std::vector<const Storage*> touched;
  {
    Touching scope(&touched);
    f();
  }
  record(where, Kernel(std::forward<F>(f)), std::move(touched), std::move(ew));
}

}  // namespace graph
}  // namespace tapeflow

// A kernel launch: the statement runs now and is recorded in an active capture. Operands are captured by value:
// Tensor handles (never raw data pointers taken outside the statement), shapes and parameters.
#define TF_KERNEL(...) ::tapeflow::graph::kernel(__func__, [=]() { __VA_ARGS__; })
