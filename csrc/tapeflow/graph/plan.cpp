#include "tapeflow/graph/plan.h"

#include <chrono>

#include "tapeflow/core/error.h"

namespace tapeflow {
namespace graph {
namespace {

thread_local std::shared_ptr<Plan> t_capture;
std::atomic<uint64_t> g_moves{0};

}  // namespace

Plan* current() { return t_capture.get(); }

bool& in_kernel() {
  thread_local bool flag = false;
  return flag;
}

void begin_capture() {
  if (t_capture) throw RuntimeError("[capture] a capture is already active on this thread");
  t_capture = std::make_shared<Plan>();
  t_capture->moves_ = g_moves.load();
}

std::shared_ptr<Plan> end_capture() {
  if (!t_capture) throw RuntimeError("[capture] no capture is active on this thread");
  std::shared_ptr<Plan> p = std::move(t_capture);
  t_capture.reset();
  if (p->failure_.empty() && p->moves_ != g_moves.load())
    p->failure_ = "a variable moved to new storage during the step";
  if (!p->failure_.empty()) {
    p->kernels_.clear();  // never replayed: drop the buffers now
    p->written_.clear();
  }
  for (const Tensor& v : p->written_) p->counts_.push_back(v.storage().use_count());
  return p;
}

void fail(const std::string& why) {
  if (t_capture && t_capture->failure_.empty()) t_capture->failure_ = why;
}

void record(const char* where, Kernel k) {
  if (t_capture && t_capture->failure_.empty()) t_capture->kernels_.push_back(Step{where, std::move(k)});
}

void note_allocation(size_t nbytes) {
  if (!t_capture) return;
  t_capture->buffer_bytes_ += nbytes;
  ++t_capture->num_buffers_;
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
  for (size_t i = 0; i < written_.size(); ++i)
    if (written_[i].storage().use_count() > counts_[i]) return false;
  return true;
}

void Plan::run() const {
  if (!failure_.empty()) throw RuntimeError("[capture] this plan cannot be replayed: " + failure_);
  for (const Step& k : kernels_) k.run();
}

std::vector<std::pair<std::string, double>> Plan::profile(int reps) const {
  if (!failure_.empty()) throw RuntimeError("[capture] this plan cannot be replayed: " + failure_);
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
