#pragma once
// Pooling over segments of node rows: the readout of graph-level models. A mini-batch of G
// graphs stores its nodes as one (N, ·) matrix in which graph g owns the rows
// [offsets[g], offsets[g+1]); offsets has G + 1 entries, starts at 0 and ends at N (the same
// layout segment_softmax_forward takes, so attention pooling reuses that kernel).
//
// Each graph is reduced by one thread in row order, and graphs are handed out in fixed
// chunks, so results are bit-identical at any thread count. An empty graph pools to zeros
// (never NaN or -inf) and receives no gradient.
//
// Every entry point throws gat::Error, before doing any work, on offsets or shapes that
// disagree (check_segment_offsets below), and segment_max_backward on an arg-max that is not
// a row of its own graph.

#include <cstdint>
#include <vector>

#include "gat/core/types.hpp"

namespace gat::ops {

/// @brief Throws gat::Error unless offsets describes G ≥ 0 segments covering exactly `rows`
/// rows: offsets[0] == 0, non-decreasing, offsets[G] == rows. `what` names the caller.
/// @param offsets (G + 1), @param rows N.
void check_segment_offsets(const std::vector<EdgeId>& offsets, std::int64_t rows, const char* what);

/// @brief out[g, c] = Σ_{i in g} x[i, c].
/// @param offsets (G + 1), @param x (N, C), @param out (G, C) overwritten.
template <typename T>
void segment_sum_forward(const std::vector<EdgeId>& offsets, MatrixCRef<T> x, MatrixRef<T> out);

/// @brief Backward of segment_sum: grad_x[i] = grad_out[g] for every row i of graph g.
/// @param offsets (G + 1), @param grad_out (G, C), @param grad_x (N, C) overwritten.
template <typename T>
void segment_sum_backward(const std::vector<EdgeId>& offsets, MatrixCRef<T> grad_out,
                          MatrixRef<T> grad_x);

/// @brief out[g, c] = (1 / n_g) Σ_{i in g} x[i, c] with n_g the node count of g; 0 when n_g = 0.
/// @param offsets (G + 1), @param x (N, C), @param out (G, C) overwritten.
template <typename T>
void segment_mean_forward(const std::vector<EdgeId>& offsets, MatrixCRef<T> x, MatrixRef<T> out);

/// @brief Backward of segment_mean: grad_x[i] = grad_out[g] / n_g for every row i of graph g.
/// @param offsets (G + 1), @param grad_out (G, C), @param grad_x (N, C) overwritten.
template <typename T>
void segment_mean_backward(const std::vector<EdgeId>& offsets, MatrixCRef<T> grad_out,
                           MatrixRef<T> grad_x);

/// @brief out[g, c] = max_{i in g} x[i, c], per column; 0 for an empty graph. argmax[g·C + c]
/// receives the row that holds the maximum — the first such row on ties — or -1 for an empty
/// graph; the backward routes the gradient through it.
/// @param offsets (G + 1), @param x (N, C), @param out (G, C) overwritten,
/// @param argmax resized to (G·C), row-major like out.
template <typename T>
void segment_max_forward(const std::vector<EdgeId>& offsets, MatrixCRef<T> x, MatrixRef<T> out,
                         std::vector<EdgeId>& argmax);

/// @brief Backward of segment_max: grad_x[argmax[g, c], c] = grad_out[g, c], every other entry
/// zero (max is piecewise the identity of one row, the arg-max).
/// @param offsets (G + 1), @param argmax (G·C) from the forward, @param grad_out (G, C),
/// @param grad_x (N, C) overwritten.
template <typename T>
void segment_max_backward(const std::vector<EdgeId>& offsets, const std::vector<EdgeId>& argmax,
                          MatrixCRef<T> grad_out, MatrixRef<T> grad_x);

/// @brief Weighted sum per graph, one weight per node and head:
///   out[g, c] = Σ_{i in g} β[i, k(c)] · h[i, c],   k(c) = c / F,   F = C / K.
/// With K = 1 every channel of a node shares its weight (attention pooling); with K = H heads
/// and h of width H·F, head k weights the channels k·F .. k·F + F - 1 (multi-head pooling).
/// @param offsets (G + 1), @param beta (N, K), @param h (N, C) with C a multiple of K,
/// @param out (G, C) overwritten.
template <typename T>
void segment_weighted_sum_forward(const std::vector<EdgeId>& offsets, MatrixCRef<T> beta,
                                  MatrixCRef<T> h, MatrixRef<T> out);

/// @brief Backward of segment_weighted_sum, for row i of graph g:
///   grad_h[i, c] = β[i, k(c)] · grad_out[g, c],
///   grad_β[i, k] = Σ_{c in head k} h[i, c] · grad_out[g, c].
/// @param offsets (G + 1), @param beta (N, K), @param h (N, C), @param grad_out (G, C),
/// @param grad_beta (N, K) overwritten, @param grad_h (N, C) overwritten; neither may alias
/// an input.
template <typename T>
void segment_weighted_sum_backward(const std::vector<EdgeId>& offsets, MatrixCRef<T> beta,
                                   MatrixCRef<T> h, MatrixCRef<T> grad_out, MatrixRef<T> grad_beta,
                                   MatrixRef<T> grad_h);

}  // namespace gat::ops
