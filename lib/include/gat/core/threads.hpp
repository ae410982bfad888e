#pragma once
// Thread control. Kernels parallelise over fixed-size chunks of rows, and every reduction
// sums its chunks in chunk order, so the thread count changes speed, never results.

namespace gat {

/// @brief Sets the number of OpenMP threads the library uses (n >= 1).
void set_num_threads(int n);
/// @brief The number of threads the library will use.
int num_threads();

/// Rows per chunk of a parallel loop or reduction. Fixed, so that the summation order of
/// every reduction is independent of the thread count.
inline constexpr long kRowChunk = 256;

}  // namespace gat
