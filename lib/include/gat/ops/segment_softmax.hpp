#pragma once
// Softmax over contiguous segments of rows. A segment is a node's neighbourhood (segments
// = CSR rows, offsets = row_ptr) in attention, or a graph's nodes (offsets = node offsets
// per graph) in global attention pooling: one kernel serves both. Both entry points throw
// gat::Error, before doing any work, unless offsets start at 0, never decrease and end at the
// row count, and the matrices have the same shape.

#include <vector>

#include "gat/core/types.hpp"

namespace gat::ops {

/// @brief y[p, h] = exp(x[p, h] - m) / Σ_{q in seg} exp(x[q, h] - m), m the segment maximum
/// per column; each column h is an independent softmax. An empty segment produces nothing.
/// @param offsets (S + 1) segment boundaries, @param x (offsets[S], H), @param y (offsets[S], H).
template <typename T>
void segment_softmax_forward(const std::vector<EdgeId>& offsets, MatrixCRef<T> x, MatrixRef<T> y);

/// @brief Backward: grad_x[p] = y[p] · (grad_y[p] - Σ_{q in seg} y[q] · grad_y[q]) per column.
/// @param y forward output, @param grad_y, @param grad_x (offsets[S], H) overwritten.
template <typename T>
void segment_softmax_backward(const std::vector<EdgeId>& offsets, MatrixCRef<T> y,
                              MatrixCRef<T> grad_y, MatrixRef<T> grad_x);

}  // namespace gat::ops
