#pragma once
// Private helpers of the projections in linear.cpp, shared with the other CPU kernels.

#include "gat/core/types.hpp"
#include "gat/ops/dropout.hpp"

namespace gat::ops::detail {

/// out += dropout(x)ᵀ·g, a reduction over the N rows summed in fixed chunks of rows, in order, so
/// the result does not depend on the thread count; each chunk of dropout(x) is rebuilt in a
/// per-thread scratch (see matmul_forward). Unchecked: callers check the shapes
/// x (N, a), g (N, b), out (a, b).
template <typename T>
void matmul_tn_accumulate(MatrixCRef<T> x, MatrixCRef<T> g, MatrixRef<T> out,
                          const DropoutSpec& x_dropout = {});

}  // namespace gat::ops::detail
