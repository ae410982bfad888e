#include "gat/ops/linear.hpp"

#include <omp.h>

#include <algorithm>
#include <cassert>
#include <cstdint>
#include <vector>

#include "check_util.hpp"
#include "gat/core/error.hpp"
#include "gat/core/threads.hpp"
#include "kernel_util.hpp"
#include "linear_detail.hpp"
#include "row_access.hpp"

namespace gat::ops {

using detail::check_shape;
using detail::row;

namespace {

// x (N, in) and w (in, out): the inner dimensions agree.
void check_inner(const char* fn, Eigen::Index x_cols, Eigen::Index w_rows, Eigen::Index w_cols) {
  GAT_CHECK(w_rows == x_cols, fn << ": x has " << x_cols << " columns but w has shape (" << w_rows
                                 << ", " << w_cols << "); w must be (in, out) with in = x's width "
                                 << x_cols);
}

// The input dropout's rate, checked before any parallel region (an exception must not leave
// one): [0, 1), NaN refused by the negated comparison.
void check_dropout(const char* fn, const DropoutSpec& x_dropout) {
  GAT_CHECK(x_dropout.rate >= 0.0 && x_dropout.rate < 1.0,
            fn << ": the input dropout rate must be in [0, 1), got " << x_dropout.rate);
}

// Rows b .. b + len - 1 of x, or of dropout(x) rebuilt in `scratch` (the calling thread's) when
// x_dropout drops anything: what a chunk of a product reads.
template <typename T>
MatrixCRef<T> chunk_rows(const MatrixCRef<T>& x, Eigen::Index b, Eigen::Index len,
                         const DropoutSpec& x_dropout, Matrix<T>& scratch) {
  if (x_dropout.rate <= 0.0) return x.middleRows(b, len);
  scratch.resize(len, x.cols());
  dropout_rows<T>(x.middleRows(b, len), b, x_dropout, scratch);
  return scratch;
}

}  // namespace

template <typename T>
void matmul_forward(MatrixCRef<T> x, MatrixCRef<T> w, MatrixRef<T> y,
                    const DropoutSpec& x_dropout) {
  constexpr const char* fn = "matmul_forward";
  check_inner(fn, x.cols(), w.rows(), w.cols());
  check_dropout(fn, x_dropout);
  check_shape(fn, "y", y.rows(), y.cols(), "(N, out)", x.rows(), w.cols());
  const Eigen::Index n = x.rows();
  const Eigen::Index chunks = (n + kRowChunk - 1) / kRowChunk;
  // Each fixed block of rows is one single-threaded Eigen product: the same block gets the
  // same blocking and summation order whichever thread runs it.
#pragma omp parallel
  {
    Matrix<T> scratch;
#pragma omp for schedule(static)
    for (Eigen::Index c = 0; c < chunks; ++c) {
      const Eigen::Index b = c * kRowChunk, len = std::min(kRowChunk, n - b);
      y.middleRows(b, len).noalias() = chunk_rows<T>(x, b, len, x_dropout, scratch) * w;
    }
  }
}

namespace detail {

template <typename T>
void matmul_tn_accumulate(MatrixCRef<T> x, MatrixCRef<T> g, MatrixRef<T> out,
                          const DropoutSpec& x_dropout) {
  assert(g.rows() == x.rows() && out.rows() == x.cols() && out.cols() == g.cols());
  const Eigen::Index n = x.rows();
  const Eigen::Index chunks = (n + kRowChunk - 1) / kRowChunk;
  std::vector<Matrix<T>> partial(chunks);
#pragma omp parallel
  {
    Matrix<T> scratch;
#pragma omp for schedule(static)
    for (Eigen::Index c = 0; c < chunks; ++c) {
      const Eigen::Index b = c * kRowChunk, len = std::min(kRowChunk, n - b);
      partial[c].noalias() =
          chunk_rows<T>(x, b, len, x_dropout, scratch).transpose() * g.middleRows(b, len);
    }
  }
  // Chunks summed in order: the summation order is fixed by kRowChunk alone.
  for (const auto& p : partial) out += p;
}

template void matmul_tn_accumulate<float>(MatrixCRef<float>, MatrixCRef<float>, MatrixRef<float>,
                                          const DropoutSpec&);
template void matmul_tn_accumulate<double>(MatrixCRef<double>, MatrixCRef<double>,
                                           MatrixRef<double>, const DropoutSpec&);

}  // namespace detail

template <typename T>
void matmul_tn(MatrixCRef<T> x, MatrixCRef<T> g, MatrixRef<T> out, const DropoutSpec& x_dropout) {
  constexpr const char* fn = "matmul_tn";
  check_dropout(fn, x_dropout);
  check_shape(fn, "g", g.rows(), g.cols(), "(N, b) with the rows of x", x.rows(), g.cols());
  check_shape(fn, "out", out.rows(), out.cols(), "(x's columns, g's columns)", x.cols(), g.cols());
  detail::matmul_tn_accumulate<T>(x, g, out, x_dropout);
}

template <typename T>
void matmul_backward(MatrixCRef<T> x, MatrixCRef<T> w, MatrixCRef<T> grad_y, MatrixRef<T> grad_w,
                     Matrix<T>* grad_x, const DropoutSpec& x_dropout) {
  constexpr const char* fn = "matmul_backward";
  check_inner(fn, x.cols(), w.rows(), w.cols());
  check_dropout(fn, x_dropout);
  check_shape(fn, "grad_y", grad_y.rows(), grad_y.cols(), "(N, out)", x.rows(), w.cols());
  check_shape(fn, "grad_w", grad_w.rows(), grad_w.cols(), "the shape of w (in, out)", w.rows(),
              w.cols());
  if (grad_x) {
    check_shape(fn, "grad_x", grad_x->rows(), grad_x->cols(), "the shape of x (N, in)", x.rows(),
                x.cols());
  }
  detail::matmul_tn_accumulate<T>(x, grad_y, grad_w, x_dropout);
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

// The surviving entries of one sparse row, gathered before its products: input dropout zeroes
// about half of a row's values at random, and testing each value in the product loop was a
// coin flip per value, which no branch predictor learns. The gather is branch-free (every
// entry is written, the end advances only past the non-zeros), and the products then run over
// the survivors in their original order: the same sums as skipping the zeros in place, the
// same bits.
template <typename T>
struct RowSurvivors {
  std::vector<T> values;
  std::vector<std::int64_t> index;  // the column of each survivor
  std::int64_t count = 0;           // how many survived the last gather

  // Entries k = b..e-1 with value value(k) and index at(k).
  template <typename Value, typename At>
  void gather(EdgeId b, EdgeId e, const Value& value, const At& at) {
    const auto len = static_cast<std::size_t>(e - b);
    if (values.size() < len) {
      values.resize(len);
      index.resize(len);
    }
    count = 0;
    for (EdgeId k = b; k < e; ++k) {
      const T v = value(k);
      values[count] = v;
      index[count] = at(k);
      count += v != T(0) ? 1 : 0;
    }
  }

  // out[:] += Σ_q values[q] · rows[index[q], :] over the survivors in order, rows of `width`
  // values `stride` apart. kW > 0: the width at compile time, the row accumulated in a
  // fixed-size Eigen array (whole vector registers, v·w then +, as the scalar loop rounds; left
  // to itself GCC unrolled the entries and ran the columns scalar); 0: run-time width.
  template <int kW>
  void add_products(const T* rows, Eigen::Index stride, Eigen::Index width,
                    T* __restrict out) const {
    if constexpr (kW > 0) {
      using Row = Eigen::Array<T, kW, 1>;
      Row acc = Eigen::Map<const Row>(out);
      for (std::int64_t q = 0; q < count; ++q) {
        acc += values[q] * Eigen::Map<const Row>(rows + index[q] * stride);
      }
      Eigen::Map<Row>{out} = acc;
    } else {
      for (std::int64_t q = 0; q < count; ++q) {
        const T v = values[q];
        const T* __restrict r = rows + index[q] * stride;
        for (Eigen::Index c = 0; c < width; ++c) out[c] += v * r[c];
      }
    }
  }
};

// y[i, :] = Σ_k values[k] · w[col[k], :] over row i's entries (zeros, dropped by input
// dropout, skipped). kW > 0: compile-time output width; 0: run-time width.
template <typename T, int kW>
void spmm_forward_kernel(const SparseMatrix<T>& x, const std::vector<T>& values,
                         const MatrixCRef<T>& w, MatrixRef<T>& y) {
  const Eigen::Index out = kW > 0 ? kW : w.cols();
#pragma omp parallel
  {
    RowSurvivors<T> kept;
#pragma omp for schedule(dynamic, 64)
    for (std::int64_t i = 0; i < x.rows; ++i) {
      T* yi = row(y, i);
      kept.gather(
          x.row_ptr[i], x.row_ptr[i + 1], [&](EdgeId k) { return values[k]; },
          [&](EdgeId k) { return static_cast<std::int64_t>(x.col[k]); });
      std::fill(yi, yi + out, T(0));
      kept.template add_products<kW>(w.data(), w.outerStride(), out, yi);
    }
  }
}

// grad_w[k, c0 .. c0 + width) += values[slot] · grad_y[i, c0 .. c0 + width) for every
// surviving entry (i, k) of X, rows i in order: each entry of grad_w receives its terms in
// ascending i, the order of column k of X, whichever block or thread computes it. The rows of
// X and grad_y are read in order (a row of grad_y once for all of its row's entries); the
// scattered rows are grad_w's, (in, out), which stays in cache for the usual bag-of-words
// widths. kW > 0: the block's width at compile time; 0: run-time width.
template <typename T, int kW>
void spmm_weight_block(const SparseMatrix<T>& x, const std::vector<T>& values,
                       const MatrixCRef<T>& grad_y, MatrixRef<T>& grad_w, Eigen::Index c0,
                       Eigen::Index width, RowSurvivors<T>& kept) {
  const Eigen::Index stride = grad_w.outerStride();
  T* w = grad_w.data() + c0;
  for (std::int64_t i = 0; i < x.rows; ++i) {
    kept.gather(
        x.row_ptr[i], x.row_ptr[i + 1], [&](EdgeId k) { return values[k]; },
        [&](EdgeId k) { return static_cast<std::int64_t>(x.col[k]); });
    const T* gy = row(grad_y, i) + c0;
    if constexpr (kW > 0) {
      using Row = Eigen::Array<T, kW, 1>;
      const Row g = Eigen::Map<const Row>(gy);
      for (std::int64_t q = 0; q < kept.count; ++q) {
        Eigen::Map<Row> out(w + kept.index[q] * stride);
        out = out + kept.values[q] * g;  // v·g then +, as the per-column sum rounds
      }
    } else {
      for (std::int64_t q = 0; q < kept.count; ++q) {
        const T v = kept.values[q];
        T* __restrict out = w + kept.index[q] * stride;
        for (Eigen::Index c = 0; c < width; ++c) out[c] += v * gy[c];
      }
    }
  }
}

// The weight gradient split into blocks of columns, one per thread: a thread scans all of X
// (the gathers are cheap next to the products) and owns its columns of grad_w outright, so
// there is nothing to reduce and the bits do not depend on the thread count.
template <typename T>
void spmm_weight_kernel(const SparseMatrix<T>& x, const std::vector<T>& values,
                        const MatrixCRef<T>& grad_y, MatrixRef<T>& grad_w) {
  const Eigen::Index out = grad_y.cols();
  // Blocks are whole 8-float vectors: narrower ones would waste the vector width.
  constexpr Eigen::Index kVector = 8;
#pragma omp parallel
  {
    const Eigen::Index threads = omp_get_num_threads();
    const Eigen::Index per = (out + threads - 1) / threads;
    const Eigen::Index width = std::max(kVector, (per + kVector - 1) / kVector * kVector);
    const Eigen::Index blocks = (out + width - 1) / width;
    RowSurvivors<T> kept;
#pragma omp for schedule(static)
    for (Eigen::Index blk = 0; blk < blocks; ++blk) {
      const Eigen::Index c0 = blk * width, len = std::min(width, out - c0);
      detail::dispatch_width(len, [&](auto w) {
        spmm_weight_block<T, decltype(w)::value>(x, values, grad_y, grad_w, c0, len, kept);
      });
    }
  }
}

// A sparse operand x and the values used for its entries: rows + 1 row pointers, one value
// per entry, in x's order.
template <typename T>
void check_sparse(const char* fn, const SparseMatrix<T>& x, const std::vector<T>& values) {
  GAT_CHECK(x.row_ptr.size() == static_cast<std::size_t>(x.rows) + 1,
            fn << ": x has " << x.rows << " rows but " << x.row_ptr.size()
               << " row pointers; a sparse matrix needs rows + 1");
  GAT_CHECK(static_cast<std::int64_t>(values.size()) == x.nnz(),
            fn << ": values has " << values.size() << " entries but x has " << x.nnz()
               << " non-zeros; pass one value per entry of x, in x's order");
}

}  // namespace

template <typename T>
void spmm_forward(const SparseMatrix<T>& x, const std::vector<T>& values, MatrixCRef<T> w,
                  MatrixRef<T> y) {
  constexpr const char* fn = "spmm_forward";
  check_sparse(fn, x, values);
  check_inner(fn, x.cols, w.rows(), w.cols());
  check_shape(fn, "y", y.rows(), y.cols(), "(N, out)", x.rows, w.cols());
  detail::dispatch_width(w.cols(), [&](auto width) {
    spmm_forward_kernel<T, decltype(width)::value>(x, values, w, y);
  });
}

template <typename T>
void spmm_backward_weight(const SparseMatrix<T>& x, const std::vector<T>& values,
                          MatrixCRef<T> grad_y, MatrixRef<T> grad_w) {
  constexpr const char* fn = "spmm_backward_weight";
  check_sparse(fn, x, values);
  GAT_CHECK(grad_y.rows() == x.rows, fn << ": grad_y has " << grad_y.rows() << " rows but x has "
                                        << x.rows << "; grad_y must be (N, out)");
  check_shape(fn, "grad_w", grad_w.rows(), grad_w.cols(), "(in, out)", x.cols, grad_y.cols());
  if (x.nnz() == 0) return;  // no terms (and grad_w may be empty: no offsets into it)
  spmm_weight_kernel<T>(x, values, grad_y, grad_w);
}

template <typename T>
void column_sum_backward(MatrixCRef<T> grad_y, MatrixRef<T> grad_b) {
  check_shape("column_sum_backward", "grad_b", grad_b.rows(), grad_b.cols(), "(1, out)", 1,
              grad_y.cols());
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

#define GAT_INSTANTIATE(T)                                                                         \
  template void matmul_forward<T>(MatrixCRef<T>, MatrixCRef<T>, MatrixRef<T>, const DropoutSpec&); \
  template void matmul_tn<T>(MatrixCRef<T>, MatrixCRef<T>, MatrixRef<T>, const DropoutSpec&);      \
  template void matmul_backward<T>(MatrixCRef<T>, MatrixCRef<T>, MatrixCRef<T>, MatrixRef<T>,      \
                                   Matrix<T>*, const DropoutSpec&);                                \
  template void spmm_forward<T>(const SparseMatrix<T>&, const std::vector<T>&, MatrixCRef<T>,      \
                                MatrixRef<T>);                                                     \
  template void spmm_backward_weight<T>(const SparseMatrix<T>&, const std::vector<T>&,             \
                                        MatrixCRef<T>, MatrixRef<T>);                              \
  template void column_sum_backward<T>(MatrixCRef<T>, MatrixRef<T>);
GAT_INSTANTIATE(float)
GAT_INSTANTIATE(double)
#undef GAT_INSTANTIATE

}  // namespace gat::ops
