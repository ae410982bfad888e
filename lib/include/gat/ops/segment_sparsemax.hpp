#pragma once
// Sparsemax over contiguous segments of rows (Martins & Astudillo, "From Softmax to Sparsemax",
// ICML 2016): a drop-in replacement for segment_softmax_forward in attention, taking the same
// offsets and (E, H) scores. Sparsemax is the Euclidean projection of a segment's scores z onto
// the probability simplex,
//
//   sparsemax(z) = argmin_{p ≥ 0, Σ p = 1} ‖p − z‖²  =  max(z − τ, 0),
//
// with the threshold τ chosen so that the result sums to one. Unlike softmax it gives exact
// zeros to scores below τ, so a node attends to a (usually small) subset of its neighbours.
//
// τ is found by sorting the segment's scores in descending order, z_(1) ≥ z_(2) ≥ …:
//   k* = max{k : 1 + k · z_(k) > Σ_{j≤k} z_(j)},   τ = (Σ_{j≤k*} z_(j) − 1) / k*.
// The support S = {p : y_p > 0} has k* elements, and on it the map is affine with Jacobian
// I − 1 1ᵀ / |S| (zero elsewhere), which gives the backward below. Sparsemax is piecewise
// linear: where a score equals τ the support changes and the map has a kink.

#include <vector>

#include "gat/core/types.hpp"

namespace gat::ops {

/// @brief y[·, h] = sparsemax(x[·, h]) over each segment [offsets[s], offsets[s+1]) and each
/// column h independently: non-negative, exact zeros outside the support, summing to one.
/// An empty segment produces nothing; a single-element segment gives 1. Scores of −∞ get
/// exactly 0 (as after segment_topk_forward). A segment column containing NaN or +∞, or whose
/// scores are all −∞, is set to NaN (never a crash), so the layer above sees the divergence.
/// May run in place (x and y the same matrix).
/// @param offsets (S + 1) segment boundaries from 0 to E, @param x (E, H) scores,
/// @param y (E, H) overwritten.
template <typename T>
void segment_sparsemax_forward(const std::vector<EdgeId>& offsets, MatrixCRef<T> x, MatrixRef<T> y);

/// @brief Backward from the output alone: with S = {p in the segment : y[p, h] > 0},
/// grad_x[p, h] = [p ∈ S] · (grad_y[p, h] − (1/|S|) Σ_{q∈S} grad_y[q, h]). May run in place
/// (grad_x aliasing grad_y).
/// @param offsets (S + 1), @param y (E, H) forward output, @param grad_y (E, H),
/// @param grad_x (E, H) overwritten.
template <typename T>
void segment_sparsemax_backward(const std::vector<EdgeId>& offsets, MatrixCRef<T> y,
                                MatrixCRef<T> grad_y, MatrixRef<T> grad_x);

}  // namespace gat::ops
