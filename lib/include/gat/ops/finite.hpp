#pragma once
// A check of a whole activation for NaN and infinities, run after every layer at inference.
// Eigen's allFinite() is a serial scalar loop, which at a million nodes was 7 % of a training
// step and its inference pass; this one is vectorised and parallel. Its answer is a logical
// AND, so it does not depend on the thread count.

#include "gat/core/types.hpp"

namespace gat::ops {

/// @brief Whether every entry of m is finite (neither NaN nor ±infinity).
template <typename T>
bool all_finite(MatrixCRef<T> m);

}  // namespace gat::ops
