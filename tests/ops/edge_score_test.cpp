#include "gat/ops/edge_score.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <utility>
#include <vector>

#include "gat/core/random.hpp"
#include "gat/core/threads.hpp"
#include "gat/graph/build.hpp"
#include "support/gradcheck.hpp"
#include "support/graphs.hpp"

namespace gat::ops {
namespace {

using test::check_graph;
using test::expect_gradient;
using test::expect_matrix_near;
using test::MatrixD;
using test::random_graph;
using test::random_matrix;
using test::weighted_sum;

constexpr double kSlope = 0.2;

// ---- head_dot ---------------------------------------------------------------------------

TEST(HeadDotForward, HandComputed) {
  // N = 2, H = 2, F = 2. s[n, h] = z[n, h-th block] · a[h].
  MatrixD z(2, 4), a(2, 2), expected(2, 2);
  z << 1, 2, 3, 4,  //
      -1, 0, 2, -2;
  a << 1, -1,  //
      0.5, 2;
  expected << 1 - 2, 1.5 + 8,  //
      -1 + 0, 1 - 4;
  MatrixD s = MatrixD::Constant(2, 2, 123.0);  // overwritten, not accumulated into
  head_dot_forward<double>(z, a, s);
  expect_matrix_near(s, expected);
}

void check_head_dot_gradients(Eigen::Index n, Eigen::Index h, Eigen::Index f) {
  MatrixD z = random_matrix(n, h * f, 1);
  MatrixD a = random_matrix(h, f, 2);
  const MatrixD w = random_matrix(n, h, 3);
  auto loss = [&] {
    MatrixD s(n, h);
    head_dot_forward<double>(z, a, s);
    return weighted_sum(w, s);
  };
  // Both gradients accumulate: start from non-zero values and check the increment.
  const MatrixD grad_z0 = random_matrix(n, h * f, 4), grad_a0 = random_matrix(h, f, 5);
  MatrixD grad_z = grad_z0, grad_a = grad_a0;
  head_dot_backward<double>(z, a, w, grad_z, grad_a);
  expect_gradient("head_dot grad_z", z, grad_z - grad_z0, loss);
  expect_gradient("head_dot grad_a", a, grad_a - grad_a0, loss);
}

TEST(HeadDotBackward, GradientOneHead) { check_head_dot_gradients(7, 1, 4); }
TEST(HeadDotBackward, GradientThreeHeads) { check_head_dot_gradients(7, 3, 2); }

TEST(HeadDotBackward, GradientOfAOverSeveralChunks) {
  // N = 600 = 2·256 + 88: grad_a is reduced over three row chunks, the last one partial.
  const Eigen::Index n = 600, h = 3, f = 2;
  const MatrixD z = random_matrix(n, h * f, 11);
  MatrixD a = random_matrix(h, f, 12);
  const MatrixD w = random_matrix(n, h, 13);
  auto loss = [&] {
    MatrixD s(n, h);
    head_dot_forward<double>(z, a, s);
    return weighted_sum(w, s);
  };
  const MatrixD grad_a0 = random_matrix(h, f, 14);
  MatrixD grad_z = MatrixD::Zero(n, h * f), grad_a = grad_a0;
  head_dot_backward<double>(z, a, w, grad_z, grad_a);
  expect_gradient("head_dot grad_a (600 rows)", a, grad_a - grad_a0, loss);
}

// Float, eight heads of 3 (an output layer's shape, the narrow-head loops) and 2 heads of 4:
// the node scores and both gradients are the bits of plain loops that sum each head's features
// from 0 and each gradient entry over the nodes in order.
TEST(HeadDot, FloatNarrowHeadsEqualPlainLoops) {
  for (const auto& [h, f] : {std::pair<Eigen::Index, Eigen::Index>{8, 3}, {2, 4}, {5, 1}}) {
    const Eigen::Index n = 300;
    const Matrix<float> z = random_matrix(n, h * f, 21).cast<float>();
    const Matrix<float> a = random_matrix(h, f, 22).cast<float>();
    const Matrix<float> g = random_matrix(n, h, 23).cast<float>();
    Matrix<float> s(n, h), expected_s(n, h);
    head_dot_forward<float>(z, a, s);
    Matrix<float> grad_z = random_matrix(n, h * f, 24).cast<float>(), expected_z = grad_z;
    Matrix<float> grad_a = random_matrix(h, f, 25).cast<float>(), expected_a = grad_a;
    head_dot_backward<float>(z, a, g, grad_z, grad_a);
    Matrix<float> chunk_a = Matrix<float>::Zero(h, f);
    for (Eigen::Index i = 0; i < n; ++i) {
      for (Eigen::Index k = 0; k < h; ++k) {
        float acc = 0;
        for (Eigen::Index c = 0; c < f; ++c) {
          acc += z(i, k * f + c) * a(k, c);
          expected_z(i, k * f + c) += g(i, k) * a(k, c);
          chunk_a(k, c) += g(i, k) * z(i, k * f + c);
        }
        expected_s(i, k) = acc;
      }
      if ((i + 1) % kRowChunk == 0 || i + 1 == n) {  // per chunk of rows, then over chunks
        expected_a += chunk_a;
        chunk_a.setZero();
      }
    }
    EXPECT_TRUE(s == expected_s) << "H = " << h << ", F = " << f;
    EXPECT_TRUE(grad_z == expected_z) << "H = " << h << ", F = " << f;
    EXPECT_TRUE(grad_a == expected_a) << "H = " << h << ", F = " << f;
  }
}

// ---- edge_score -------------------------------------------------------------------------

// The graph of the hand-computed tests (N = 3, E = 4):
//
//   0 ◀──▶ 1 ◀── 2 ↺
//
//   slot:   0    1    2    3        (rows by destination: 0 ← {1}, 1 ← {0, 2}, 2 ← {2})
//   edge:  1→0  0→1  2→1  2→2
CsrGraph small_graph() { return CsrGraph(3, {0, 1, 3, 4}, {1, 0, 2, 2}); }

// H = 2. Pre-activations x[p] = s_dst[i] + s_src[j] for slot p = (j → i):
//   slot 0 (1→0): [2 + 0.5,  1 + 1]    = [ 2.5,  2  ]
//   slot 1 (0→1): [-1 + 1.5, 0.5 - 2]  = [ 0.5, -1.5]
//   slot 2 (2→1): [-1 - 3,   0.5 + 0]  = [-4,    0.5]
//   slot 3 (2→2): [0.5 - 3, -1 + 0]    = [-2.5, -1  ]
MatrixD small_s_src() {
  MatrixD s(3, 2);
  s << 1.5, -2,  //
      0.5, 1,    //
      -3, 0;
  return s;
}
MatrixD small_s_dst() {
  MatrixD s(3, 2);
  s << 2, 1,    //
      -1, 0.5,  //
      0.5, -1;
  return s;
}

TEST(EdgeScoreForward, HandComputedLeakyRelu) {
  const CsrGraph g = small_graph();
  MatrixD e = MatrixD::Constant(4, 2, 123.0);
  edge_score_forward<double>(g, small_s_src(), small_s_dst(), kSlope, e);
  // Negative pre-activations are multiplied by the slope 0.2.
  MatrixD expected(4, 2);
  expected << 2.5, 2,  //
      0.5, -0.3,       //
      -0.8, 0.5,       //
      -0.5, -0.2;
  expect_matrix_near(e, expected);
}

TEST(EdgeScoreBackward, HandComputed) {
  const CsrGraph g = small_graph();
  // grad_e = 1 everywhere, so each edge contributes LeakyReLU'(x[p]) = 1 (x > 0) or 0.2:
  //   slot 0: [1, 1]   slot 1: [1, 0.2]   slot 2: [0.2, 1]   slot 3: [0.2, 0.2]
  // grad_s_dst[i] sums i's in-edges:   0: slot 0         1: slots 1 + 2    2: slot 3
  // grad_s_src[j] sums j's out-edges:  0: slot 1         1: slot 0         2: slots 2 + 3
  // Both accumulate onto their initial value, 1 here.
  const MatrixD grad_e = MatrixD::Ones(4, 2);
  MatrixD grad_s_src = MatrixD::Ones(3, 2), grad_s_dst = MatrixD::Ones(3, 2);
  edge_score_backward<double>(g, small_s_src(), small_s_dst(), kSlope, grad_e, grad_s_src,
                              grad_s_dst);
  MatrixD expected_dst(3, 2), expected_src(3, 2);
  expected_dst << 1 + 1, 1 + 1,  //
      1 + 1.2, 1 + 1.2,          //
      1 + 0.2, 1 + 0.2;
  expected_src << 1 + 1, 1 + 0.2,  //
      1 + 1, 1 + 1,                //
      1 + 0.4, 1 + 1.2;
  expect_matrix_near(grad_s_dst, expected_dst);
  expect_matrix_near(grad_s_src, expected_src);
}

void check_edge_score_gradients(const CsrGraph& g, Eigen::Index h) {
  const Eigen::Index n = g.num_nodes(), e = g.num_edges();
  MatrixD s_src = random_matrix(n, h, 21), s_dst = random_matrix(n, h, 22);
  const MatrixD w = random_matrix(e, h, 23);

  // Both branches of LeakyReLU must be exercised, and no pre-activation may sit so close to
  // the kink at 0 that the finite difference straddles it.
  const std::vector<NodeId> dst = g.dst();
  int negative = 0, positive = 0;
  for (EdgeId p = 0; p < e; ++p) {
    for (Eigen::Index k = 0; k < h; ++k) {
      const double x = s_dst(dst[p], k) + s_src(g.src()[p], k);
      ASSERT_GT(std::abs(x), 1e-3);
      (x < 0 ? negative : positive)++;
    }
  }
  ASSERT_GT(negative, 0);
  ASSERT_GT(positive, 0);

  auto loss = [&] {
    MatrixD out(e, h);
    edge_score_forward<double>(g, s_src, s_dst, kSlope, out);
    return weighted_sum(w, out);
  };
  const MatrixD grad_src0 = random_matrix(n, h, 24), grad_dst0 = random_matrix(n, h, 25);
  MatrixD grad_src = grad_src0, grad_dst = grad_dst0;
  edge_score_backward<double>(g, s_src, s_dst, kSlope, w, grad_src, grad_dst);
  expect_gradient("edge_score grad_s_src", s_src, grad_src - grad_src0, loss);
  expect_gradient("edge_score grad_s_dst", s_dst, grad_dst - grad_dst0, loss);
}

TEST(EdgeScoreBackward, GradientOneHead) { check_edge_score_gradients(check_graph(), 1); }
TEST(EdgeScoreBackward, GradientThreeHeads) { check_edge_score_gradients(check_graph(), 3); }
TEST(EdgeScoreBackward, GradientRandomGraphOneHead) {
  check_edge_score_gradients(random_graph(5), 1);
}
TEST(EdgeScoreBackward, GradientRandomGraphThreeHeads) {
  check_edge_score_gradients(random_graph(6), 3);
}

// ---- edge_score with an edge-feature term ------------------------------------------------

TEST(EdgeScoreForward, EdgeTermHandComputed) {
  // The small graph again, with s_edge added to each slot's pre-activation:
  //   slot 0: [2.5 - 3, 2 + 0]     = [-0.5, 2  ]  → [-0.1, 2  ]
  //   slot 1: [0.5 + 1, -1.5 + 2]  = [ 1.5, 0.5]  → [ 1.5, 0.5]
  //   slot 2: [-4 + 0, 0.5 - 1]    = [-4,  -0.5]  → [-0.8, -0.1]
  //   slot 3: [-2.5 + 3, -1 + 0.5] = [ 0.5, -0.5] → [ 0.5, -0.1]
  const CsrGraph g = small_graph();
  MatrixD s_edge(4, 2);
  s_edge << -3, 0,  //
      1, 2,         //
      0, -1,        //
      3, 0.5;
  MatrixD e = MatrixD::Constant(4, 2, 123.0);
  edge_score_forward<double>(g, small_s_src(), small_s_dst(), s_edge, kSlope, e);
  MatrixD expected(4, 2);
  expected << -0.1, 2,  //
      1.5, 0.5,         //
      -0.8, -0.1,       //
      0.5, -0.1;
  expect_matrix_near(e, expected);
}

TEST(EdgeScoreForward, ZeroEdgeTermEqualsNodeOnlyScore) {
  const CsrGraph g = random_graph(7);
  const Eigen::Index n = g.num_nodes(), e = g.num_edges();
  const MatrixD s_src = random_matrix(n, 3, 31), s_dst = random_matrix(n, 3, 32);
  MatrixD plain(e, 3), with_edge(e, 3);
  edge_score_forward<double>(g, s_src, s_dst, kSlope, plain);
  edge_score_forward<double>(g, s_src, s_dst, MatrixD::Zero(e, 3), kSlope, with_edge);
  EXPECT_TRUE(plain == with_edge);
}

void check_edge_term_gradients(const CsrGraph& g, Eigen::Index h) {
  const Eigen::Index n = g.num_nodes(), e = g.num_edges();
  MatrixD s_src = random_matrix(n, h, 41), s_dst = random_matrix(n, h, 42);
  MatrixD s_edge = random_matrix(e, h, 43);
  const MatrixD w = random_matrix(e, h, 44);
  // No pre-activation near the kink, and both branches exercised (as above).
  const std::vector<NodeId> dst = g.dst();
  int negative = 0, positive = 0;
  for (EdgeId p = 0; p < e; ++p) {
    for (Eigen::Index k = 0; k < h; ++k) {
      const double x = s_dst(dst[p], k) + s_src(g.src()[p], k) + s_edge(p, k);
      ASSERT_GT(std::abs(x), 1e-3);
      (x < 0 ? negative : positive)++;
    }
  }
  ASSERT_GT(negative, 0);
  ASSERT_GT(positive, 0);
  auto loss = [&] {
    MatrixD out(e, h);
    edge_score_forward<double>(g, s_src, s_dst, s_edge, kSlope, out);
    return weighted_sum(w, out);
  };
  MatrixD grad_src = MatrixD::Zero(n, h), grad_dst = MatrixD::Zero(n, h);
  MatrixD grad_edge = MatrixD::Constant(e, h, 7.0);  // overwritten, not accumulated
  edge_score_backward<double>(g, s_src, s_dst, s_edge, kSlope, w, grad_src, grad_dst, grad_edge);
  expect_gradient("edge_score grad_s_src (edge term)", s_src, grad_src, loss);
  expect_gradient("edge_score grad_s_dst (edge term)", s_dst, grad_dst, loss);
  expect_gradient("edge_score grad_s_edge", s_edge, grad_edge, loss);
}

TEST(EdgeScoreBackward, EdgeTermGradientOneHead) { check_edge_term_gradients(check_graph(), 1); }
TEST(EdgeScoreBackward, EdgeTermGradientRandomGraphThreeHeads) {
  check_edge_term_gradients(random_graph(8), 3);
}

TEST(EdgeScore, EmptyGraph) {
  const CsrGraph g;
  MatrixD e(0, 2), grad_src(0, 2), grad_dst(0, 2);
  const MatrixD none(0, 2);
  edge_score_forward<double>(g, none, none, kSlope, e);
  edge_score_backward<double>(g, none, none, kSlope, e, grad_src, grad_dst);
  EXPECT_EQ(e.size(), 0);
}

}  // namespace
}  // namespace gat::ops
