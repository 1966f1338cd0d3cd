#include "tapeflow/autograd/tape.h"

#include <algorithm>

#include "tapeflow/ops/ops.h"

namespace tapeflow {
namespace autograd {

std::vector<std::shared_ptr<Tape>>& active_tapes() {
  thread_local std::vector<std::shared_ptr<Tape>> tapes;
  return tapes;
}

void Tape::push() {
  if (active_) throw RuntimeError("[GradientTape] this tape is already active; tapes cannot be entered twice");
  active_ = true;
  active_tapes().push_back(shared_from_this());
}

void Tape::pop() {
  auto& tapes = active_tapes();
  for (size_t i = tapes.size(); i-- > 0;)
    if (tapes[i].get() == this) { tapes.erase(tapes.begin() + static_cast<int64_t>(i)); break; }
  active_ = false;
}

void Tape::watch(const Tensor& t) {
  if (!is_floating(t.dtype())) return;  // as TensorFlow: non-float values have no gradient
  if (watched_.insert(t.id()).second && t.is_variable()) watched_vars_.push_back(t);
}

void Tape::reset() {
  nodes_.clear();
  watched_.clear();
  watched_vars_.clear();
  used_ = false;
}

bool Tape::wants(const Tensors& inputs) {
  bool hit = false;
  for (const Tensor& t : inputs) {
    if (!t.defined()) continue;
    if (watch_accessed_ && t.is_variable() && t.impl()->trainable) watch(t);
    if (watched_.count(t.id())) hit = true;
  }
  return hit;
}

void Tape::add(const std::shared_ptr<Node>& node) {
  nodes_.push_back(node);
  for (const Tensor& o : node->outputs)
    if (is_floating(o.dtype())) watched_.insert(o.id());
}

void record(const char* op, const Tensors& inputs, const Tensors& outputs, BackwardFn fn, SparseFn sparse0) {
  bool any_float = false;
  for (const Tensor& o : outputs) any_float |= is_floating(o.dtype());
  if (!any_float) return;
  std::shared_ptr<Node> node;
  for (auto& tape : active_tapes()) {
    if (!tape->recording() || !tape->wants(inputs)) continue;
    if (!node) {
      node = std::make_shared<Node>();
      node->op = op;
      node->inputs.reserve(inputs.size());
      for (const Tensor& t : inputs) node->inputs.push_back(t.defined() ? t.snapshot() : t);
      node->outputs = outputs;
      node->backward = std::move(fn);
      node->sparse0 = std::move(sparse0);
    }
    tape->add(node);
  }
}

namespace {
// What the tape tells a rule and hears back from it, per input, for one rule call.
enum Given : char { kUnknown = 0, kFresh, kAccumulated };
struct RuleContext {
  std::vector<char> needed;
  Tensors targets;
  std::vector<char> given;
};
thread_local RuleContext* t_rule = nullptr;

// Sets the rule context for one rule call (restored after, also on throw).
struct RuleScope {
  RuleContext* saved;
  explicit RuleScope(RuleContext* c) : saved(t_rule) { t_rule = c; }
  ~RuleScope() { t_rule = saved; }
};

bool any_recording() {
  for (const auto& t : active_tapes())
    if (t->recording()) return true;
  return false;
}
}  // namespace

bool input_needed(size_t j) { return !t_rule || j >= t_rule->needed.size() || t_rule->needed[j]; }

Tensor accumulation_target(size_t j) {
  return t_rule && j < t_rule->targets.size() ? t_rule->targets[j] : Tensor();
}

void mark_accumulated(size_t j) {
  if (t_rule && j < t_rule->given.size()) t_rule->given[j] = kAccumulated;
}

void mark_fresh(size_t j) {
  if (t_rule && j < t_rule->given.size()) t_rule->given[j] = kFresh;
}

Tensor sum_to(const Tensor& g, const Shape& shape) {
  if (g.shape() == shape) return g;
  const int64_t lead = g.ndim() - static_cast<int64_t>(shape.size());
  std::vector<int64_t> axes;
  for (int64_t i = 0; i < g.ndim(); ++i)
    if (i < lead || (shape[i - lead] == 1 && g.dim(i) != 1)) axes.push_back(i);
  Tensor r = axes.empty() ? g : ops::reduce_sum(g, axes, false);
  return ops::reshape(r, shape);
}

Tensors Tape::gradient(const Tensors& targets, const Tensors& sources, const Tensors& output_grads,
                       std::vector<Slices>* sparse) {
  if (used_ && !persistent_)
    throw RuntimeError(
        "[gradient] A non-persistent GradientTape can only be used to compute one set of gradients (or jacobians)");
  used_ = true;

  // Which recorded values depend on a source: only those nodes need rules run.
  // Only watched sources can receive gradients (others stay unconnected). A trainable variable that is itself a
  // target counts as read (its gradient is ones, as in TensorFlow) even when no op read it.
  std::unordered_set<uint64_t> relevant, target_ids;
  for (const Tensor& t : targets) target_ids.insert(t.id());
  for (const Tensor& s : sources)
    if (watched_.count(s.id()) ||
        (watch_accessed_ && s.is_variable() && s.impl()->trainable && target_ids.count(s.id())))
      relevant.insert(s.id());
  std::vector<char> node_relevant(nodes_.size(), 0);
  for (size_t i = 0; i < nodes_.size(); ++i) {
    for (const Tensor& in : nodes_[i]->inputs)
      if (in.defined() && relevant.count(in.id())) { node_relevant[i] = 1; break; }
    if (node_relevant[i])
      for (const Tensor& o : nodes_[i]->outputs) relevant.insert(o.id());
  }

  std::unordered_map<uint64_t, Tensor> grads;
  // Entries whose buffer only `grads` refers to (a rule's fresh product, or a sum made here): a later use of the
  // same input may accumulate into them in place (accumulation_target). An entry handed to its producer's rule as
  // `gout` is never a target after that: every use of a value is processed before the node that made it.
  std::unordered_set<uint64_t> owned;
  auto accumulate = [&](uint64_t id, const Tensor& g, bool fresh) {
    auto it = grads.find(id);
    if (it == grads.end()) {
      grads.emplace(id, g);
      if (fresh) owned.insert(id);
    } else {
      it->second = ops::add(it->second, g);
      owned.insert(id);
    }
  };
  const bool in_place_ok = !any_recording();
  for (size_t k = 0; k < targets.size(); ++k) {
    const Tensor& t = targets[k];
    if (!is_floating(t.dtype())) continue;
    DeviceScope on_target(t.device());
    Tensor seed = k < output_grads.size() && output_grads[k].defined() ? ops::to_device(output_grads[k], t.device())
                                                                        : ops::ones_like(t);
    if (seed.shape() != t.shape()) seed = ops::broadcast_to(seed, t.shape());
    accumulate(t.id(), seed, false);
  }

  std::unordered_map<uint64_t, std::vector<Slices>> sparse_parts;
  std::unordered_set<uint64_t> source_ids, variable_sources;
  for (const Tensor& s : sources) {
    source_ids.insert(s.id());
    if (s.is_variable()) variable_sources.insert(s.id());
  }
  pause();
  try {
    for (size_t i = nodes_.size(); i-- > 0;) {
      if (!node_relevant[i]) continue;
      const Node& node = *nodes_[i];
      Tensors gout(node.outputs.size());
      bool any = false;
      for (size_t j = 0; j < node.outputs.size(); ++j) {
        auto it = grads.find(node.outputs[j].id());
        if (it != grads.end()) { gout[j] = it->second; any = true; }
      }
      if (!any) continue;
      // The rule runs where the op ran (whatever device is in scope now).
      const Device dev = node.outputs.empty() ? current_device() : node.outputs[0].device();
      DeviceScope on_op(dev);
      for (size_t j = 0; j < node.outputs.size(); ++j) {
        const Tensor& o = node.outputs[j];
        if (!gout[j].defined() && is_floating(o.dtype())) gout[j] = ops::zeros(o.shape(), o.dtype());
        else gout[j] = ops::to_device(gout[j], o.device());
        if (!source_ids.count(o.id())) grads.erase(o.id());
      }
      // Input 0 as slices: a variable source (a leaf, so nothing upstream needs its dense gradient).
      size_t first = 0;
      if (sparse && node.sparse0 && node.inputs[0].defined() && variable_sources.count(node.inputs[0].id()) &&
          relevant.count(node.inputs[0].id())) {
        sparse_parts[node.inputs[0].id()].push_back(node.sparse0(node.inputs, gout[0]));
        first = 1;
      }
      const size_t n = node.inputs.size();
      RuleContext rule{std::vector<char>(n, 0), Tensors(n), std::vector<char>(n, kUnknown)};
      bool rest = false;
      for (size_t j = first; j < n; ++j) {
        const Tensor& in = node.inputs[j];
        rule.needed[j] = in.defined() && is_floating(in.dtype()) && relevant.count(in.id());
        rest |= rule.needed[j] != 0;
        if (!rule.needed[j] || !in_place_ok || !owned.count(in.id())) continue;
        const Tensor& e = grads.at(in.id());
        if (e.is_contiguous() && e.dtype() == in.dtype() && e.shape() == in.shape()) rule.targets[j] = e;
      }
      if (!rest) continue;
      Tensors gin;
      {
        RuleScope scope(&rule);
        gin = node.backward(node.inputs, node.outputs, gout);
      }
      for (size_t j = first; j < n && j < gin.size(); ++j) {
        const Tensor& in = node.inputs[j];
        if (!gin[j].defined() || !in.defined() || !is_floating(in.dtype()) || !relevant.count(in.id())) continue;
        if (rule.given[j] == kAccumulated) {
          if (!rule.targets[j].defined() || gin[j].impl() != rule.targets[j].impl())
            throw RuntimeError("[gradient] a rule accumulated into a buffer it was not given");
          continue;  // already in grads, in place
        }
        Tensor g = sum_to(gin[j], in.shape());
        if (g.dtype() != in.dtype()) g = ops::cast(g, in.dtype());
        accumulate(in.id(), g, rule.given[j] == kFresh);
      }
    }
  } catch (...) {
    resume();
    throw;
  }
  resume();

  Tensors result(sources.size());
  if (sparse) sparse->assign(sources.size(), Slices{});
  for (size_t k = 0; k < sources.size(); ++k) {
    if (!relevant.count(sources[k].id())) continue;
    auto it = grads.find(sources[k].id());
    if (it != grads.end()) result[k] = it->second;
    auto sp = sparse_parts.find(sources[k].id());
    if (sp == sparse_parts.end()) continue;
    Tensors values, indices;
    for (const Slices& part : sp->second) {
      values.push_back(part.values);
      indices.push_back(part.indices.dtype() == DType::Int64 ? part.indices : ops::cast(part.indices, DType::Int64));
    }
    Slices all{values.size() == 1 ? values[0] : ops::concat(values, 0),
               indices.size() == 1 ? indices[0] : ops::concat(indices, 0)};
    if (all.values.dtype() != sources[k].dtype()) all.values = ops::cast(all.values, sources[k].dtype());
    if (result[k].defined())  // also used densely: one dense gradient
      result[k] = ops::add(result[k], ops::scatter_nd(ops::expand_dims(all.indices, -1), all.values, sources[k].shape()));
    else
      (*sparse)[k] = all;
  }
  if (!persistent_) nodes_.clear();
  return result;
}

}  // namespace autograd
}  // namespace tapeflow
