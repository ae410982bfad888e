#include "gat/ops/activation.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "support/gradcheck.hpp"

namespace gat::ops {
namespace {

using test::expect_gradient;
using test::MatrixD;
using test::random_matrix;

TEST(EluForward, HandComputed) {
  MatrixD x(2, 2);
  x << -1, 0,  //
      -40, 1e-3;
  MatrixD y = MatrixD::Constant(2, 2, 123.0);
  elu_forward<double>(x, y);
  // x > 0 passes through; otherwise e^x - 1: e^-1 - 1 = -0.63212055882855767, e^-40 - 1 ≈ -1.
  EXPECT_NEAR(y(0, 0), -0.63212055882855767, 1e-15);
  EXPECT_EQ(y(0, 1), 0.0);  // ELU(0) = 0 from either side
  EXPECT_NEAR(y(1, 0), -1.0, 1e-15);
  EXPECT_EQ(y(1, 1), 1e-3);
}

TEST(EluBackward, HandComputed) {
  // From the outputs y of x = [-1, 2, -3]: slopes e^-1, 1, e^-3, i.e. y + 1 where x ≤ 0.
  MatrixD y(1, 3), grad_y(1, 3);
  y << std::exp(-1.0) - 1, 2, std::exp(-3.0) - 1;
  grad_y << 2, 5, -1;
  MatrixD grad_x = MatrixD::Constant(1, 3, 123.0);  // overwritten
  elu_backward<double>(y, grad_y, grad_x);
  EXPECT_NEAR(grad_x(0, 0), 2 * 0.36787944117144233, 1e-15);
  EXPECT_EQ(grad_x(0, 1), 5.0);
  EXPECT_NEAR(grad_x(0, 2), -0.049787068367863944, 1e-15);
}

TEST(EluBackward, Gradient) {
  MatrixD x = random_matrix(6, 5, 71, -2.0, 2.0);
  for (Eigen::Index k = 0; k < x.size(); ++k) {
    ASSERT_GT(std::abs(x.data()[k]), 1e-3) << "too close to the kink for a finite difference";
  }
  const MatrixD w = random_matrix(6, 5, 72);
  auto loss = [&] {
    MatrixD y(6, 5);
    elu_forward<double>(x, y);
    return (w.array() * y.array()).sum();
  };
  MatrixD y(6, 5);
  elu_forward<double>(x, y);
  MatrixD grad_x = random_matrix(6, 5, 73);  // junk: overwritten
  elu_backward<double>(y, w, grad_x);
  expect_gradient("elu grad_x", x, grad_x, loss);
}

TEST(EluForward, FloatAgreesWithDouble) {
  // The float kernel has its own exp: over [-20, 5] it matches double to float precision.
  const MatrixD x = random_matrix(50, 40, 74, -20.0, 5.0);
  MatrixD y(50, 40);
  elu_forward<double>(x, y);
  Matrix<float> y_f(50, 40);
  elu_forward<float>(x.cast<float>(), y_f);
  for (Eigen::Index k = 0; k < y.size(); ++k) {
    ASSERT_NEAR(static_cast<double>(y_f.data()[k]), y.data()[k], 1e-6 * (1 + std::abs(y.data()[k])))
        << "x = " << x.data()[k];
  }
  Matrix<float> grad_x_f(50, 40);
  const MatrixD grad_y = random_matrix(50, 40, 75);
  elu_backward<float>(y_f, grad_y.cast<float>(), grad_x_f);
  MatrixD grad_x(50, 40);
  elu_backward<double>(y, grad_y, grad_x);
  for (Eigen::Index k = 0; k < y.size(); ++k) {
    ASSERT_NEAR(static_cast<double>(grad_x_f.data()[k]), grad_x.data()[k], 1e-6)
        << "x = " << x.data()[k];
  }
}

TEST(Elu, WorksOnABlockOfAWiderMatrix) {
  // Eigen::Ref views with an outer stride: only the viewed columns are read and written.
  MatrixD wide = MatrixD::Constant(3, 5, -1.0);
  wide.col(4).setConstant(7.0);
  MatrixD out = MatrixD::Constant(3, 5, 9.0);
  elu_forward<double>(wide.leftCols(2), out.middleCols(1, 2));
  for (Eigen::Index r = 0; r < 3; ++r) {
    EXPECT_EQ(out(r, 0), 9.0);
    EXPECT_NEAR(out(r, 1), std::exp(-1.0) - 1, 1e-15);
    EXPECT_NEAR(out(r, 2), std::exp(-1.0) - 1, 1e-15);
    EXPECT_EQ(out(r, 3), 9.0);
  }
}

}  // namespace
}  // namespace gat::ops
