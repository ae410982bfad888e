#pragma once
// Private helpers of the projections in linear.cpp, shared with the other CPU kernels.

#include "gat/core/types.hpp"

namespace gat::ops::detail {

/// out += xᵀ·g, a reduction over the N rows summed in fixed chunks of rows, in order, so the
/// result does not depend on the thread count. Unchecked: callers check the shapes
/// x (N, a), g (N, b), out (a, b).
template <typename T>
void matmul_tn_accumulate(MatrixCRef<T> x, MatrixCRef<T> g, MatrixRef<T> out);

}  // namespace gat::ops::detail
