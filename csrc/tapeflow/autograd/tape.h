// The tape. Ops call TF_RECORD after computing their outputs; when no tape is
// active this is one thread-local load. A tape records an op when one of the
// op's inputs is watched by it (trainable variables are watched on first use
// unless watch_accessed_variables is off), and then watches the outputs.
// Gradient rules are written with public ops, so a rule run while an outer tape
// records is itself recorded: nested tapes give higher derivatives.
// Rules may return gradients in the broadcast shape of the op; the engine sums
// them back to each input's shape (sum_to), once, here.
#pragma once
#include <functional>
#include <memory>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "tapeflow/core/tensor.h"

namespace tapeflow {
namespace autograd {

using Tensors = std::vector<Tensor>;
// (inputs, outputs, grads of outputs) -> grads of inputs (undefined = none).
using BackwardFn = std::function<Tensors(const Tensors&, const Tensors&, const Tensors&)>;

// A sparse gradient (tf.IndexedSlices): `values` (n, ...) are the gradients of rows `indices` (n) of a tensor.
struct Slices { Tensor values, indices; };
// The gradient of an op's input 0 as slices, from (inputs, gradient of output 0). Gathers use it so that a
// looked-up variable gets the gradient of its rows without a dense (rows x ...) tensor.
using SparseFn = std::function<Slices(const Tensors&, const Tensor&)>;

struct Node {
  const char* op;
  Tensors inputs, outputs;
  BackwardFn backward;
  SparseFn sparse0;
};

class Tape : public std::enable_shared_from_this<Tape> {
 public:
  Tape(bool persistent, bool watch_accessed_variables)
      : persistent_(persistent), watch_accessed_(watch_accessed_variables) {}

  void push();  // becomes active on this thread (innermost)
  void pop();   // leaves the active set
  void watch(const Tensor& t);
  void pause() { ++paused_; }
  void resume() { if (paused_) --paused_; }
  bool recording() const { return active_ && paused_ == 0; }
  void reset();
  const Tensors& watched_variables() const { return watched_vars_; }

  // Gradients of sum(targets * output_grads) with respect to sources.
  // output_grads may hold undefined tensors (ones are used). Unconnected
  // sources give undefined tensors. With `sparse`, a variable source reached
  // only through ops with a SparseFn gets its gradient there as slices (and an
  // undefined tensor in the result); otherwise every gradient is dense.
  Tensors gradient(const Tensors& targets, const Tensors& sources, const Tensors& output_grads,
                   std::vector<Slices>* sparse = nullptr);

  // Called by record(): watches/collects variables and decides.
  bool wants(const Tensors& inputs);
  void add(const std::shared_ptr<Node>& node);

 private:
  bool persistent_, watch_accessed_;
  bool active_ = false, used_ = false;
  int paused_ = 0;
  std::unordered_set<uint64_t> watched_;
  Tensors watched_vars_;
  std::vector<std::shared_ptr<Node>> nodes_;
};

// Tapes active on this thread (shared ownership while active).
std::vector<std::shared_ptr<Tape>>& active_tapes();

inline bool any_active() { return !active_tapes().empty(); }
void record(const char* op, const Tensors& inputs, const Tensors& outputs, BackwardFn fn, SparseFn sparse0 = nullptr);

// Inside a gradient rule: whether the gradient of input j is used (it leads to a source). Rules of costly ops skip
// the gradients nobody needs (a layer's input batch); elsewhere, and by default, every input is needed.
bool input_needed(size_t j);

// Accumulate-into-output. Inside a gradient rule: a buffer holding the sum of what input j's other uses gave its
// gradient so far, into which the rule may add its own part in place (a GEMM with accumulate) and return it, after
// mark_accumulated(j); or an undefined tensor. Offered only for a buffer the tape owns (a fresh gradient product or
// a sum it made, that nothing else refers to), of the input's shape and dtype, contiguous, and while no tape
// records the rule's ops (an in-place write would change a value a higher-order tape saved). The decision depends
// on the graph alone, so a captured step makes the same one as the eager step.
Tensor accumulation_target(size_t j);
void mark_accumulated(size_t j);
// Inside a gradient rule: the gradient it returns for input j is a new buffer nothing else refers to, so that the
// input's later uses may accumulate into it.
void mark_fresh(size_t j);

// Sums a broadcast gradient down to `shape`.
Tensor sum_to(const Tensor& g, const Shape& shape);

}  // namespace autograd
}  // namespace tapeflow

#define TF_RECORD(op, inputs, outputs, ...) \
  do { if (::tapeflow::autograd::any_active()) ::tapeflow::autograd::record(op, inputs, outputs, __VA_ARGS__); } while (0)
