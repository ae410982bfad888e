#pragma once
// A compressed-sparse-row matrix of values, used for bag-of-words node features (N, in).
// Kept sparse end to end: the first projection is a sparse × dense product, and its
// weight gradient runs over the cached transpose, so the features are never densified.

#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

#include "gat/core/types.hpp"

namespace gat {

/// @brief CSR matrix: row r holds columns col[row_ptr[r] .. row_ptr[r+1]) with values val.
template <typename T>
struct SparseMatrix {
  std::int64_t rows = 0;
  std::int64_t cols = 0;
  std::vector<EdgeId> row_ptr{0};  // (rows + 1)
  std::vector<std::int32_t> col;   // (nnz), ascending within each row
  std::vector<T> val;              // (nnz)

  std::int64_t nnz() const { return static_cast<std::int64_t>(col.size()); }
};

/// @brief The transpose of a SparseMatrix, plus for each of its entries the index of the
/// same entry in the original (so per-entry data such as dropout masks can be looked up).
template <typename T>
struct SparseTranspose {
  SparseMatrix<T> matrix;  // (cols, rows)
  std::vector<EdgeId>
      source_slot;  // (nnz): entry k of matrix is entry source_slot[k] of the original
};

/// @brief Checks shape and index invariants; throws gat::Error naming what is wrong.
template <typename T>
void validate(const SparseMatrix<T>& m);

/// @brief Builds the transpose by a stable counting sort (deterministic order).
template <typename T>
SparseTranspose<T> transpose(const SparseMatrix<T>& m);

/// @brief Divides each row by its sum (rows summing to zero are left as they are), as the
/// GAT paper preprocesses bag-of-words features.
template <typename T>
void row_normalize(SparseMatrix<T>& m);

/// @brief Dense copy (rows, cols); for tests and small inputs only.
template <typename T>
Matrix<T> to_dense(const SparseMatrix<T>& m);

/// @brief Sparse copy of a dense matrix, keeping exact non-zeros.
template <typename T>
SparseMatrix<T> from_dense(const Matrix<T>& d);

/// @brief The same matrix with values converted to U (e.g. float → double for gradient checks).
template <typename U, typename T>
SparseMatrix<U> cast(const SparseMatrix<T>& m) {
  SparseMatrix<U> out;
  out.rows = m.rows;
  out.cols = m.cols;
  out.row_ptr = m.row_ptr;
  out.col = m.col;
  out.val.assign(m.val.begin(), m.val.end());
  return out;
}

}  // namespace gat

namespace gat {

/// @brief A sparse input matrix (bag-of-words features), the type that tells a model its
/// input is sparse. The weight gradient runs over its rows (spmm_backward_weight), so no
/// transpose is kept.
template <typename T>
struct SparseInput {
  SparseMatrix<T> matrix;  // (N, in)

  SparseInput() = default;
  explicit SparseInput(SparseMatrix<T> m) : matrix(std::move(m)) {}
};

}  // namespace gat
