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

TEST(TanhForward, HandComputed) {
  MatrixD x(2, 3);
  x << 0, 0.5, -1,  //
      1e-8, 20, -30;
  MatrixD y = MatrixD::Constant(2, 3, 123.0);
  tanh_forward<double>(x, y);
  // tanh(0.5) = (e - 1)/(e + 1) = 0.46211715726000974, tanh(-1) = -0.76159415595576489; near 0
  // tanh(x) = x to full relative precision, and it saturates at ±1 without overflow.
  EXPECT_EQ(y(0, 0), 0.0);
  EXPECT_NEAR(y(0, 1), 0.46211715726000974, 1e-16);
  EXPECT_NEAR(y(0, 2), -0.76159415595576489, 1e-16);
  EXPECT_NEAR(y(1, 0), 1e-8, 1e-22);
  EXPECT_EQ(y(1, 1), 1.0);
  EXPECT_EQ(y(1, 2), -1.0);
}

TEST(TanhBackward, HandComputed) {
  // dy/dx = 1 - y²: y = [0, 0.5, -0.8] gives slopes [1, 0.75, 0.36].
  MatrixD y(1, 3), grad_y(1, 3);
  y << 0, 0.5, -0.8;
  grad_y << 2, -4, 10;
  MatrixD grad_x = MatrixD::Constant(1, 3, 123.0);  // overwritten
  tanh_backward<double>(y, grad_y, grad_x);
  EXPECT_EQ(grad_x(0, 0), 2.0);
  EXPECT_EQ(grad_x(0, 1), -3.0);
  EXPECT_NEAR(grad_x(0, 2), 3.6, 1e-14);  // 10 · 0.36, rounded differently with FMA or without
}

TEST(TanhBackward, Gradient) {
  MatrixD x = random_matrix(6, 5, 76, -3.0, 3.0);
  const MatrixD w = random_matrix(6, 5, 77);
  auto loss = [&] {
    MatrixD y(6, 5);
    tanh_forward<double>(x, y);
    return (w.array() * y.array()).sum();
  };
  MatrixD y(6, 5);
  tanh_forward<double>(x, y);
  MatrixD grad_x = random_matrix(6, 5, 78);  // junk: overwritten
  tanh_backward<double>(y, w, grad_x);
  expect_gradient("tanh grad_x", x, grad_x, loss);
}

TEST(Tanh, InPlaceAndFloat) {
  // In place (y aliasing x, grad_x aliasing grad_y) gives the out-of-place result, and float
  // agrees with double to float precision.
  const MatrixD x = random_matrix(7, 9, 79, -4.0, 4.0), grad_y = random_matrix(7, 9, 80);
  MatrixD y(7, 9), grad_x(7, 9);
  tanh_forward<double>(x, y);
  tanh_backward<double>(y, grad_y, grad_x);
  MatrixD in_place = x, grad_in_place = grad_y;
  tanh_forward<double>(in_place, in_place);
  tanh_backward<double>(in_place, grad_in_place, grad_in_place);
  EXPECT_TRUE(in_place == y);
  EXPECT_TRUE(grad_in_place == grad_x);
  Matrix<float> y_f(7, 9), grad_x_f(7, 9);
  tanh_forward<float>(x.cast<float>(), y_f);
  tanh_backward<float>(y_f, grad_y.cast<float>(), grad_x_f);
  for (Eigen::Index k = 0; k < y.size(); ++k) {
    ASSERT_NEAR(double(y_f.data()[k]), y.data()[k], 1e-6) << "x = " << x.data()[k];
    ASSERT_NEAR(double(grad_x_f.data()[k]), grad_x.data()[k], 1e-6) << "x = " << x.data()[k];
  }
}

}  // namespace
}  // namespace gat::ops
