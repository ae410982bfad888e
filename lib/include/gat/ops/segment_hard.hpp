#pragma once
// Hard (stochastic) attention over contiguous segments of rows: each node attends to exactly
// one neighbour per head. It follows a segment softmax (or sparsemax): given the attention
// weights α (E, H), whose columns sum to one over each segment, the forward pass writes a
// one-hot y (E, H) per segment and column:
//
//   training:  one slot p drawn with probability α[p, h] (inverse CDF of one uniform),
//   inference: the argmax of α[·, h] (the first slot among equal maxima).
//
// The uniform of segment s and column h is rng.uniform(s·H + h): a pure function of the rng's
// key (seed, step, layer, stream) and of (s, h), so the draws are the same at any thread count
// and a new step (a new rng) draws afresh.
//
// Backward: the straight-through estimator. The one-hot output is piecewise constant in α, so
// its true derivative is zero almost everywhere and carries no signal. The straight-through
// estimator (Bengio, Léonard & Courville 2013) treats the sample as y = α + (onehot − α) with
// the bracket held constant, i.e. replaces ∂y/∂α by the identity: grad_α = grad_y, which the
// layer then back-propagates through the softmax that produced α.
//
// The estimator is biased. Since E[y] = α, the exact gradient of the expected loss E[L(y)] is
// Σ_p L(e_p) ∇α_p, whereas straight-through returns E[∇L(y)], the derivative of L at the
// sampled one-hot point. The two agree when L is linear in y (the aggregation Σ_j y_ij W h_j
// itself is linear), and differ through the nonlinearities after it. It is the usual choice
// anyway because the unbiased alternative (REINFORCE / score function, L(y) ∇log α_p) needs
// baselines or many samples to tame its variance, while straight-through costs one copy, has
// low variance and reuses the soft-attention backward unchanged.

#include <vector>

#include "gat/core/random.hpp"
#include "gat/core/types.hpp"

namespace gat::ops {

/// @brief One-hot hard attention: y[·, h] of each segment is e_p for one slot p, sampled with
/// probability α[p, h] / Σ_q α[q, h] from rng.uniform(s·H + h) when `training`, else the first
/// argmax of α[·, h] (rng unused). An empty segment produces nothing; a single-element segment
/// gives 1. Weights are expected non-negative with a positive sum (a softmax output); a slot of
/// weight 0 is never drawn. A segment column containing NaN is set to NaN (never a crash).
/// May run in place (y aliasing alpha).
/// @param offsets (S + 1) segment boundaries from 0 to E, @param alpha (E, H) weights,
/// @param training sample (true) or argmax (false), @param rng keyed by (seed, step, layer,
/// stream) by the caller, @param y (E, H) overwritten with the one-hot choices.
template <typename T>
void segment_hard_forward(const std::vector<EdgeId>& offsets, MatrixCRef<T> alpha, bool training,
                          const CounterRng& rng, MatrixRef<T> y);

/// @brief Straight-through backward: grad_alpha = grad_y (a biased estimator; see above).
/// In place (grad_alpha aliasing grad_y) it does nothing.
/// @param offsets (S + 1), @param grad_y (E, H), @param grad_alpha (E, H) overwritten.
template <typename T>
void segment_hard_backward(const std::vector<EdgeId>& offsets, MatrixCRef<T> grad_y,
                           MatrixRef<T> grad_alpha);

}  // namespace gat::ops
