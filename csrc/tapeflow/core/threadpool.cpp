#include "tapeflow/core/threadpool.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define TF_CPU_RELAX() _mm_pause()
#else
#define TF_CPU_RELAX() std::this_thread::yield()
#endif

namespace tapeflow {
namespace {

thread_local bool t_in_worker = false;

// Spin this many times before blocking: waking a sleeping thread costs tens of
// microseconds, more than a whole small kernel, while regions in a training
// step come microseconds apart.
constexpr int kSpinIterations = 20000;

class Pool {
 public:
  explicit Pool(int n) { resize(n); }

  int size() const { return static_cast<int>(workers_.size()) + 1; }

  void resize(int n) {
    std::lock_guard<std::mutex> serial(run_mutex_);  // never while a parallel region runs
    stop();
    shutdown_ = false;
    const uint64_t gen = generation_.load();  // new workers wait for the next region, not a past one
    for (int i = 1; i < n; ++i) workers_.emplace_back([this, i, gen] { loop(i, gen); });
  }

  // Runs task(i) for i in [0, ntasks); the caller runs task 0.
  void run(int ntasks, const std::function<void(int)>& task) {
    std::lock_guard<std::mutex> serial(run_mutex_);  // one parallel region at a time
    {
      std::lock_guard<std::mutex> g(m_);
      task_ = &task;
      ntasks_ = ntasks;
      error_ = nullptr;
      pending_.store(ntasks - 1, std::memory_order_relaxed);
      generation_.fetch_add(1, std::memory_order_release);
    }
    cv_.notify_all();
    t_in_worker = true;
    try { task(0); } catch (...) { record_error(); }
    t_in_worker = false;
    for (int i = 0; i < kSpinIterations && pending_.load(std::memory_order_acquire) != 0; ++i) TF_CPU_RELAX();
    if (pending_.load(std::memory_order_acquire) != 0) {
      std::unique_lock<std::mutex> lk(m_);
      done_cv_.wait(lk, [this] { return pending_.load(std::memory_order_acquire) == 0; });
    }
    task_ = nullptr;
    if (error_) std::rethrow_exception(error_);
  }

 private:
  void record_error() {
    std::lock_guard<std::mutex> g(m_);
    if (!error_) error_ = std::current_exception();
  }

  void loop(int index, uint64_t seen) {
    t_in_worker = true;
    for (;;) {
      for (int i = 0; i < kSpinIterations && generation_.load(std::memory_order_acquire) == seen && !shutdown_; ++i)
        TF_CPU_RELAX();
      const std::function<void(int)>* task;
      int ntasks;
      {
        std::unique_lock<std::mutex> lk(m_);
        cv_.wait(lk, [&] { return shutdown_ || generation_.load(std::memory_order_acquire) != seen; });
        if (shutdown_) return;
        seen = generation_.load(std::memory_order_acquire);
        task = task_;
        ntasks = ntasks_;
      }
      if (index >= ntasks) continue;
      try { (*task)(index); } catch (...) { record_error(); }
      if (pending_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
        std::lock_guard<std::mutex> g(m_);  // pairs with the caller's predicate check
        done_cv_.notify_one();
      }
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
  int ntasks_ = 0;
  std::atomic<int> pending_{0};
  std::atomic<uint64_t> generation_{0};
  std::atomic<bool> shutdown_{false};
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
