#pragma once
// Element-wise activations with their backward passes.

#include "gat/core/types.hpp"

namespace gat::ops {

/// @brief ELU (α = 1): y = x for x > 0, exp(x) - 1 otherwise.  @param x, y same shape.
template <typename T>
void elu_forward(MatrixCRef<T> x, MatrixRef<T> y);

/// @brief Backward of ELU from its output: dy/dx = 1 for x > 0, exp(x) = y + 1 otherwise.
/// @param y forward output, @param grad_y, @param grad_x same shape (overwritten).
template <typename T>
void elu_backward(MatrixCRef<T> y, MatrixCRef<T> grad_y, MatrixRef<T> grad_x);

}  // namespace gat::ops
