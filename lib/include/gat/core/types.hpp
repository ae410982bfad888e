#pragma once
// Index and matrix types shared by the whole library.
// Legend for shapes in every comment: N nodes, E edges, H heads, F features per head,
// D edge-feature size, G graphs.

#include <Eigen/Core>
#include <cstdint>

namespace gat {

/// Node ids are 32-bit: graphs beyond 2^31 nodes are out of scope for one machine.
using NodeId = std::int32_t;
/// Edge offsets (CSR row pointers, slot indices) are 64-bit: E may exceed 2^31.
using EdgeId = std::int64_t;

/// Row-major dense matrix: node data is (N, H·F), edge data is (E, H).
template <typename T>
using Matrix = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using RowMatrix = Matrix<float>;

/// Read-only and writable views of a row-major matrix, the way ops take their arguments.
template <typename T>
using MatrixCRef = Eigen::Ref<const Matrix<T>>;
template <typename T>
using MatrixRef = Eigen::Ref<Matrix<T>>;

}  // namespace gat
