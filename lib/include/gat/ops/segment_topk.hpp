#pragma once
// Top-k local attention: each node attends only to the k neighbours with the largest scores
// (per head). Applied to the scores e (E, H) before the segment softmax, the forward keeps the
// min(k, size) largest scores of each segment and column and sets the others to −∞, so that the
// softmax that follows gives them weight 0 and passes them zero gradient:
//
//   e ──segment_topk_forward──▶ ẽ ──segment_softmax_forward──▶ α
//
// (Exactly 0 in double, where the softmax calls std::exp. The float softmax's fast_exp clamps
// its input at −87, so it currently gives −∞ a weight of about 1e−38 instead.)
//
// Ties are broken by slot order (the earlier slot survives), so exactly min(k, size) scores
// survive even when many are equal. The selection is piecewise constant in the scores, so the
// backward is the identity on kept entries and 0 on masked ones; the mask is read back from the
// output (ẽ = −∞), nothing else is stored.

#include <vector>

#include "gat/core/types.hpp"

namespace gat::ops {

/// @brief y[p, h] = x[p, h] if slot p is among the k largest of x[·, h] in its segment (ties
/// to the earlier slot), else −∞. Exactly min(k, size) entries survive per segment and column.
/// An empty segment produces nothing. A NaN score ranks below every number and is passed
/// through as NaN whether kept or not, so divergence stays visible. May run in place.
/// @param offsets (S + 1) segment boundaries from 0 to E, @param k ≥ 1 entries kept,
/// @param x (E, H) scores, @param y (E, H) overwritten.
template <typename T>
void segment_topk_forward(const std::vector<EdgeId>& offsets, Eigen::Index k, MatrixCRef<T> x,
                          MatrixRef<T> y);

/// @brief Backward of the mask: grad_x[p, h] = grad_y[p, h] where y[p, h] > −∞ (kept), 0 where
/// y[p, h] = −∞ (masked). A score that was −∞ on input and kept also gets 0, as the gradient of
/// a following softmax there is 0 anyway. May run in place (grad_x aliasing grad_y).
/// @param offsets (S + 1), @param y (E, H) forward output, @param grad_y (E, H),
/// @param grad_x (E, H) overwritten.
template <typename T>
void segment_topk_backward(const std::vector<EdgeId>& offsets, MatrixCRef<T> y,
                           MatrixCRef<T> grad_y, MatrixRef<T> grad_x);

}  // namespace gat::ops
