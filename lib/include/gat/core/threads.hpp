#pragma once
// Thread control. Kernels parallelise over fixed-size chunks of rows, and every reduction
// sums its chunks in chunk order, so the thread count changes speed, never results.

namespace gat {

/// @brief Sets the number of OpenMP threads the library uses (n >= 1): for the calling thread,
/// and for the library's entry points (training, evaluation, gat::infer) called from any other
/// thread, such as a std::thread worker, whose own OpenMP setting would otherwise be the default.
void set_num_threads(int n);
/// @brief The number of threads the library will use in the calling thread.
int num_threads();

/// @brief Runs the enclosing scope on `n` OpenMP threads (n ≥ 1), or, for n = 0, on the count
/// last given to set_num_threads (unchanged when it was never called); restores the calling
/// thread's previous count at the end. The library's entry points open one for their
/// `threads` option, so a per-call count is honoured from any thread.
class ThreadScope {
 public:
  explicit ThreadScope(int n);
  ~ThreadScope();
  ThreadScope(const ThreadScope&) = delete;
  ThreadScope& operator=(const ThreadScope&) = delete;

 private:
  int saved_ = 0;  // the count to restore; 0: nothing was changed
};

/// Rows per chunk of a parallel loop or reduction. Fixed, so that the summation order of
/// every reduction is independent of the thread count.
inline constexpr long kRowChunk = 256;

}  // namespace gat
