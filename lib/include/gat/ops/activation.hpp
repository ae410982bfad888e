#pragma once
// Element-wise activations with their backward passes. Each throws gat::Error, before doing
// any work, when its arguments' shapes differ.

#include "gat/core/types.hpp"

namespace gat::ops {

/// @brief ELU (α = 1): y = x for x > 0, exp(x) - 1 otherwise.  @param x, y same shape.
template <typename T>
void elu_forward(MatrixCRef<T> x, MatrixRef<T> y);

/// @brief Backward of ELU from its output: dy/dx = 1 for x > 0, exp(x) = y + 1 otherwise.
/// @param y forward output, @param grad_y, @param grad_x same shape (overwritten; may alias
/// grad_y).
template <typename T>
void elu_backward(MatrixCRef<T> y, MatrixCRef<T> grad_y, MatrixRef<T> grad_x);

/// @brief tanh, element-wise: y = tanh(x), for the survey's activated-general score
/// e_ij = act(k_j · M q_i + b).  @param x, y same shape (y may alias x).
template <typename T>
void tanh_forward(MatrixCRef<T> x, MatrixRef<T> y);

/// @brief Backward of tanh from its output: dy/dx = 1 - tanh²(x) = 1 - y².
/// @param y forward output, @param grad_y, @param grad_x same shape (overwritten; may alias
/// grad_y).
template <typename T>
void tanh_backward(MatrixCRef<T> y, MatrixCRef<T> grad_y, MatrixRef<T> grad_x);

}  // namespace gat::ops
