#include "gat/core/sparse_matrix.hpp"

#include <cmath>

#include "gat/core/error.hpp"

namespace gat {

template <typename T>
void validate(const SparseMatrix<T>& m) {
  GAT_CHECK(m.rows >= 0 && m.cols >= 0,
            "sparse matrix: negative shape (" << m.rows << ", " << m.cols << ")");
  GAT_CHECK(m.row_ptr.size() == static_cast<std::size_t>(m.rows) + 1,
            "sparse matrix: row_ptr has " << m.row_ptr.size()
                                          << " entries, expected rows + 1 = " << m.rows + 1);
  GAT_CHECK(m.col.size() == m.val.size(), "sparse matrix: " << m.col.size()
                                                            << " column indices but "
                                                            << m.val.size() << " values");
  GAT_CHECK(m.row_ptr.front() == 0 && m.row_ptr.back() == m.nnz(),
            "sparse matrix: row_ptr must run from 0 to nnz = " << m.nnz());
  // All offsets first: only then does every row lie inside [0, nnz), so reading its columns
  // is safe (a row_ptr such as {0, 4, 2} with nnz = 2 would otherwise read past col's end).
  for (std::int64_t r = 0; r < m.rows; ++r) {
    GAT_CHECK(m.row_ptr[r] <= m.row_ptr[r + 1], "sparse matrix: row_ptr decreases at row " << r);
  }
  for (std::int64_t r = 0; r < m.rows; ++r) {
    for (EdgeId k = m.row_ptr[r]; k < m.row_ptr[r + 1]; ++k) {
      GAT_CHECK(m.col[k] >= 0 && m.col[k] < m.cols, "sparse matrix: column "
                                                        << m.col[k] << " in row " << r
                                                        << " is outside [0, " << m.cols << ")");
      GAT_CHECK(k == m.row_ptr[r] || m.col[k - 1] < m.col[k],
                "sparse matrix: columns of row " << r << " must be strictly ascending");
      GAT_CHECK(std::isfinite(static_cast<double>(m.val[k])),
                "sparse matrix: non-finite value in row " << r << ", column " << m.col[k]);
    }
  }
}

template <typename T>
SparseTranspose<T> transpose(const SparseMatrix<T>& m) {
  SparseTranspose<T> t;
  auto& mt = t.matrix;
  mt.rows = m.cols;
  mt.cols = m.rows;
  mt.row_ptr.assign(static_cast<std::size_t>(m.cols) + 1, 0);
  for (auto c : m.col) ++mt.row_ptr[c + 1];
  for (std::int64_t c = 0; c < m.cols; ++c) mt.row_ptr[c + 1] += mt.row_ptr[c];
  mt.col.resize(m.col.size());
  mt.val.resize(m.val.size());
  t.source_slot.resize(m.col.size());
  std::vector<EdgeId> next(mt.row_ptr.begin(), mt.row_ptr.end() - 1);
  for (std::int64_t r = 0; r < m.rows; ++r) {
    for (EdgeId k = m.row_ptr[r]; k < m.row_ptr[r + 1]; ++k) {
      const EdgeId q = next[m.col[k]]++;
      mt.col[q] = static_cast<std::int32_t>(r);
      mt.val[q] = m.val[k];
      t.source_slot[q] = k;
    }
  }
  return t;
}

template <typename T>
void row_normalize(SparseMatrix<T>& m) {
  for (std::int64_t r = 0; r < m.rows; ++r) {
    // Summed in double: float values near its maximum must not overflow the sum. For the
    // usual small integer counts the sum is exact either way, so results are unchanged.
    double sum = 0;
    for (EdgeId k = m.row_ptr[r]; k < m.row_ptr[r + 1]; ++k) sum += double(m.val[k]);
    if (sum == 0.0) continue;  // an all-zero row stays zero rather than becoming NaN
    for (EdgeId k = m.row_ptr[r]; k < m.row_ptr[r + 1]; ++k) {
      m.val[k] = static_cast<T>(double(m.val[k]) / sum);
    }
  }
}

template <typename T>
Matrix<T> to_dense(const SparseMatrix<T>& m) {
  Matrix<T> d = Matrix<T>::Zero(m.rows, m.cols);
  for (std::int64_t r = 0; r < m.rows; ++r) {
    for (EdgeId k = m.row_ptr[r]; k < m.row_ptr[r + 1]; ++k) d(r, m.col[k]) = m.val[k];
  }
  return d;
}

template <typename T>
SparseMatrix<T> from_dense(const Matrix<T>& d) {
  SparseMatrix<T> m;
  m.rows = d.rows();
  m.cols = d.cols();
  m.row_ptr.assign(static_cast<std::size_t>(m.rows) + 1, 0);
  // Sized once (a count first), so that converting a large array never holds a doubled buffer.
  const auto nnz = static_cast<std::size_t>((d.array() != T(0)).count());
  m.col.reserve(nnz);
  m.val.reserve(nnz);
  for (std::int64_t r = 0; r < m.rows; ++r) {
    for (std::int64_t c = 0; c < m.cols; ++c) {
      if (d(r, c) != T(0)) {
        m.col.push_back(static_cast<std::int32_t>(c));
        m.val.push_back(d(r, c));
      }
    }
    m.row_ptr[r + 1] = m.nnz();
  }
  return m;
}

#define GAT_INSTANTIATE(T)                                       \
  template void validate(const SparseMatrix<T>&);                \
  template SparseTranspose<T> transpose(const SparseMatrix<T>&); \
  template void row_normalize(SparseMatrix<T>&);                 \
  template Matrix<T> to_dense(const SparseMatrix<T>&);           \
  template SparseMatrix<T> from_dense(const Matrix<T>&);
GAT_INSTANTIATE(float)
GAT_INSTANTIATE(double)
#undef GAT_INSTANTIATE

}  // namespace gat
