#pragma once
// Projections y = x·W for dense and sparse x, with their backward passes. Work is split
// into fixed chunks of rows and reductions sum chunks in order, so results do not depend
// on the thread count. Every entry point throws gat::Error, before doing any work, when the
// shapes do not agree (including a grad_x that is given but not sized (N, in)).

#include <vector>

#include "gat/core/sparse_matrix.hpp"
#include "gat/core/types.hpp"
#include "gat/ops/dropout.hpp"

namespace gat::ops {

/// @brief y = x·w.  @param x (N, in), @param w (in, out), @param y (N, out) overwritten.
/// @param x_dropout dropout applied to x on the way in: y = dropout(x)·w with dropout()'s masks
/// for an (N, in) matrix, each block of rows dropped in a per-thread scratch, so no dropped
/// (N, in) copy of x exists; the same bits as dropout() on a copy followed by the product.
template <typename T>
void matmul_forward(MatrixCRef<T> x, MatrixCRef<T> w, MatrixRef<T> y,
                    const DropoutSpec& x_dropout = {});

/// @brief Backward of y = x·w: grad_w += xᵀ·grad_y; grad_x = grad_y·wᵀ when grad_x is given.
/// @param grad_y (N, out), @param grad_w (in, out) accumulated, @param grad_x (N, in) or null.
/// @param x_dropout the forward's x_dropout: grad_w += dropout(x)ᵀ·grad_y, the dropped rows
/// rebuilt block by block from the same masks. grad_x is then the gradient with respect to
/// dropout(x); the caller applies the mask (dropout() on grad_x with the same rng) once every
/// other contribution to it is in.
template <typename T>
void matmul_backward(MatrixCRef<T> x, MatrixCRef<T> w, MatrixCRef<T> grad_y, MatrixRef<T> grad_w,
                     Matrix<T>* grad_x, const DropoutSpec& x_dropout = {});

/// @brief out += dropout(x)ᵀ·g (x_dropout as in matmul_forward; rate 0: xᵀ·g), summed over row
/// chunks in a fixed order: the weight gradient of matmul_backward, for any g.
/// @param x (N, a), @param g (N, b), @param out (a, b) accumulated.
template <typename T>
void matmul_tn(MatrixCRef<T> x, MatrixCRef<T> g, MatrixRef<T> out,
               const DropoutSpec& x_dropout = {});

/// @brief y = X·w for sparse X whose values are replaced by `values` (same order as X's
/// entries; input dropout passes the dropped values, or X.val itself).
/// @param x (N, in) structure, @param values (nnz), @param w (in, out), @param y (N, out).
template <typename T>
void spmm_forward(const SparseMatrix<T>& x, const std::vector<T>& values, MatrixCRef<T> w,
                  MatrixRef<T> y);

/// @brief Weight gradient of spmm_forward: grad_w[k, :] += Σ_i X[i, k] · grad_y[i, :], the
/// terms of each entry in ascending i whatever the thread count (threads own blocks of grad_w's
/// columns; no atomics, no transpose of X).
/// @param x (N, in), @param values (nnz) in x's entry order (zeros skipped), @param grad_y
/// (N, out), @param grad_w (in, out) accumulated.
template <typename T>
void spmm_backward_weight(const SparseMatrix<T>& x, const std::vector<T>& values,
                          MatrixCRef<T> grad_y, MatrixRef<T> grad_w);

/// @brief Bias gradient: grad_b += Σ_n grad_y[n, :], summed in fixed chunks of rows.
/// @param grad_y (N, out), @param grad_b (1, out) accumulated.
template <typename T>
void column_sum_backward(MatrixCRef<T> grad_y, MatrixRef<T> grad_b);

}  // namespace gat::ops
