#include "tapeflow/graph/plan.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <new>
#include <unordered_map>
#include <unordered_set>

#include "tapeflow/core/error.h"
#include "tapeflow/graph/fuse.h"

namespace tapeflow {
namespace graph {
namespace {

thread_local std::shared_ptr<Plan> t_capture;
std::atomic<uint64_t> g_moves{0};

}  // namespace

Plan* current() { return t_capture.get(); }

void begin_capture(const std::vector<Tensor>& variables) {
  if (t_capture) throw RuntimeError("[capture] a capture is already active on this thread");
  t_capture = std::make_shared<Plan>();
  t_capture->moves_ = g_moves.load();
  std::unordered_set<const Storage*> seen;
  for (const Tensor& v : variables)
    if (v.defined() && seen.insert(v.storage().get()).second)
      t_capture->refs_before_.emplace_back(v.storage(), v.storage().use_count());
}

std::shared_ptr<Plan> end_capture(const std::vector<Tensor>& inputs) {
  if (!t_capture) throw RuntimeError("[capture] no capture is active on this thread");
  std::shared_ptr<Plan> p = std::move(t_capture);
  t_capture.reset();
  if (p->failure_.empty() && p->moves_ != g_moves.load())
    p->failure_ = "a variable moved to new storage during the step";
  if (p->failure_.empty()) {
    std::unordered_set<const Storage*> known(p->allocated_at_.begin(), p->allocated_at_.end());
    for (const Tensor& t : inputs)
      if (t.defined()) known.insert(t.storage().get());
    auto reads_state = [&](const Step& k) {
      return std::any_of(k.touched.begin(), k.touched.end(), [&](const Storage* s) {
        return !known.count(s) && !s->variable && !s->host_constant;
      });
    };
    auto it = std::find_if(p->kernels_.begin(), p->kernels_.end(), reads_state);
    if (it != p->kernels_.end())
      p->failure_ = std::string("a kernel (") + it->where +
                    ") reads a tensor computed before the step that is neither a variable nor an input (state kept "
                    "in Python, such as a stateful RNN's)";
  }
  if (!p->failure_.empty()) {
    p->kernels_.clear();  // never replayed: drop the buffers now
    p->written_.clear();
    p->allocated_.clear();
    p->allocated_at_.clear();
  }
  // The references a variable gained during the step are the plan's own: copies its kernels keep (views of a bias,
  // its gradient rules' saved operands). A plan that failed keeps no kernels.
  for (const auto& [storage, before] : p->refs_before_) {
    if (!p->failure_.empty()) break;
    const std::shared_ptr<Storage> s = storage.lock();
    const long own = s ? std::max(0L, s.use_count() - 1 - before) : 0;  // not counting `s` itself
    if (own == 0) continue;
    s->plan_refs += own;
    p->held_.push_back(s);
    p->own_refs_.push_back(own);
  }
  for (const Tensor& v : p->written_) p->outside_refs_.push_back(v.storage().use_count() - v.storage()->plan_refs);
  p->refs_before_.clear();
  return p;
}

Plan::~Plan() {
  kernels_.clear();  // the saved copies go first
  for (size_t i = 0; i < held_.size(); ++i)
    if (const std::shared_ptr<Storage> s = held_[i].lock()) s->plan_refs -= own_refs_[i];
}

void fail(const std::string& why) {
  if (t_capture && t_capture->failure_.empty()) t_capture->failure_ = why;
}

void record(const char* where, Kernel k, std::vector<const Storage*> touched, std::shared_ptr<const Elementwise> ew) {
  if (!t_capture || !t_capture->failure_.empty()) return;
  std::sort(touched.begin(), touched.end());
  touched.erase(std::unique(touched.begin(), touched.end()), touched.end());
  t_capture->kernels_.push_back(Step{where, std::move(k), std::move(touched), std::move(ew)});
}

void note_allocation(const std::shared_ptr<Storage>& s) {
  if (!t_capture) return;
  t_capture->allocated_.push_back(s);
  t_capture->allocated_at_.push_back(s.get());
}

void note_variable_moved() { g_moves.fetch_add(1); }

void note_variable_written(const Tensor& v) {
  if (!t_capture) return;
  for (const Tensor& w : t_capture->written_)
    if (w.impl() == v.impl()) return;
  t_capture->written_.push_back(v);
}

void check_host_read(const Tensor& t, const char* what) {
  if (!t_capture || !t.defined()) return;
  if (t.is_variable() || !t.storage()->host_constant)
    fail(std::string("the step reads a computed value on the host (") + what +
         "), so its Python code may depend on data");
}

bool Plan::valid() const {
  if (!failure_.empty() || moves_ != g_moves.load()) return false;
  for (size_t i = 0; i < written_.size(); ++i) {
    const std::shared_ptr<Storage>& s = written_[i].storage();
    if (s.use_count() - s->plan_refs > outside_refs_[i]) return false;
  }
  return true;
}

void Plan::check_replayable() const {
  if (!failure_.empty()) throw RuntimeError("[capture] this plan cannot be replayed: " + failure_);
}

void Plan::run() const {
  check_replayable();
  for (const Step& k : kernels_) k.run();
}

void Plan::plan_memory(const std::vector<Tensor>& keep) {
  if (planned_ || !failure_.empty()) return;
  planned_ = true;
  std::unordered_set<const Storage*> kept;
  for (const Tensor& t : keep)
    if (t.defined()) kept.insert(t.storage().get());
  fuse_elementwise(kernels_, kept, std::unordered_set<const Storage*>(allocated_at_.begin(), allocated_at_.end()));
  struct Buffer {
    std::shared_ptr<Storage> s;
    size_t size, offset = 0;
    int64_t first = -1, last = -1;
  };
  std::vector<Buffer> bufs;
  std::unordered_map<const Storage*, size_t> index;
  for (const auto& w : allocated_) {
    std::shared_ptr<Storage> s = w.lock();
    if (!s || s->host_constant || s->owner || s->nbytes == 0 || s->device.type != Device::CPU || kept.count(s.get()) ||
        index.count(s.get()))
      continue;
    index.emplace(s.get(), bufs.size());
    bufs.push_back(Buffer{s, (s->nbytes + 63) / 64 * 64});
  }
  // A storage address seen in an earlier kernel may have belonged to a temporary freed since: that only widens
  // the lifetime of the buffer now at that address, which is safe.
  for (size_t k = 0; k < kernels_.size(); ++k)
    for (const Storage* s : kernels_[k].touched) {
      auto it = index.find(s);
      if (it == index.end()) continue;
      Buffer& b = bufs[it->second];
      if (b.first < 0) b.first = static_cast<int64_t>(k);
      b.last = static_cast<int64_t>(k);
    }
  std::vector<Buffer*> order;
  for (Buffer& b : bufs)
    if (b.first >= 0) order.push_back(&b);
  std::stable_sort(order.begin(), order.end(), [](const Buffer* a, const Buffer* b) { return a->size > b->size; });
  // Largest first, each at the lowest offset clear of the placed buffers whose lifetimes overlap its own.
  std::vector<Buffer*> placed;
  size_t total = 0;
  for (Buffer* b : order) {
    std::vector<Buffer*> clash;
    for (Buffer* p : placed)
      if (p->first <= b->last && b->first <= p->last) clash.push_back(p);
    std::sort(clash.begin(), clash.end(), [](const Buffer* x, const Buffer* y) { return x->offset < y->offset; });
    size_t off = 0;
    for (const Buffer* p : clash)
      if (off + b->size > p->offset && p->offset + p->size > off) off = std::max(off, p->offset + p->size);
    b->offset = off;
    total = std::max(total, off + b->size);
    placed.push_back(b);
  }
  if (placed.empty()) return;
  void* mem = std::aligned_alloc(64, total);
  if (!mem) throw std::bad_alloc();
  std::shared_ptr<void> arena(mem, std::free);
  for (Buffer* b : placed) move_to_arena(*b->s, arena, b->offset);
  arena_bytes_ = total;
}

MemoryStats Plan::memory() const {
  MemoryStats m;
  std::unordered_set<const Storage*> seen;
  for (const auto& w : allocated_) {
    std::shared_ptr<Storage> s = w.lock();
    if (!s || !seen.insert(s.get()).second) continue;
    ++m.buffers;
    m.buffer_bytes += s->nbytes;
    if (s->owner) ++m.planned;
  }
  m.arena_bytes = arena_bytes_;
  return m;
}

std::vector<std::pair<std::string, double>> Plan::profile(int reps) const {
  check_replayable();
  std::vector<std::pair<std::string, double>> out;
  for (const Step& k : kernels_) out.emplace_back(k.where, 0.0);
  for (int r = 0; r < reps; ++r)
    for (size_t i = 0; i < kernels_.size(); ++i) {
      const auto t0 = std::chrono::steady_clock::now();
      kernels_[i].run();
      out[i].second += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    }
  return out;
}

}  // namespace graph
}  // namespace tapeflow
