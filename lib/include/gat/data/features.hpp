#pragma once
// FeatureView: node features (N, in) as the trainers and gat::infer read them, without owning
// or copying them. Bag-of-words features stay sparse (the first projection is a sparse × dense
// product); dense features, such as embeddings a program already holds, are read in place from
// the caller's row-major memory (an Eigen matrix, an Eigen::Map, or a raw pointer), so nothing
// is converted or doubled.

#include <cstdint>

#include "gat/core/error.hpp"
#include "gat/core/sparse_matrix.hpp"
#include "gat/core/types.hpp"

namespace gat {

/// @brief A non-owning view of node features (N, in), sparse or dense. The viewed memory must
/// outlive the view and every call it is passed to.
class FeatureView {
 public:
  /// @brief Sparse features (N, in).
  FeatureView(const SparseMatrix<float>& sparse)  // NOLINT(google-explicit-constructor)
      : sparse_(&sparse), rows_(sparse.rows), cols_(sparse.cols) {}
  /// @brief Dense features (N, in): any row-major float matrix or block with unit inner stride,
  /// an Eigen::Map of the caller's memory included (no copy is made).
  FeatureView(MatrixCRef<float> dense)  // NOLINT(google-explicit-constructor)
      : data_(dense.data()),
        rows_(dense.rows()),
        cols_(dense.cols()),
        stride_(dense.outerStride()) {}
  /// @brief Dense features in the caller's memory: `rows` rows of `cols` floats, row r starting
  /// at data + r·stride (stride 0: packed, = cols).
  FeatureView(const float* data, std::int64_t rows, std::int64_t cols, std::int64_t stride = 0)
      : data_(data), rows_(rows), cols_(cols), stride_(stride == 0 ? cols : stride) {
    GAT_CHECK(rows >= 0 && cols >= 0 && stride_ >= cols && (data != nullptr || rows * cols == 0),
              "FeatureView: bad dense features: " << rows << " x " << cols << " with row stride "
                                                  << stride_);
  }

  bool is_sparse() const { return sparse_ != nullptr; }
  std::int64_t rows() const { return rows_; }  // N
  std::int64_t cols() const { return cols_; }  // in
  /// @brief The sparse matrix; only when is_sparse().
  const SparseMatrix<float>& sparse() const {
    GAT_CHECK(sparse_ != nullptr, "FeatureView: the features are dense, not sparse");
    return *sparse_;
  }
  /// @brief The dense features as an Eigen view of the caller's memory; only when !is_sparse().
  Eigen::Map<const Matrix<float>, 0, Eigen::OuterStride<>> dense() const {
    GAT_CHECK(sparse_ == nullptr, "FeatureView: the features are sparse, not dense");
    return {data_, rows_, cols_, Eigen::OuterStride<>(stride_)};
  }

 private:
  const SparseMatrix<float>* sparse_ = nullptr;
  const float* data_ = nullptr;
  std::int64_t rows_ = 0, cols_ = 0, stride_ = 0;
};

}  // namespace gat
