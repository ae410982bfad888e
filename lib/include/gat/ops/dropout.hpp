#pragma once
// Inverted dropout with counter-based masks: entry k is kept with probability 1 - p and
// scaled by 1 / (1 - p), the decision being rng.keep(k, CounterRng::drop_threshold(p)). Dropout is
// linear in its input, so the backward pass is the same call on the gradient with the same rng: the
// mask is recomputed, never stored.

#include <vector>

#include "gat/core/random.hpp"
#include "gat/core/types.hpp"

namespace gat::ops {

/// @brief In place: x[r, c] ← keep(r·cols + c) ? x[r, c] / (1 - p) : 0.  p in [0, 1); throws
/// gat::Error for any other p (NaN included).
template <typename T>
void dropout(MatrixRef<T> x, double p, const CounterRng& rng);

/// @brief In place on a flat array (e.g. the non-zeros of a sparse matrix): x[k] as above,
/// p checked as above.
template <typename T>
void dropout(std::vector<T>& x, double p, const CounterRng& rng);

}  // namespace gat::ops
