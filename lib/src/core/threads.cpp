#include "gat/core/threads.hpp"

#include <omp.h>

#include <atomic>

#include "gat/core/error.hpp"

namespace gat {

namespace {
// The count set_num_threads last set, for entry points called from other threads (OpenMP's
// setting belongs to the thread that made it); 0: never set.
std::atomic<int> default_threads{0};
}  // namespace

void set_num_threads(int n) {
  GAT_CHECK(n >= 1, "thread count must be at least 1, got " << n);
  default_threads.store(n, std::memory_order_relaxed);
  omp_set_num_threads(n);
}

ThreadScope::ThreadScope(int n) {
  GAT_CHECK(n >= 0, "thread count must be at least 1 (or 0 for the default), got " << n);
  const int target = n > 0 ? n : default_threads.load(std::memory_order_relaxed);
  if (target > 0 && target != omp_get_max_threads()) {
    saved_ = omp_get_max_threads();
    omp_set_num_threads(target);
  }
}

ThreadScope::~ThreadScope() {
  if (saved_ > 0) omp_set_num_threads(saved_);
}

int num_threads() { return omp_get_max_threads(); }

}  // namespace gat
