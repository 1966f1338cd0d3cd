#include "tapeflow/core/threadpool.h"

#include <algorithm>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

namespace tapeflow {
namespace {

thread_local bool t_in_worker = false;

class Pool {
 public:
  explicit Pool(int n) { resize(n); }
  ~Pool() { stop(); }

  int size() const { return static_cast<int>(workers_.size()) + 1; }

  void resize(int n) {
    std::lock_guard<std::mutex> g(run_mutex_);  // never while a parallel region runs
    stop();
    shutdown_ = false;
    const uint64_t gen = generation_;  // new workers wait for the next region, not a past one
    for (int i = 1; i < n; ++i) workers_.emplace_back([this, i, gen] { loop(i, gen); });
  }

  // Runs task(i) for i in [0, ntasks); the caller runs task 0.
  void run(int ntasks, const std::function<void(int)>& task) {
    std::lock_guard<std::mutex> serial(run_mutex_);  // one parallel region at a time
    {
      std::lock_guard<std::mutex> g(m_);
      task_ = &task;
      ntasks_ = ntasks;
      pending_ = ntasks - 1;
      error_ = nullptr;
      ++generation_;
    }
    cv_.notify_all();
    t_in_worker = true;
    try { task(0); } catch (...) { std::lock_guard<std::mutex> g(m_); if (!error_) error_ = std::current_exception(); }
    t_in_worker = false;
    std::unique_lock<std::mutex> lk(m_);
    done_cv_.wait(lk, [this] { return pending_ == 0; });
    task_ = nullptr;
    if (error_) std::rethrow_exception(error_);
  }

 private:
  void loop(int index, uint64_t seen) {
    t_in_worker = true;
    for (;;) {
      const std::function<void(int)>* task;
      {
        std::unique_lock<std::mutex> lk(m_);
        cv_.wait(lk, [&] { return shutdown_ || generation_ != seen; });
        if (shutdown_) return;
        seen = generation_;
        if (index >= ntasks_) continue;
        task = task_;
      }
      try { (*task)(index); } catch (...) { std::lock_guard<std::mutex> g(m_); if (!error_) error_ = std::current_exception(); }
      std::lock_guard<std::mutex> g(m_);
      if (--pending_ == 0) done_cv_.notify_one();
    }
  }

  void stop() {
    {
      std::lock_guard<std::mutex> g(m_);
      shutdown_ = true;
    }
    cv_.notify_all();
    for (auto& w : workers_) w.join();
    workers_.clear();
  }

  std::vector<std::thread> workers_;
  std::mutex m_, run_mutex_;
  std::condition_variable cv_, done_cv_;
  const std::function<void(int)>* task_ = nullptr;
  int ntasks_ = 0, pending_ = 0;
  uint64_t generation_ = 0;
  bool shutdown_ = false;
  std::exception_ptr error_;
};

int default_threads() { return std::max(1u, std::thread::hardware_concurrency()); }

Pool& pool() {
  static Pool* p = new Pool(default_threads());  // leaked on purpose: no join at static destruction
  return *p;
}

}  // namespace

int num_threads() { return pool().size(); }

void set_num_threads(int n) {
  if (n <= 0) n = default_threads();
  if (n != pool().size()) pool().resize(n);
}

void parallel_for(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& fn) {
  if (n <= 0) return;
  grain = std::max<int64_t>(grain, 1);
  int64_t max_tasks = (n + grain - 1) / grain;
  int nt = t_in_worker ? 1 : static_cast<int>(std::min<int64_t>(num_threads(), max_tasks));
  if (nt <= 1) { fn(0, n); return; }
  int64_t chunk = (n + nt - 1) / nt;
  pool().run(nt, [&](int i) {
    int64_t b = i * chunk, e = std::min(n, b + chunk);
    if (b < e) fn(b, e);
  });
}

}  // namespace tapeflow
