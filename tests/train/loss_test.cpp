// Masked NLL loss and accuracy: hand values and a finite-difference check.

#include "gat/train/loss.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "gat/core/error.hpp"
#include "gat/train/metrics.hpp"
#include "support/gradcheck.hpp"

namespace gat {
namespace {

using test::MatrixD;

// Logits (0, ln 3) for a node of class 1: softmax = (1/4, 3/4), so L = -ln(3/4) and
// dL/dlogits = (1/4, 3/4 - 1) over one node. The second node is outside the mask.
TEST(NllLoss, HandComputed) {
  MatrixD logits(2, 2);
  logits << 0, std::log(3.0), 5, -5;
  MatrixD grad;
  const double l = nll_loss<double>(logits, {1, 0}, {0}, &grad);
  EXPECT_NEAR(l, -std::log(0.75), 1e-12);
  EXPECT_NEAR(grad(0, 0), 0.25, 1e-12);
  EXPECT_NEAR(grad(0, 1), -0.25, 1e-12);
  EXPECT_EQ(grad(1, 0), 0.0);
  EXPECT_EQ(grad(1, 1), 0.0);
}

// Huge logits would overflow a naive softmax; the max-shifted one stays finite.
TEST(NllLoss, StableForLargeLogits) {
  MatrixD logits(1, 3);
  logits << 1000, 0, -1000;
  MatrixD grad;
  EXPECT_NEAR(nll_loss<double>(logits, {0}, {0}, &grad), 0.0, 1e-12);
  EXPECT_NEAR(nll_loss<double>(logits, {1}, {0}), 1000.0, 1e-9);
  EXPECT_TRUE(grad.allFinite());
}

TEST(NllLoss, GradientMatchesFiniteDifferences) {
  MatrixD logits = test::random_matrix(6, 4, 3, -2, 2);
  const std::vector<std::int32_t> labels{0, 1, 2, 3, 0, 1}, nodes{0, 2, 3, 5};
  MatrixD grad;
  nll_loss<double>(logits, labels, nodes, &grad);
  test::expect_gradient("logits", logits, grad,
                        [&] { return nll_loss<double>(logits, labels, nodes); });
}

TEST(NllLoss, RejectsBadLabels) {
  MatrixD logits = MatrixD::Zero(2, 3);
  EXPECT_THROW(nll_loss<double>(logits, {0, 3}, {1}), Error);
  EXPECT_THROW(nll_loss<double>(logits, {0, 1}, {2}), Error);
}

TEST(Metrics, AccuracyAndTies) {
  MatrixD logits(3, 3);
  logits << 1, 2, 0,  //
      5, 5, 1,        // a tie goes to the lowest class
      0, 0, 3;
  EXPECT_EQ(predict<double>(logits), (std::vector<std::int32_t>{1, 0, 2}));
  EXPECT_DOUBLE_EQ(accuracy<double>(logits, {1, 1, 2}, {0, 1, 2}), 2.0 / 3.0);
  EXPECT_DOUBLE_EQ(accuracy<double>(logits, {1, 1, 2}, {}), 0.0);
}

}  // namespace
}  // namespace gat
