#include "gat/ops/linear.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "gat/core/error.hpp"
#include "support/gradcheck.hpp"
#include "support/op_fixtures.hpp"

namespace gat::ops {
namespace {

using test::expect_gradient;
using test::expect_matrix_near;
using test::MatrixD;
using test::random_matrix;
using test::weighted_sum;

// A random sparse (7, 5) matrix with an empty row (3) and an empty column (4): entries of a
// random dense matrix with |value| < 0.4 become zeros.
SparseMatrix<double> random_sparse() {
  MatrixD d = random_matrix(7, 5, 51);
  for (Eigen::Index k = 0; k < d.size(); ++k) {
    if (std::abs(d.data()[k]) < 0.4) d.data()[k] = 0;
  }
  d.row(3).setZero();
  d.col(4).setZero();
  return from_dense(d);
}

// ---- matmul -----------------------------------------------------------------------------

TEST(MatmulForward, HandComputed) {
  MatrixD x(2, 3), w(3, 2), expected(2, 2);
  x << 1, 2, 3,  //
      4, 5, 6;
  w << 1, 0,  //
      0, 1,   //
      1, -1;
  // Row r: [x0 + x2, x1 - x2].
  expected << 1 + 3, 2 - 3,  //
      4 + 6, 5 - 6;
  MatrixD y = MatrixD::Constant(2, 2, 123.0);
  matmul_forward<double>(x, w, y);
  expect_matrix_near(y, expected);
}

TEST(MatmulForward, SeveralChunksMatchOneProduct) {
  // 600 rows = chunks of 256, 256 and 88: every row, including the ragged tail, is computed.
  const MatrixD x = random_matrix(600, 9, 52), w = random_matrix(9, 5, 53);
  MatrixD y = MatrixD::Constant(600, 5, std::numeric_limits<double>::quiet_NaN());
  matmul_forward<double>(x, w, y);
  expect_matrix_near(y, x * w, 1e-12);
}

void check_matmul_gradients(Eigen::Index n) {
  const Eigen::Index in = 4, out = 3;
  MatrixD x = random_matrix(n, in, 54), w = random_matrix(in, out, 55);
  const MatrixD wl = random_matrix(n, out, 56);  // the loss weights
  auto loss = [&] {
    MatrixD y(n, out);
    matmul_forward<double>(x, w, y);
    return weighted_sum(wl, y);
  };
  const MatrixD grad_w0 = random_matrix(in, out, 57);
  MatrixD grad_w = grad_w0;                   // accumulated
  MatrixD grad_x = random_matrix(n, in, 58);  // junk: overwritten
  matmul_backward<double>(x, w, wl, grad_w, &grad_x);
  expect_gradient("matmul grad_w", w, grad_w - grad_w0, loss);
  if (n <= 64) expect_gradient("matmul grad_x", x, grad_x, loss);

  // Without grad_x, grad_w is the same.
  MatrixD grad_w_only = grad_w0;
  matmul_backward<double>(x, w, wl, grad_w_only, nullptr);
  EXPECT_EQ(grad_w_only, grad_w);
}

TEST(MatmulBackward, Gradient) { check_matmul_gradients(7); }
TEST(MatmulBackward, GradientOfWeightOverSeveralChunks) { check_matmul_gradients(600); }

// Input dropout inside the product (x_dropout) is the same bits as dropout() on a copy of x
// followed by the plain product, forward and backward, over several chunks (600 rows: 256, 256,
// 88), from a non-contiguous view of x (a column block), float and double, at 1 and 2 threads.
template <typename T>
std::vector<Matrix<T>> dropped_products(const Matrix<T>& wide, bool fused) {
  const Eigen::Index in = 9, out = 5;
  const MatrixCRef<T> x = wide.middleCols(2, in);  // outer stride 13: not contiguous
  const Matrix<T> w = random_matrix(in, out, 60).cast<T>();
  const Matrix<T> grad_y = random_matrix(x.rows(), out, 61).template cast<T>();
  const DropoutSpec drop{0.4, CounterRng(7, 3, 1, kStreamInputDropout)};
  Matrix<T> y(x.rows(), out), grad_x(x.rows(), in);
  Matrix<T> grad_w = Matrix<T>::Ones(in, out);  // accumulated into
  if (fused) {
    matmul_forward<T>(x, w, y, drop);
    matmul_backward<T>(x, w, grad_y, grad_w, &grad_x, drop);
  } else {
    Matrix<T> x_used = x;
    dropout<T>(x_used, drop.rate, drop.rng);
    matmul_forward<T>(x_used, w, y);
    matmul_backward<T>(x_used, w, grad_y, grad_w, &grad_x);
  }
  return {y, grad_w, grad_x};
}

template <typename T>
void expect_fused_dropout_same_bits() {
  const Matrix<T> wide = random_matrix(600, 13, 59).cast<T>();
  const auto fused = dropped_products<T>(wide, true);
  const auto copied = dropped_products<T>(wide, false);
  for (std::size_t k = 0; k < fused.size(); ++k) {
    EXPECT_TRUE(fused[k] == copied[k]) << "output " << k << " differs from dropout on a copy";
  }
  // Something was dropped (the two agree trivially otherwise).
  const Matrix<T> plain_w = random_matrix(9, 5, 60).cast<T>();
  EXPECT_FALSE(fused[0].isApprox(wide.middleCols(2, 9) * plain_w));
}

TEST(MatmulDropout, SameBitsAsDropoutOnACopy) {
  expect_fused_dropout_same_bits<float>();
  expect_fused_dropout_same_bits<double>();
  test::expect_same_bits([] {
    const Matrix<float> wide = random_matrix(600, 13, 59).cast<float>();
    return dropped_products<float>(wide, true);
  });
}

// A bad rate is a gat::Error before any work (never an exception out of a parallel region).
TEST(MatmulDropout, RefusesBadRates) {
  const MatrixD x = random_matrix(300, 4, 62), w = random_matrix(4, 3, 63);
  MatrixD y(300, 3), grad_w = MatrixD::Zero(4, 3), grad_x(300, 4);
  for (const double rate : {1.0, -0.1, std::numeric_limits<double>::quiet_NaN()}) {
    const DropoutSpec bad{rate, CounterRng(1, 2, 3, 4)};
    EXPECT_THROW(matmul_forward<double>(x, w, y, bad), Error) << rate;
    EXPECT_THROW(matmul_backward<double>(x, w, y, grad_w, &grad_x, bad), Error) << rate;
    MatrixD xt_y = MatrixD::Zero(4, 3);
    EXPECT_THROW(matmul_tn<double>(x, y, xt_y, bad), Error) << rate;
  }
}

// matmul_tn is matmul_backward's weight gradient for any right-hand side, shapes checked.
TEST(MatmulDropout, TransposedProductIsTheWeightGradient) {
  const MatrixD x = random_matrix(600, 5, 64), g = random_matrix(600, 3, 65);
  const DropoutSpec drop{0.3, CounterRng(2, 1, 0, kStreamInputDropout)};
  MatrixD out = MatrixD::Ones(5, 3), grad_w = MatrixD::Ones(5, 3);
  matmul_tn<double>(x, g, out, drop);
  matmul_backward<double>(x, MatrixD::Zero(5, 3), g, grad_w, nullptr, drop);
  EXPECT_TRUE(out == grad_w);
  MatrixD wrong(3, 5);
  EXPECT_THROW(matmul_tn<double>(x, g, wrong), Error);
  EXPECT_THROW(matmul_tn<double>(x, g.topRows(10), out), Error);
}

TEST(MatmulDropout, RateZeroIsThePlainProduct) {
  const MatrixD x = random_matrix(300, 4, 62), w = random_matrix(4, 3, 63);
  MatrixD y(300, 3), y_plain(300, 3);
  matmul_forward<double>(x, w, y, DropoutSpec{0.0, CounterRng(1, 2, 3, 4)});
  matmul_forward<double>(x, w, y_plain);
  EXPECT_TRUE(y == y_plain);
}

// ---- spmm -------------------------------------------------------------------------------

TEST(SpmmForward, HandComputed) {
  //        c0 c1 c2
  //   X = [ 1  .  2 ]      w = [1 2]
  //       [ .  .  . ]          [3 4]
  //       [ .  3  . ]          [5 6]
  Matrix<double> d(3, 3);
  d << 1, 0, 2,  //
      0, 0, 0,   //
      0, 3, 0;
  const SparseMatrix<double> x = from_dense(d);
  MatrixD w(3, 2);
  w << 1, 2,  //
      3, 4,   //
      5, 6;
  MatrixD y = MatrixD::Constant(3, 2, 123.0);
  spmm_forward<double>(x, x.val, w, y);
  MatrixD expected(3, 2);
  expected << 1 + 10, 2 + 12,  // 1·[1, 2] + 2·[5, 6]
      0, 0,                    // an empty row gives zeros
      9, 12;                   // 3·[3, 4]
  expect_matrix_near(y, expected);

  // Replaced values (as input dropout passes them): entry 1 (the 2) dropped, entry 0 doubled.
  spmm_forward<double>(x, {2, 0, 3}, w, y);
  expected.row(0) << 2, 4;
  expect_matrix_near(y, expected);
}

// Output widths: the sparse kernels have fixed-width versions (8, 16, 32, 64, 128) and a
// run-time-width one; both kinds are covered.
class SpmmWidths : public ::testing::TestWithParam<int> {};

TEST_P(SpmmWidths, ForwardEqualsDenseProduct) {
  const int out = GetParam();
  const SparseMatrix<double> x = random_sparse();
  ASSERT_GT(x.nnz(), 5);
  const MatrixD w = random_matrix(5, out, 59);
  MatrixD y = MatrixD::Constant(7, out, std::numeric_limits<double>::quiet_NaN());
  spmm_forward<double>(x, x.val, w, y);
  expect_matrix_near(y, to_dense(x) * w);

  // With other values: the dense product of the matrix holding those values.
  std::vector<double> values = x.val;
  for (std::size_t k = 0; k < values.size(); ++k) values[k] = k % 3 == 0 ? 0.0 : 1.5 * values[k];
  SparseMatrix<double> replaced = x;
  replaced.val = values;
  const MatrixD expected = to_dense(replaced) * w;
  spmm_forward<double>(x, values, w, y);
  expect_matrix_near(y, expected);

  // The float kernels are separate code: they agree to float precision.
  const SparseMatrix<float> xf = cast<float>(x);
  Matrix<float> yf(7, out);
  spmm_forward<float>(xf, std::vector<float>(values.begin(), values.end()), w.cast<float>(), yf);
  expect_matrix_near(yf.cast<double>(), expected, 1e-5);
}

TEST_P(SpmmWidths, BackwardWeightGradient) {
  const int out = GetParam();
  const SparseMatrix<double> x = random_sparse();
  // Values differing from x.val, one of them dropped to zero.
  std::vector<double> values = x.val;
  for (std::size_t k = 0; k < values.size(); ++k) values[k] *= 1.0 + 0.1 * static_cast<double>(k);
  values[1] = 0;
  MatrixD w = random_matrix(5, out, 60);
  const MatrixD wl = random_matrix(7, out, 61);
  auto loss = [&] {
    MatrixD y(7, out);
    spmm_forward<double>(x, values, w, y);
    return weighted_sum(wl, y);
  };
  const MatrixD grad_w0 = random_matrix(5, out, 62);
  MatrixD grad_w = grad_w0;  // accumulated
  spmm_backward_weight<double>(x, values, wl, grad_w);
  expect_gradient("spmm grad_w", w, grad_w - grad_w0, loss);
  // Row 4 of w multiplies the empty column 4 of X: its gradient is exactly zero.
  EXPECT_EQ(grad_w.row(4), grad_w0.row(4));

  // Float agrees with double, including the accumulation.
  Matrix<float> grad_w_f = grad_w0.cast<float>();
  spmm_backward_weight<float>(cast<float>(x), std::vector<float>(values.begin(), values.end()),
                              wl.cast<float>(), grad_w_f);
  expect_matrix_near(grad_w_f.cast<double>(), grad_w, 1e-5);

  // Each entry's terms in ascending row order, v·g rounded then added: exactly the plain
  // loop's bits (the sums do not depend on how the columns are split among threads).
  Matrix<float> plain = grad_w0.cast<float>();
  const Matrix<float> wl_f = wl.cast<float>();
  for (std::int64_t i = 0; i < x.rows; ++i) {
    for (auto k = x.row_ptr[i]; k < x.row_ptr[i + 1]; ++k) {
      const auto v = static_cast<float>(values[static_cast<std::size_t>(k)]);
      if (v == 0.0f) continue;
      for (int c = 0; c < out; ++c) {
        const float term = v * wl_f(i, c);
        plain(x.col[k], c) = plain(x.col[k], c) + term;
      }
    }
  }
  EXPECT_EQ(grad_w_f, plain);
}

INSTANTIATE_TEST_SUITE_P(OutputWidth, SpmmWidths, ::testing::Values(3, 8, 16, 24, 64),
                         [](const auto& param_info) {
                           return "W" + std::to_string(param_info.param);
                         });

// ---- bias ---------------------------------------------------------------------------------

// No non-zeros (and no input columns at all): the weight gradient is left as it was.
TEST(SpmmBackwardWeight, NoEntriesAddNothing) {
  for (const std::int64_t cols : {0, 4}) {
    SparseMatrix<float> x;
    x.rows = 3;
    x.cols = cols;
    x.row_ptr.assign(4, 0);
    Matrix<float> grad_w = Matrix<float>::Constant(cols, 16, 2.0f);
    spmm_backward_weight<float>(x, {}, Matrix<float>::Ones(3, 16), grad_w);
    EXPECT_TRUE(grad_w == Matrix<float>::Constant(cols, 16, 2.0f)) << cols << " columns";
  }
}

TEST(ColumnSumBackward, HandComputed) {
  MatrixD grad_y(3, 2);
  grad_y << 1, 2,  //
      3, 4,        //
      5, -6;
  MatrixD grad_b(1, 2);
  grad_b << 10, 10;  // accumulated onto
  column_sum_backward<double>(grad_y, grad_b);
  EXPECT_DOUBLE_EQ(grad_b(0, 0), 10 + 1 + 3 + 5);
  EXPECT_DOUBLE_EQ(grad_b(0, 1), 10 + 2 + 4 - 6);
}

TEST(ColumnSumBackward, GradientOverSeveralChunks) {
  // L = Σ W ⊙ (Y + 1·b) over 600 rows (three chunks, the last partial).
  const Eigen::Index n = 600, out = 4;
  const MatrixD y = random_matrix(n, out, 63), wl = random_matrix(n, out, 64);
  MatrixD b = random_matrix(1, out, 65);
  auto loss = [&] {
    MatrixD biased = y;
    biased.rowwise() += b.row(0);
    return weighted_sum(wl, biased);
  };
  const MatrixD grad_b0 = random_matrix(1, out, 66);
  MatrixD grad_b = grad_b0;
  column_sum_backward<double>(wl, grad_b);
  expect_gradient("column_sum grad_b", b, grad_b - grad_b0, loss);
}

}  // namespace
}  // namespace gat::ops
