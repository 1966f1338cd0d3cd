// Fusion of elementwise chains in a captured plan.
//
// Ops record their float32 elementwise maps with an Elementwise description (describe_unary / describe_binary,
// while capturing). After the capture, fuse_elementwise folds a map into the later map that consumes its result
// when nothing else can see that result: no other kernel touches its buffer, it is not a result of the step, a
// variable or a host constant, and no kernel in between touches the producer's inputs (one might write them in
// place). The merged map is a small program run over tiles of a few hundred values that stay in L1: one kernel
// and one pass over memory for the whole chain (such as a tanh's gradient, g * (1 - y * y)), and its intermediate
// buffers are never written. Each instruction is the same range map as the unfused kernel (cpu::f32_range_*), so
// the values are bit for bit those of the eager step.
#pragma once
#include <memory>
#include <unordered_set>
#include <vector>

#include "tapeflow/cpu/kernels.h"
#include "tapeflow/graph/plan.h"

namespace tapeflow {
namespace graph {

// The description of out = op(x) or op(a, b) for a kernel being recorded, or null: not capturing, or not a float32
// map the fused programs run (operands must be as Elementwise says).
std::shared_ptr<const Elementwise> describe_unary(cpu::UnaryOp op, const Tensor& x, const Tensor& out);
std::shared_ptr<const Elementwise> describe_binary(cpu::BinaryOp op, const Tensor& a, const Tensor& b, const Tensor& out);

// Fuses chains in `steps` (in place). kept: storages of the step's results; allocated: storages the capture made.
void fuse_elementwise(std::vector<Step>& steps, const std::unordered_set<const Storage*>& kept,
                      const std::unordered_set<const Storage*>& allocated);

}  // namespace graph
}  // namespace tapeflow
