#include "gat/ops/edge_dot.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <utility>
#include <vector>

#include "support/gradcheck.hpp"
#include "support/graphs.hpp"
#include "support/op_fixtures.hpp"

namespace gat::ops {
namespace {

using test::big_random_graph;
using test::check_graph;
using test::expect_error;
using test::expect_gradient;
using test::expect_matrix_near;
using test::expect_same_bits;
using test::MatrixD;
using test::random_graph;
using test::random_matrix;
using test::small_score_graph;
using test::weighted_sum;
using MatrixF = Matrix<float>;

// The hand-computed tests run on small_score_graph(), drawn in support/graphs.hpp: N = 4, E = 5,
// slots 0..4 = edges 1→0, 0→1, 2→1, 2→1 (a duplicate), 2→2 (a self loop); node 3 is isolated.
//
// H = 2 heads of F = 2 features: a row is [head 0 | head 1]. q is read at destinations,
// k at sources. Node 3 never takes part: its 9s must not show up anywhere.
MatrixD small_q() {
  MatrixD q(4, 4);
  q << 1, 2, 0, -1,   //
      0.5, -1, 2, 1,  //
      -1, 2, 1, 1,    //
      9, 9, 9, 9;
  return q;
}
MatrixD small_k() {
  MatrixD k(4, 4);
  k << 2, 1, -1, 3,  //
      1, 1, 0.5, 2,  //
      0, 3, 2, -1,   //
      9, 9, 9, 9;
  return k;
}
constexpr double kScale = 0.5;

// e[p, h] = 0.5 · <q[i, h], k[j, h]> for slot p = (j → i):
//   slot 0 (1→0): q0·k1 = [1·1 + 2·1,    0·0.5 - 1·2]  = [ 3, -2] → [ 1.5, -1  ]
//   slot 1 (0→1): q1·k0 = [0.5·2 - 1·1,  2·(-1) + 1·3] = [ 0,  1] → [ 0,    0.5]
//   slot 2 (2→1): q1·k2 = [0.5·0 - 1·3,  2·2 + 1·(-1)] = [-3,  3] → [-1.5,  1.5]
//   slot 3 (2→1): the duplicate of slot 2                          → [-1.5,  1.5]
//   slot 4 (2→2): q2·k2 = [-1·0 + 2·3,   1·2 + 1·(-1)] = [ 6,  1] → [ 3,    0.5]
template <typename T>
void check_forward_hand_computed(double tol) {
  Matrix<T> e = Matrix<T>::Constant(5, 2, T(123));  // overwritten
  edge_dot_forward<T>(small_score_graph(), small_q().cast<T>(), small_k().cast<T>(), T(kScale), e);
  MatrixD expected(5, 2);
  expected << 1.5, -1,  //
      0, 0.5,           //
      -1.5, 1.5,        //
      -1.5, 1.5,        //
      3, 0.5;
  expect_matrix_near(e.template cast<double>(), expected, tol);
}

TEST(EdgeDotForward, HandComputedDouble) { check_forward_hand_computed<double>(1e-15); }
TEST(EdgeDotForward, HandComputedFloat) { check_forward_hand_computed<float>(1e-6); }

TEST(EdgeDotBackward, HandComputed) {
  // grad_e = [1, -2] on every slot: head 0's terms count once, head 1's twice and negated.
  // grad_q[i] = 0.5 · Σ_{p into i} grad_e[p] · k[j]  (per head):
  //   node 0: k1                = [1, 1 | 0.5, 2]   → [0.5, 0.5 | -0.5, -2]
  //   node 1: k0 + 2·k2         = [2, 7 | 3, 1]     → [1, 3.5   | -3,   -1]
  //   node 2: k2                = [0, 3 | 2, -1]    → [0, 1.5   | -2,    1]
  //   node 3: no in-edges                            → 0
  // grad_k[j] = 0.5 · Σ_{p out of j} grad_e[p] · q[i]:
  //   node 0: q1                = [0.5, -1 | 2, 1]  → [0.25, -0.5 | -2, -1]
  //   node 1: q0                = [1, 2 | 0, -1]    → [0.5, 1     |  0,  1]
  //   node 2: 2·q1 + q2         = [0, 0 | 5, 3]     → [0, 0       | -5, -3]
  //   node 3: no out-edges                           → 0
  // Both accumulate onto their initial value, 1 here.
  MatrixD grad_e(5, 2);
  grad_e.col(0).setConstant(1);
  grad_e.col(1).setConstant(-2);
  MatrixD grad_q = MatrixD::Ones(4, 4), grad_k = MatrixD::Ones(4, 4);
  edge_dot_backward<double>(small_score_graph(), small_q(), small_k(), kScale, grad_e, grad_q,
                            grad_k);
  MatrixD expected_q(4, 4), expected_k(4, 4);
  expected_q << 0.5, 0.5, -0.5, -2,  //
      1, 3.5, -3, -1,                //
      0, 1.5, -2, 1,                 //
      0, 0, 0, 0;
  expected_k << 0.25, -0.5, -2, -1,  //
      0.5, 1, 0, 1,                  //
      0, 0, -5, -3,                  //
      0, 0, 0, 0;
  expect_matrix_near(grad_q, (expected_q.array() + 1).matrix(), 1e-15);
  expect_matrix_near(grad_k, (expected_k.array() + 1).matrix(), 1e-15);
}

// Multi-dimensional: e[p, c] = 0.5 · q[i, c] · k[j, c], the products above left unsummed:
//   slot 0: q0 ⊙ k1 = [1, 2, 0, -2]  → [0.5, 1, 0, -1]
//   slot 1: q1 ⊙ k0 = [1, -1, -2, 3] → [0.5, -0.5, -1, 1.5]
//   slot 2: q1 ⊙ k2 = [0, -3, 4, -1] → [0, -1.5, 2, -0.5]   (slot 3 the same)
//   slot 4: q2 ⊙ k2 = [0, 6, 2, -1]  → [0, 3, 1, -0.5]
TEST(EdgeDotMultidimForward, HandComputed) {
  MatrixD e = MatrixD::Constant(5, 4, 123.0);
  edge_dot_multidim_forward<double>(small_score_graph(), small_q(), small_k(), kScale, e);
  MatrixD expected(5, 4);
  expected << 0.5, 1, 0, -1,  //
      0.5, -0.5, -1, 1.5,     //
      0, -1.5, 2, -0.5,       //
      0, -1.5, 2, -0.5,       //
      0, 3, 1, -0.5;
  expect_matrix_near(e, expected, 1e-15);
}

TEST(EdgeDotMultidimBackward, HandComputed) {
  // grad_e = 1 on every channel: grad_q[i] = 0.5 · Σ_{p into i} k[j] and grad_k[j] =
  // 0.5 · Σ_{p out of j} q[i], channel by channel, onto an initial 0:
  //   grad_q: node 0: 0.5·k1 = [0.5, 0.5, 0.25, 1]; node 1: 0.5·(k0 + 2·k2) = [1, 3.5, 1.5, 0.5];
  //           node 2: 0.5·k2 = [0, 1.5, 1, -0.5];    node 3: 0
  //   grad_k: node 0: 0.5·q1 = [0.25, -0.5, 1, 0.5]; node 1: 0.5·q0 = [0.5, 1, 0, -0.5];
  //           node 2: 0.5·(2·q1 + q2) = [0, 0, 2.5, 1.5]; node 3: 0
  MatrixD grad_q = MatrixD::Zero(4, 4), grad_k = MatrixD::Zero(4, 4);
  edge_dot_multidim_backward<double>(small_score_graph(), small_q(), small_k(), kScale,
                                     MatrixD::Ones(5, 4), grad_q, grad_k);
  MatrixD expected_q(4, 4), expected_k(4, 4);
  expected_q << 0.5, 0.5, 0.25, 1,  //
      1, 3.5, 1.5, 0.5,             //
      0, 1.5, 1, -0.5,              //
      0, 0, 0, 0;
  expected_k << 0.25, -0.5, 1, 0.5,  //
      0.5, 1, 0, -0.5,               //
      0, 0, 2.5, 1.5,                //
      0, 0, 0, 0;
  expect_matrix_near(grad_q, expected_q, 1e-15);
  expect_matrix_near(grad_k, expected_k, 1e-15);
}

// Reference: edge by edge, straight from the definition.
MatrixD reference_edge_dot(const CsrGraph& g, const MatrixD& q, const MatrixD& k, double scale,
                           Eigen::Index h) {
  const std::vector<NodeId> dst = g.dst();
  const Eigen::Index f = q.cols() / h;
  MatrixD e = MatrixD::Zero(g.num_edges(), h);
  for (EdgeId p = 0; p < g.num_edges(); ++p) {
    for (Eigen::Index c = 0; c < h * f; ++c) {
      e(p, c / f) += scale * q(dst[p], c) * k(g.src()[p], c);
    }
  }
  return e;
}

// (H, F) shapes: test::edge_score_shapes() covers the fixed-size and run-time kernels.
class EdgeDotShapes : public ::testing::TestWithParam<std::pair<int, int>> {};

TEST_P(EdgeDotShapes, ForwardMatchesReference) {
  const auto [h, f] = GetParam();
  for (const CsrGraph& g : {check_graph(), random_graph(51)}) {
    const Eigen::Index n = g.num_nodes(), e = g.num_edges();
    const MatrixD q = random_matrix(n, h * f, 52), k = random_matrix(n, h * f, 53);
    const double scale = 1.0 / std::sqrt(double(f));  // scaled-dot attention
    const MatrixD expected = reference_edge_dot(g, q, k, scale, h);
    MatrixD out = MatrixD::Constant(e, h, std::numeric_limits<double>::quiet_NaN());
    edge_dot_forward<double>(g, q, k, scale, out);
    expect_matrix_near(out, expected, 1e-13);
    MatrixF out_f(e, h);
    edge_dot_forward<float>(g, q.cast<float>(), k.cast<float>(), float(scale), out_f);
    expect_matrix_near(out_f.cast<double>(), expected, 1e-5);

    // The multi-dimensional scores summed over each head's F channels are the per-head ones.
    MatrixD multi(e, h * f);
    edge_dot_multidim_forward<double>(g, q, k, scale, multi);
    MatrixD summed = MatrixD::Zero(e, h);
    for (Eigen::Index c = 0; c < h * f; ++c) summed.col(c / f) += multi.col(c);
    expect_matrix_near(summed, expected, 1e-13);
    MatrixF multi_f(e, h * f);
    edge_dot_multidim_forward<float>(g, q.cast<float>(), k.cast<float>(), float(scale), multi_f);
    expect_matrix_near(multi_f.cast<double>(), multi, 1e-6);
  }
}

void check_edge_dot_gradients(const CsrGraph& g, Eigen::Index h, Eigen::Index f) {
  const Eigen::Index n = g.num_nodes(), e = g.num_edges();
  MatrixD q = random_matrix(n, h * f, 61), k = random_matrix(n, h * f, 62);
  const double scale = 0.7;
  const MatrixD w = random_matrix(e, h, 63);
  auto loss = [&] {
    MatrixD out(e, h);
    edge_dot_forward<double>(g, q, k, scale, out);
    return weighted_sum(w, out);
  };
  // Both gradients accumulate: start from non-zero values and check the increment.
  const MatrixD grad_q0 = random_matrix(n, h * f, 64), grad_k0 = random_matrix(n, h * f, 65);
  MatrixD grad_q = grad_q0, grad_k = grad_k0;
  edge_dot_backward<double>(g, q, k, scale, w, grad_q, grad_k);
  expect_gradient("edge_dot grad_q", q, grad_q - grad_q0, loss);
  expect_gradient("edge_dot grad_k", k, grad_k - grad_k0, loss);

  // The float kernels agree with double, accumulation included.
  MatrixF grad_q_f = grad_q0.cast<float>(), grad_k_f = grad_k0.cast<float>();
  edge_dot_backward<float>(g, q.cast<float>(), k.cast<float>(), float(scale), w.cast<float>(),
                           grad_q_f, grad_k_f);
  expect_matrix_near(grad_q_f.cast<double>(), grad_q, 1e-5);
  expect_matrix_near(grad_k_f.cast<double>(), grad_k, 1e-5);
}

void check_edge_dot_multidim_gradients(const CsrGraph& g, Eigen::Index h, Eigen::Index f) {
  const Eigen::Index n = g.num_nodes(), e = g.num_edges();
  MatrixD q = random_matrix(n, h * f, 66), k = random_matrix(n, h * f, 67);
  const double scale = -1.3;
  const MatrixD w = random_matrix(e, h * f, 68);
  auto loss = [&] {
    MatrixD out(e, h * f);
    edge_dot_multidim_forward<double>(g, q, k, scale, out);
    return weighted_sum(w, out);
  };
  const MatrixD grad_q0 = random_matrix(n, h * f, 69), grad_k0 = random_matrix(n, h * f, 70);
  MatrixD grad_q = grad_q0, grad_k = grad_k0;
  edge_dot_multidim_backward<double>(g, q, k, scale, w, grad_q, grad_k);
  expect_gradient("edge_dot_multidim grad_q", q, grad_q - grad_q0, loss);
  expect_gradient("edge_dot_multidim grad_k", k, grad_k - grad_k0, loss);

  MatrixF grad_q_f = grad_q0.cast<float>(), grad_k_f = grad_k0.cast<float>();
  edge_dot_multidim_backward<float>(g, q.cast<float>(), k.cast<float>(), float(scale),
                                    w.cast<float>(), grad_q_f, grad_k_f);
  expect_matrix_near(grad_q_f.cast<double>(), grad_q, 1e-5);
  expect_matrix_near(grad_k_f.cast<double>(), grad_k, 1e-5);
}

TEST_P(EdgeDotShapes, Gradient) {
  const auto [h, f] = GetParam();
  check_edge_dot_gradients(check_graph(), h, f);
  check_edge_dot_gradients(random_graph(54), h, f);
}

TEST_P(EdgeDotShapes, MultidimGradient) {
  const auto [h, f] = GetParam();
  check_edge_dot_multidim_gradients(check_graph(), h, f);
  check_edge_dot_multidim_gradients(random_graph(55), h, f);
}

INSTANTIATE_TEST_SUITE_P(HeadsByFeatures, EdgeDotShapes,
                         ::testing::ValuesIn(test::edge_score_shapes()),
                         test::heads_by_features_name);

TEST(EdgeDotBackward, SharedFeaturesIntoOneGradient) {
  // Self-attention with one projection: q = k = x, and both gradients accumulate into the
  // same buffer (the documented aliasing): the total is the gradient with respect to x.
  const CsrGraph g = check_graph();
  const Eigen::Index n = g.num_nodes(), e = g.num_edges(), h = 3, f = 2;
  MatrixD x = random_matrix(n, h * f, 71);
  const MatrixD w = random_matrix(e, h, 72);
  auto loss = [&] {
    MatrixD out(e, h);
    edge_dot_forward<double>(g, x, x, 1.0, out);
    return weighted_sum(w, out);
  };
  MatrixD grad_x = MatrixD::Zero(n, h * f);
  edge_dot_backward<double>(g, x, x, 1.0, w, grad_x, grad_x);
  expect_gradient("edge_dot grad_x (q = k = x)", x, grad_x, loss);

  MatrixD multi_grad_x = MatrixD::Zero(n, h * f);
  const MatrixD w_multi = random_matrix(e, h * f, 73);
  auto multi_loss = [&] {
    MatrixD out(e, h * f);
    edge_dot_multidim_forward<double>(g, x, x, 1.0, out);
    return weighted_sum(w_multi, out);
  };
  edge_dot_multidim_backward<double>(g, x, x, 1.0, w_multi, multi_grad_x, multi_grad_x);
  expect_gradient("edge_dot_multidim grad_x (q = k = x)", x, multi_grad_x, multi_loss);
}

TEST(EdgeDotForward, GeneralScoreThroughAPerHeadBilinearForm) {
  // The survey's `general` score e_ij = (W h_j)ᵀ M (W h_i) = z_j · (M z_i) per head: with
  // q[i, h, :] = M_h z[i, h, :] (as a row: z_i,h · M_hᵀ) and k = z, it is edge_dot_forward.
  const CsrGraph g = random_graph(56);
  const Eigen::Index n = g.num_nodes(), h = 2, f = 3;
  const MatrixD z = random_matrix(n, h * f, 74);
  const std::vector<MatrixD> m = {random_matrix(f, f, 75), random_matrix(f, f, 76)};
  MatrixD q(n, h * f);
  for (Eigen::Index k = 0; k < h; ++k) {
    q.middleCols(k * f, f) = z.middleCols(k * f, f) * m[k].transpose();
  }
  MatrixD e(g.num_edges(), h);
  edge_dot_forward<double>(g, q, z, 1.0, e);
  const std::vector<NodeId> dst = g.dst();
  for (EdgeId p = 0; p < g.num_edges(); ++p) {
    for (Eigen::Index k = 0; k < h; ++k) {
      const Eigen::VectorXd zi = z.row(dst[p]).segment(k * f, f).transpose();
      const Eigen::VectorXd zj = z.row(g.src()[p]).segment(k * f, f).transpose();
      EXPECT_NEAR(e(p, k), zj.dot(m[k] * zi), 1e-13) << "slot " << p << ", head " << k;
    }
  }
}

TEST(EdgeDot, WorksOnBlocksOfWiderMatrices) {
  // Eigen::Ref views with an outer stride (e.g. q and k as two column blocks of one
  // projection [q | k]): rows are addressed through the stride, nothing else is touched.
  const CsrGraph g = check_graph();
  const Eigen::Index n = g.num_nodes(), e = g.num_edges();
  const MatrixD qk = random_matrix(n, 16, 77);  // [q (8) | k (8)], H = 2, F = 4
  MatrixD wide_e = MatrixD::Constant(e, 5, 7.0);
  edge_dot_forward<double>(g, qk.leftCols(8), qk.rightCols(8), 1.0, wide_e.middleCols(1, 2));
  const MatrixD expected = reference_edge_dot(g, qk.leftCols(8), qk.rightCols(8), 1.0, 2);
  expect_matrix_near(wide_e.middleCols(1, 2), expected, 1e-13);
  EXPECT_TRUE((wide_e.col(0).array() == 7.0).all());
  EXPECT_TRUE((wide_e.rightCols(2).array() == 7.0).all());
  MatrixD wide_grad = MatrixD::Zero(n, 20);
  const MatrixD grad_e = random_matrix(e, 2, 78);
  edge_dot_backward<double>(g, qk.leftCols(8), qk.rightCols(8), 1.0, grad_e, wide_grad.leftCols(8),
                            wide_grad.middleCols(10, 8));
  MatrixD grad_q = MatrixD::Zero(n, 8), grad_k = MatrixD::Zero(n, 8);
  edge_dot_backward<double>(g, MatrixD(qk.leftCols(8)), MatrixD(qk.rightCols(8)), 1.0, grad_e,
                            grad_q, grad_k);
  expect_matrix_near(wide_grad.leftCols(8), grad_q, 0.0);
  expect_matrix_near(wide_grad.middleCols(10, 8), grad_k, 0.0);
  EXPECT_TRUE((wide_grad.middleCols(8, 2).array() == 0.0).all());
}

TEST(EdgeDot, EmptyGraph) {
  const CsrGraph g;
  const MatrixD none(0, 4);
  MatrixD e(0, 2), multi(0, 4), grad_q(0, 4), grad_k(0, 4);
  edge_dot_forward<double>(g, none, none, 1.0, e);
  edge_dot_backward<double>(g, none, none, 1.0, e, grad_q, grad_k);
  edge_dot_multidim_forward<double>(g, none, none, 1.0, multi);
  edge_dot_multidim_backward<double>(g, none, none, 1.0, multi, grad_q, grad_k);
  EXPECT_EQ(e.size(), 0);
}

TEST(EdgeDot, RejectsBadShapes) {
  const CsrGraph g = small_score_graph();  // N = 4, E = 5
  const MatrixD q = small_q(), k = small_k();
  MatrixD e(5, 2), grad(4, 4);
  expect_error([&] { edge_dot_forward<double>(g, q.topRows(3), k, 1.0, e); },
               "q has 3 rows but the graph has 4 nodes");
  expect_error([&] { edge_dot_forward<double>(g, q, k.leftCols(3), 1.0, e); },
               "k has shape (4, 3), expected the shape of q = (4, 4)");
  MatrixD e3(5, 3);
  expect_error([&] { edge_dot_forward<double>(g, q, k, 1.0, e3); },
               "e has 3 columns (heads H), which must be at least 1 and divide q's width");
  MatrixD e_short(4, 2);
  expect_error([&] { edge_dot_forward<double>(g, q, k, 1.0, e_short); },
               "e has shape (4, 2), expected (E, H) = (5, 2)");
  expect_error(
      [&] { edge_dot_forward<double>(g, q, k, std::numeric_limits<double>::infinity(), e); },
      "scale must be finite");
  MatrixD grad_small(4, 2);
  expect_error([&] { edge_dot_backward<double>(g, q, k, 1.0, e, grad, grad_small); },
               "grad_k has shape (4, 2), expected (N, H·F) = (4, 4)");
  expect_error([&] { edge_dot_multidim_forward<double>(g, q, k, 1.0, e); },
               "e has shape (5, 2), expected (E, H·F) = (5, 4)");
  expect_error([&] { edge_dot_multidim_backward<double>(g, q, k, 1.0, e, grad, grad); },
               "grad_e has shape (5, 2), expected (E, H·F) = (5, 4)");
}

// ---- determinism ------------------------------------------------------------------------------

void check_determinism(Eigen::Index h, Eigen::Index f) {
  const CsrGraph g = big_random_graph(321);
  const Eigen::Index n = g.num_nodes(), e = g.num_edges();
  const MatrixF q = random_matrix(n, h * f, 81).cast<float>();
  const MatrixF k = random_matrix(n, h * f, 82).cast<float>();
  const MatrixF grad_e = random_matrix(e, h, 83).cast<float>();
  const MatrixF grad_multi = random_matrix(e, h * f, 84).cast<float>();
  expect_same_bits([&] {
    MatrixF out(e, h), multi(e, h * f);
    MatrixF grad_q = random_matrix(n, h * f, 85).cast<float>(), grad_k = grad_q;
    MatrixF multi_q = grad_q, multi_k = grad_q;
    edge_dot_forward<float>(g, q, k, 0.5f, out);
    edge_dot_backward<float>(g, q, k, 0.5f, grad_e, grad_q, grad_k);
    edge_dot_multidim_forward<float>(g, q, k, 0.5f, multi);
    edge_dot_multidim_backward<float>(g, q, k, 0.5f, grad_multi, multi_q, multi_k);
    return std::vector<MatrixF>{out, grad_q, grad_k, multi, multi_q, multi_k};
  });
}

TEST(EdgeDotDeterminism, FixedShape) { check_determinism(8, 8); }
TEST(EdgeDotDeterminism, RunTimeShape) { check_determinism(3, 5); }

}  // namespace
}  // namespace gat::ops
