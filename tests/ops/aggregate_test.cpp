#include "gat/ops/aggregate.hpp"

#include <gtest/gtest.h>

#include <limits>
#include <utility>
#include <vector>

#include "support/gradcheck.hpp"
#include "support/graphs.hpp"
#include "support/op_fixtures.hpp"

namespace gat::ops {
namespace {

using test::check_graph;
using test::expect_gradient;
using test::expect_matrix_near;
using test::MatrixD;
using test::random_graph;
using test::random_matrix;
using test::small_aggregate_graph;

// The hand-computed tests run on small_aggregate_graph(), drawn in support/graphs.hpp: N = 4,
// E = 5, slots 0..4 = edges 1→0, 0→2, 1→2, 1→2 (a duplicate), 2→2 (a self loop); node 1 has no
// in-edges and node 3 is isolated.

// H = 2 heads of F = 2 features: z row = [head 0 | head 1].
MatrixD small_z() {
  MatrixD z(4, 4);
  z << 1, 2, 3, 4,      //
      10, 20, -1, -2,   //
      0.5, -0.5, 2, 0,  //
      7, 7, 7, 7;
  return z;
}
// alpha (E, H), one weight per edge and head.
MatrixD small_alpha() {
  MatrixD alpha(5, 2);
  alpha << 0.5, 2,  //
      1, 0,         //
      0.25, 1,      //
      0.25, 1,      //
      2, -1;
  return alpha;
}

TEST(AggregateForward, HandComputed) {
  const CsrGraph g = small_aggregate_graph();
  ASSERT_EQ(g.src(), (std::vector<NodeId>{1, 0, 1, 1, 2}));
  // Prefilled with NaN: every entry must be overwritten, including rows without in-edges.
  MatrixD out = MatrixD::Constant(4, 4, std::numeric_limits<double>::quiet_NaN());
  aggregate_forward<double>(g, small_alpha(), small_z(), out);
  // out[0] = 0.5·z1[h0] ‖ 2·z1[h1]                             = [5, 10 | -2, -4]
  // out[1] = nothing flows in                                  = [0, 0 | 0, 0]
  // out[2], head 0: 1·[1, 2] + 0.25·[10, 20] + 0.25·[10, 20] + 2·[0.5, -0.5]
  //                = [1 + 2.5 + 2.5 + 1, 2 + 5 + 5 - 1]         = [7, 11]
  //         head 1: 0·[3, 4] + 1·[-1, -2] + 1·[-1, -2] - 1·[2, 0] = [-4, -4]
  //   (the duplicate 1→2 counts twice; the self loop brings z2 itself)
  // out[3] = nothing flows in (z3 = 7s must not leak anywhere)  = [0, 0 | 0, 0]
  MatrixD expected(4, 4);
  expected << 5, 10, -2, -4,  //
      0, 0, 0, 0,             //
      7, 11, -4, -4,          //
      0, 0, 0, 0;
  expect_matrix_near(out, expected);
}

TEST(AggregateBackward, HandComputed) {
  const CsrGraph g = small_aggregate_graph();
  // grad_out = 1 at out[2, head 0, feature 1] only.
  MatrixD grad_out = MatrixD::Zero(4, 4);
  grad_out(2, 1) = 1;
  MatrixD grad_alpha = MatrixD::Constant(5, 2, 123.0);  // overwritten
  MatrixD grad_z = MatrixD::Ones(4, 4);                 // accumulated
  aggregate_backward<double>(g, small_alpha(), small_z(), grad_out, grad_alpha, grad_z);
  // grad_alpha[p, 0] = z[src p, feature 1 of head 0] for the slots into node 2, 0 elsewhere:
  //   slot 1 (0→2): 2   slots 2, 3 (1→2): 20   slot 4 (2→2): -0.5
  MatrixD expected_alpha(5, 2);
  expected_alpha << 0, 0,  //
      2, 0,                //
      20, 0,               //
      20, 0,               //
      -0.5, 0;
  expect_matrix_near(grad_alpha, expected_alpha);
  // grad_z[j, 1] += Σ alpha[p, 0] over j's edges into node 2:
  //   z0: 1    z1: 0.25 + 0.25 = 0.5    z2: 2    z3: nothing
  MatrixD expected_z = MatrixD::Ones(4, 4);
  expected_z(0, 1) += 1;
  expected_z(1, 1) += 0.5;
  expected_z(2, 1) += 2;
  expect_matrix_near(grad_z, expected_z);
}

// Reference: edge by edge, scattering into destinations (the kernel gathers per row instead).
MatrixD reference_aggregate(const CsrGraph& g, const MatrixD& alpha, const MatrixD& z) {
  const std::vector<NodeId> dst = g.dst();
  const Eigen::Index h = alpha.cols(), f = z.cols() / h;
  MatrixD out = MatrixD::Zero(g.num_nodes(), z.cols());
  for (EdgeId p = 0; p < g.num_edges(); ++p) {
    for (Eigen::Index k = 0; k < h * f; ++k) out(dst[p], k) += alpha(p, k / f) * z(g.src()[p], k);
  }
  return out;
}

// (H, F) shapes: the kernels have fixed-size versions for common shapes (1×8, 2×8, 8×8, 8×16,
// ...) and a run-time-shape one for the rest; both kinds are covered.
class AggregateShapes : public ::testing::TestWithParam<std::pair<int, int>> {};

TEST_P(AggregateShapes, ForwardMatchesReference) {
  const auto [h, f] = GetParam();
  const CsrGraph g = check_graph();
  const MatrixD alpha = random_matrix(g.num_edges(), h, 46), z = random_matrix(7, h * f, 47);
  const MatrixD expected = reference_aggregate(g, alpha, z);
  MatrixD out = MatrixD::Constant(7, h * f, std::numeric_limits<double>::quiet_NaN());
  aggregate_forward<double>(g, alpha, z, out);
  expect_matrix_near(out, expected);
  // The float kernels are separate code: they agree to float precision.
  Matrix<float> out_f(7, h * f);
  aggregate_forward<float>(g, alpha.cast<float>(), z.cast<float>(), out_f);
  expect_matrix_near(out_f.cast<double>(), expected, 1e-5);
  // Every kernel (fixed shapes, narrow heads in registers or in memory, run-time shapes) adds
  // each slot's product in slot order, so the float result is the float reference's bits.
  const Matrix<float> alpha_f = alpha.cast<float>(), z_f = z.cast<float>();
  const std::vector<NodeId> dst = g.dst();
  Matrix<float> expected_f = Matrix<float>::Zero(7, h * f);
  for (EdgeId p = 0; p < g.num_edges(); ++p) {
    for (Eigen::Index k = 0; k < h * f; ++k) {
      expected_f(dst[p], k) += alpha_f(p, k / f) * z_f(g.src()[p], k);
    }
  }
  EXPECT_TRUE(out_f == expected_f) << "float aggregate differs from the float reference";
}

void check_aggregate_gradients(const CsrGraph& g, Eigen::Index h, Eigen::Index f) {
  const Eigen::Index n = g.num_nodes(), e = g.num_edges();
  MatrixD alpha = random_matrix(e, h, 41);
  MatrixD z = random_matrix(n, h * f, 42);
  const MatrixD w = random_matrix(n, h * f, 43);
  auto loss = [&] {
    MatrixD out(n, h * f);
    aggregate_forward<double>(g, alpha, z, out);
    return (w.array() * out.array()).sum();
  };
  MatrixD grad_alpha = random_matrix(e, h, 44);  // junk: overwritten
  const MatrixD grad_z0 = random_matrix(n, h * f, 45);
  MatrixD grad_z = grad_z0;  // accumulated
  aggregate_backward<double>(g, alpha, z, w, grad_alpha, grad_z);
  expect_gradient("aggregate grad_alpha", alpha, grad_alpha, loss);
  expect_gradient("aggregate grad_z", z, grad_z - grad_z0, loss);

  // Float backward agrees with double, including the accumulation into grad_z.
  Matrix<float> grad_alpha_f = Matrix<float>::Constant(e, h, 123.0f);
  Matrix<float> grad_z_f = grad_z0.cast<float>();
  aggregate_backward<float>(g, alpha.cast<float>(), z.cast<float>(), w.cast<float>(), grad_alpha_f,
                            grad_z_f);
  expect_matrix_near(grad_alpha_f.cast<double>(), grad_alpha, 1e-5);
  expect_matrix_near(grad_z_f.cast<double>(), grad_z, 1e-5);

  // And the same bits as a float reference in the kernels' order: each source's gradient
  // over its out-edges in transposed order onto the incoming gradient, and for heads narrower
  // than a vector (F < 8: the run-time and narrow-head kernels) each head's dot product summed
  // over its features from 0 (the fixed shapes sum a head's features as a vector reduction).
  const Matrix<float> alpha_f = alpha.cast<float>(), z_f = z.cast<float>(), w_f = w.cast<float>();
  const std::vector<NodeId> dst = g.dst();
  Matrix<float> expected_alpha(e, h);
  for (EdgeId p = 0; p < e; ++p) {
    for (Eigen::Index k = 0; k < h; ++k) {
      float acc = 0;
      for (Eigen::Index c = k * f; c < (k + 1) * f; ++c) acc += w_f(dst[p], c) * z_f(g.src()[p], c);
      expected_alpha(p, k) = acc;
    }
  }
  Matrix<float> expected_z = grad_z0.cast<float>();
  const CsrTranspose& t = g.transpose();
  for (NodeId j = 0; j < n; ++j) {
    for (EdgeId q = t.row_ptr[j]; q < t.row_ptr[j + 1]; ++q) {
      for (Eigen::Index c = 0; c < h * f; ++c) {
        expected_z(j, c) += alpha_f(t.slot[q], c / f) * w_f(t.dst[q], c);
      }
    }
  }
  if (f < 8) {
    EXPECT_TRUE(grad_alpha_f == expected_alpha) << "float grad_alpha differs from the reference";
  }
  EXPECT_TRUE(grad_z_f == expected_z) << "float grad_z differs from the reference";
}

TEST_P(AggregateShapes, Gradient) {
  const auto [h, f] = GetParam();
  check_aggregate_gradients(check_graph(), h, f);
}

INSTANTIATE_TEST_SUITE_P(HeadsByFeatures, AggregateShapes,
                         ::testing::Values(std::pair{1, 3}, std::pair{3, 2}, std::pair{1, 8},
                                           std::pair{2, 8}, std::pair{4, 16}, std::pair{8, 8},
                                           std::pair{8, 16}, std::pair{8, 1}, std::pair{8, 3},
                                           std::pair{8, 7}, std::pair{4, 2}, std::pair{2, 3}),
                         test::heads_by_features_name);

TEST(AggregateBackward, GradientRandomGraphOneHead) {
  check_aggregate_gradients(random_graph(7), 1, 3);
}
TEST(AggregateBackward, GradientRandomGraphThreeHeads) {
  check_aggregate_gradients(random_graph(8), 3, 2);
}

TEST(Aggregate, EmptyGraph) {
  const CsrGraph g;
  const MatrixD alpha(0, 2), z(0, 4);
  MatrixD out(0, 4), grad_alpha(0, 2), grad_z(0, 4);
  aggregate_forward<double>(g, alpha, z, out);
  aggregate_backward<double>(g, alpha, z, out, grad_alpha, grad_z);
  EXPECT_EQ(out.size(), 0);
}

}  // namespace
}  // namespace gat::ops
