#pragma once
// Finite-difference gradient checks in double precision.
//
// For a scalar loss L(θ), the central difference (L(θ + h·e_k) - L(θ - h·e_k)) / 2h has
// truncation error O(h²) and rounding error O(ε/h); with h = 1e-6 in double both are far
// below 1e-6 relative, while a wrong backward is off by O(1). The tolerance is therefore
// tight enough that breaking any line of a backward pass fails the check.

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <sstream>
#include <string>

#include "gat/core/random.hpp"
#include "gat/core/types.hpp"

namespace gat::test {

using MatrixD = Matrix<double>;

/// Uniform random matrix in [lo, hi) from the counter-based generator.
inline MatrixD random_matrix(Eigen::Index rows, Eigen::Index cols, std::uint64_t seed,
                             double lo = -1.0, double hi = 1.0) {
  const CounterRng rng(seed, 0, 0, 99);
  MatrixD m(rows, cols);
  for (Eigen::Index k = 0; k < m.size(); ++k) {
    m.data()[k] = lo + (hi - lo) * rng.uniform(static_cast<std::uint64_t>(k));
  }
  return m;
}

/// Σ a ⊙ b: with b a fixed random matrix, a loss whose gradient with respect to a is b.
inline double weighted_sum(const MatrixD& a, const MatrixD& b) {
  return (a.array() * b.array()).sum();
}

/// Entry-wise EXPECT_NEAR with the failing entry named.
inline void expect_matrix_near(const MatrixD& actual, const MatrixD& expected, double tol = 1e-12) {
  ASSERT_EQ(actual.rows(), expected.rows());
  ASSERT_EQ(actual.cols(), expected.cols());
  for (Eigen::Index r = 0; r < actual.rows(); ++r) {
    for (Eigen::Index c = 0; c < actual.cols(); ++c) {
      EXPECT_NEAR(actual(r, c), expected(r, c), tol) << "entry (" << r << ", " << c << ")";
    }
  }
}

/// Checks `analytic` against central differences of `loss` with respect to every entry of
/// `x` (x is perturbed in place and restored). Fails the test with the worst entry named.
inline void expect_gradient(const std::string& what, MatrixD& x, const MatrixD& analytic,
                            const std::function<double()>& loss, double h = 1e-6,
                            double rtol = 1e-5, double atol = 1e-7) {
  ASSERT_EQ(x.rows(), analytic.rows()) << what;
  ASSERT_EQ(x.cols(), analytic.cols()) << what;
  double worst = 0.0;
  Eigen::Index worst_k = -1;
  double worst_num = 0.0;
  for (Eigen::Index k = 0; k < x.size(); ++k) {
    const double saved = x.data()[k];
    x.data()[k] = saved + h;
    const double up = loss();
    x.data()[k] = saved - h;
    const double down = loss();
    x.data()[k] = saved;
    const double numeric = (up - down) / (2 * h);
    const double a = analytic.data()[k];
    const double excess =
        std::abs(a - numeric) - (atol + rtol * std::max(std::abs(a), std::abs(numeric)));
    // A NaN on either side is the worst possible entry (NaN compares false with everything).
    if (std::isnan(excess) || excess > worst) {
      worst = std::isnan(excess) ? INFINITY : excess;
      worst_k = k;
      worst_num = numeric;
    }
  }
  if (worst_k >= 0) {
    ADD_FAILURE() << what << ": gradient entry (" << worst_k / x.cols() << ", "
                  << worst_k % x.cols() << ") analytic " << analytic.data()[worst_k]
                  << " vs finite difference " << worst_num;
  }
}

}  // namespace gat::test
