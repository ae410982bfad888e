#pragma once
// Attention-weighted aggregation (a sparse × dense product per head):
//   out[i, h, :] = Σ_{p = (j → i)} alpha[p, h] · z[j, h, :]
// The destination-keyed CSR makes each out row one segment: parallel over rows, no atomics.
// Every entry point throws gat::Error, before doing any work, on a shape that disagrees with
// the graph or the other arguments (H ≥ 1 heads must divide z's width H·F).

#include "gat/core/types.hpp"
#include "gat/graph/csr.hpp"

namespace gat::ops {

/// @brief Forward of the aggregation above. A node with no in-edges gets zeros.
/// @param alpha (E, H) weights in slot order, @param z (N, H·F), @param out (N, H·F) overwritten.
template <typename T>
void aggregate_forward(const CsrGraph& graph, MatrixCRef<T> alpha, MatrixCRef<T> z,
                       MatrixRef<T> out);

/// @brief Backward. grad_alpha[p, h] = <grad_out[i, h, :], z[j, h, :]> (overwritten), and
/// grad_z[j, h, :] += Σ_{p out of j} alpha[p, h] · grad_out[i, h, :], computed per source row
/// on the cached transpose (the aggregation run on the reversed graph).
/// @param grad_out (N, H·F), @param grad_alpha (E, H), @param grad_z (N, H·F) accumulated.
template <typename T>
void aggregate_backward(const CsrGraph& graph, MatrixCRef<T> alpha, MatrixCRef<T> z,
                        MatrixCRef<T> grad_out, MatrixRef<T> grad_alpha, MatrixRef<T> grad_z);

// Channel-wise aggregation, for multi-dimensional attention (one weight per edge and channel,
// C = H·F channels):
//   out[i, c] = Σ_{p = (j → i)} alpha[p, c] · z[j, c]
// It equals aggregate_forward with C heads of width 1, but its inner loop runs over the C
// contiguous channels of a row instead of the F = 1 features of one head, so it vectorises.

/// @brief Channel-wise aggregation: out[i, c] = Σ_{p = (j → i)} alpha[p, c] · z[j, c].
/// A node with no in-edges gets zeros. Throws gat::Error on a shape mismatch.
/// @param alpha (E, H·F) weights in slot order, @param z (N, H·F), @param out (N, H·F)
/// overwritten; out must not alias alpha or z.
template <typename T>
void aggregate_channels_forward(const CsrGraph& graph, MatrixCRef<T> alpha, MatrixCRef<T> z,
                                MatrixRef<T> out);

/// @brief Backward: grad_alpha[p, c] = grad_out[i, c] · z[j, c] (overwritten), and
/// grad_z[j, c] += Σ_{p out of j} alpha[p, c] · grad_out[i, c] (accumulated), computed per
/// source row on the cached transpose, no atomics. Throws gat::Error on a shape mismatch.
/// @param alpha (E, H·F), @param z (N, H·F), @param grad_out (N, H·F),
/// @param grad_alpha (E, H·F) overwritten (may be alpha itself, to save a buffer),
/// @param grad_z (N, H·F) accumulated.
template <typename T>
void aggregate_channels_backward(const CsrGraph& graph, MatrixCRef<T> alpha, MatrixCRef<T> z,
                                 MatrixCRef<T> grad_out, MatrixRef<T> grad_alpha,
                                 MatrixRef<T> grad_z);

}  // namespace gat::ops
