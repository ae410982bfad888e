#include "gat/ops/linear.hpp"

#include <algorithm>
#include <cassert>

#include "gat/core/threads.hpp"
#include "kernel_util.hpp"
#include "row_access.hpp"

namespace gat::ops {

using detail::row;

template <typename T>
void matmul_forward(MatrixCRef<T> x, MatrixCRef<T> w, MatrixRef<T> y) {
  const Eigen::Index n = x.rows();
  const Eigen::Index chunks = (n + kRowChunk - 1) / kRowChunk;
  // Each fixed block of rows is one single-threaded Eigen product: the same block gets the
  // same blocking and summation order whichever thread runs it.
#pragma omp parallel for schedule(static)
  for (Eigen::Index c = 0; c < chunks; ++c) {
    const Eigen::Index b = c * kRowChunk, len = std::min(kRowChunk, n - b);
    y.middleRows(b, len).noalias() = x.middleRows(b, len) * w;
  }
}

template <typename T>
void matmul_tn_accumulate(MatrixCRef<T> x, MatrixCRef<T> g, MatrixRef<T> out) {
  const Eigen::Index n = x.rows();
  const Eigen::Index chunks = (n + kRowChunk - 1) / kRowChunk;
  std::vector<Matrix<T>> partial(chunks);
#pragma omp parallel for schedule(static)
  for (Eigen::Index c = 0; c < chunks; ++c) {
    const Eigen::Index b = c * kRowChunk, len = std::min(kRowChunk, n - b);
    partial[c].noalias() = x.middleRows(b, len).transpose() * g.middleRows(b, len);
  }
  // Chunks summed in order: the summation order is fixed by kRowChunk alone.
  for (const auto& p : partial) out += p;
}

template <typename T>
void matmul_backward(MatrixCRef<T> x, MatrixCRef<T> w, MatrixCRef<T> grad_y, MatrixRef<T> grad_w,
                     Matrix<T>* grad_x) {
  matmul_tn_accumulate<T>(x, grad_y, grad_w);
  if (!grad_x) return;
  const Eigen::Index n = x.rows();
  const Eigen::Index chunks = (n + kRowChunk - 1) / kRowChunk;
#pragma omp parallel for schedule(static)
  for (Eigen::Index c = 0; c < chunks; ++c) {
    const Eigen::Index b = c * kRowChunk, len = std::min(kRowChunk, n - b);
    grad_x->middleRows(b, len).noalias() = grad_y.middleRows(b, len) * w.transpose();
  }
}

namespace {

// y[i, :] = Σ_k values[k] · w[col[k], :] over row i's entries. kW > 0: compile-time output
// width, so the row accumulates in vector registers; 0: run-time width.
template <typename T, int kW>
void spmm_forward_kernel(const SparseMatrix<T>& x, const std::vector<T>& values,
                         const MatrixCRef<T>& w, MatrixRef<T>& y) {
  const Eigen::Index out = kW > 0 ? kW : w.cols();
#pragma omp parallel for schedule(dynamic, 64)
  for (std::int64_t i = 0; i < x.rows; ++i) {
    T* __restrict yi = row(y, i);
    if constexpr (kW > 0) {
      T acc[kW] = {};
      for (EdgeId k = x.row_ptr[i]; k < x.row_ptr[i + 1]; ++k) {
        const T v = values[k];
        if (v == T(0)) continue;  // dropped by input dropout
        const T* __restrict wk = row(w, x.col[k]);
        for (int c = 0; c < kW; ++c) acc[c] += v * wk[c];
      }
      for (int c = 0; c < kW; ++c) yi[c] = acc[c];
    } else {
      std::fill(yi, yi + out, T(0));
      for (EdgeId k = x.row_ptr[i]; k < x.row_ptr[i + 1]; ++k) {
        const T v = values[k];
        if (v == T(0)) continue;
        const T* __restrict wk = row(w, x.col[k]);
        for (Eigen::Index c = 0; c < out; ++c) yi[c] += v * wk[c];
      }
    }
  }
}

// grad_w[k, :] += Σ_q values[slot(q)] · grad_y[col(q), :] over row k of Xᵀ.
template <typename T, int kW>
void spmm_backward_weight_kernel(const SparseTranspose<T>& xt, const std::vector<T>& values,
                                 const MatrixCRef<T>& grad_y, MatrixRef<T>& grad_w) {
  const auto& m = xt.matrix;
  const Eigen::Index out = kW > 0 ? kW : grad_y.cols();
#pragma omp parallel for schedule(dynamic, 64)
  for (std::int64_t k = 0; k < m.rows; ++k) {
    T* __restrict gk = row(grad_w, k);
    if constexpr (kW > 0) {
      T acc[kW];
      for (int c = 0; c < kW; ++c) acc[c] = gk[c];
      for (EdgeId q = m.row_ptr[k]; q < m.row_ptr[k + 1]; ++q) {
        const T v = values[xt.source_slot[q]];
        if (v == T(0)) continue;
        const T* __restrict gi = row(grad_y, m.col[q]);
        for (int c = 0; c < kW; ++c) acc[c] += v * gi[c];
      }
      for (int c = 0; c < kW; ++c) gk[c] = acc[c];
    } else {
      for (EdgeId q = m.row_ptr[k]; q < m.row_ptr[k + 1]; ++q) {
        const T v = values[xt.source_slot[q]];
        if (v == T(0)) continue;
        const T* __restrict gi = row(grad_y, m.col[q]);
        for (Eigen::Index c = 0; c < out; ++c) gk[c] += v * gi[c];
      }
    }
  }
}

}  // namespace

template <typename T>
void spmm_forward(const SparseMatrix<T>& x, const std::vector<T>& values, MatrixCRef<T> w,
                  MatrixRef<T> y) {
  assert(static_cast<std::int64_t>(values.size()) == x.nnz() && w.rows() == x.cols);
  detail::dispatch_width(w.cols(), [&](auto width) {
    spmm_forward_kernel<T, decltype(width)::value>(x, values, w, y);
  });
}

template <typename T>
void spmm_backward_weight(const SparseTranspose<T>& xt, const std::vector<T>& values,
                          MatrixCRef<T> grad_y, MatrixRef<T> grad_w) {
  detail::dispatch_width(grad_y.cols(), [&](auto width) {
    spmm_backward_weight_kernel<T, decltype(width)::value>(xt, values, grad_y, grad_w);
  });
}

template <typename T>
void column_sum_backward(MatrixCRef<T> grad_y, MatrixRef<T> grad_b) {
  const Eigen::Index n = grad_y.rows();
  const Eigen::Index chunks = (n + kRowChunk - 1) / kRowChunk;
  std::vector<Matrix<T>> partial(chunks);
#pragma omp parallel for schedule(static)
  for (Eigen::Index c = 0; c < chunks; ++c) {
    const Eigen::Index b = c * kRowChunk, len = std::min(kRowChunk, n - b);
    partial[c] = grad_y.middleRows(b, len).colwise().sum();
  }
  for (const auto& p : partial) grad_b += p;
}

#define GAT_INSTANTIATE(T)                                                                    \
  template void matmul_forward<T>(MatrixCRef<T>, MatrixCRef<T>, MatrixRef<T>);                \
  template void matmul_tn_accumulate<T>(MatrixCRef<T>, MatrixCRef<T>, MatrixRef<T>);          \
  template void matmul_backward<T>(MatrixCRef<T>, MatrixCRef<T>, MatrixCRef<T>, MatrixRef<T>, \
                                   Matrix<T>*);                                               \
  template void spmm_forward<T>(const SparseMatrix<T>&, const std::vector<T>&, MatrixCRef<T>, \
                                MatrixRef<T>);                                                \
  template void spmm_backward_weight<T>(const SparseTranspose<T>&, const std::vector<T>&,     \
                                        MatrixCRef<T>, MatrixRef<T>);                         \
  template void column_sum_backward<T>(MatrixCRef<T>, MatrixRef<T>);
GAT_INSTANTIATE(float)
GAT_INSTANTIATE(double)
#undef GAT_INSTANTIATE

}  // namespace gat::ops
