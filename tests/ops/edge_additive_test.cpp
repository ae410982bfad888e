#include "gat/ops/edge_additive.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
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
using test::grid_matrix;
using test::MatrixD;
using test::random_graph;
using test::random_matrix;
using test::small_score_graph;
using test::weighted_sum;
using MatrixF = Matrix<float>;

constexpr double kSlope = 0.2;

// The hand-computed tests run on small_score_graph(), drawn in support/graphs.hpp: N = 4, E = 5,
// slots 0..4 = edges 1→0, 0→1, 2→1, 2→1 (a duplicate), 2→2 (a self loop); node 3 is isolated.
//
// H = 2 heads of F = 2 features: a row is [head 0 | head 1]. l is read at destinations,
// r at sources; node 3 never takes part.
MatrixD small_l() {
  MatrixD l(4, 4);
  l << 1, -1, 0.5, 2,  //
      0, 2, -1, 1,     //
      -2, 1, 1, 0,     //
      9, 9, 9, 9;
  return l;
}
MatrixD small_r() {
  MatrixD r(4, 4);
  r << 0.5, 0.5, 1.5, -3,  //
      1, -2, 0, 0,         //
      1, -3, -0.5, 1,      //
      9, 9, 9, 9;
  return r;
}
MatrixD small_a() {
  MatrixD a(2, 2);
  a << 1, 2,  //
      -1, 0.5;
  return a;
}

// Pre-activations x = l[i] + r[j], their LeakyReLU (slope 0.2), and the scores
// e[p, h] = Σ_f a[h, f] · act[h, f] with a = [[1, 2], [-1, 0.5]]:
//   slot 0 (1→0): x = [ 2,   -3 |  0.5,  2] act = [ 2,   -0.6 |  0.5,  2  ] e = [ 0.8,  0.5]
//   slot 1 (0→1): x = [ 0.5,  2.5 | 0.5, -2] act = [ 0.5,  2.5 |  0.5, -0.4] e = [ 5.5, -0.7]
//   slot 2 (2→1): x = [ 1,   -1 | -1.5,  2] act = [ 1,   -0.2 | -0.3,  2  ] e = [ 0.6,  1.3]
//   slot 3 (2→1): the duplicate of slot 2                                    e = [ 0.6,  1.3]
//   slot 4 (2→2): x = [-1,   -2 |  0.5,  1] act = [-0.2, -0.4 |  0.5,  1  ] e = [-1,    0  ]
template <typename T>
void check_forward_hand_computed(double tol) {
  Matrix<T> e = Matrix<T>::Constant(5, 2, T(123));  // overwritten
  edge_additive_forward<T>(small_score_graph(), small_l().cast<T>(), small_r().cast<T>(),
                           small_a().cast<T>(), T(kSlope), e);
  MatrixD expected(5, 2);
  expected << 0.8, 0.5,  //
      5.5, -0.7,         //
      0.6, 1.3,          //
      0.6, 1.3,          //
      -1, 0;
  expect_matrix_near(e.template cast<double>(), expected, tol);
}

TEST(EdgeAdditiveForward, HandComputedDouble) { check_forward_hand_computed<double>(1e-15); }
TEST(EdgeAdditiveForward, HandComputedFloat) { check_forward_hand_computed<float>(1e-6); }

TEST(EdgeAdditiveBackward, HandComputed) {
  // LeakyReLU'(x) is 1 for x > 0 and 0.2 otherwise; d = a ⊙ LeakyReLU'(x) per slot:
  //   slot 0: [1, 0.4 | -1,   0.5]    slot 1: [1,   2   | -1, 0.1]
  //   slot 2: [1, 0.4 | -0.2, 0.5]    slot 4: [0.2, 0.4 | -1, 0.5]    (slot 3 = slot 2)
  // With grad_e = [1, -2] on every slot, head 1's terms are doubled and negated:
  //   grad_l[i] = Σ_{p into i}:   node 0: slot 0 → [1, 0.4 | 2, -1]
  //                               node 1: slots 1-3 = [3, 2.8 | -1.4, 1.1] → [3, 2.8 | 2.8, -2.2]
  //                               node 2: slot 4 → [0.2, 0.4 | 2, -1]       node 3: 0
  //   grad_r[j] = Σ_{p out of j}: node 0: slot 1 → [1, 2 | 2, -0.2]
  //                               node 1: slot 0 → [1, 0.4 | 2, -1]
  //                               node 2: slots 2-4 = [2.2, 1.2 | -1.4, 1.5] → [2.2, 1.2 | 2.8, -3]
  //   grad_a[h, f] = Σ_p grad_e[p, h] · act[h, f]: the act rows above summed,
  //                  [4.3, 1.1 | 0.9, 6.6], head 1 times -2 → [[4.3, 1.1], [-1.8, -13.2]].
  // All three accumulate onto their initial value, 1 here.
  MatrixD grad_e(5, 2);
  grad_e.col(0).setConstant(1);
  grad_e.col(1).setConstant(-2);
  MatrixD grad_l = MatrixD::Ones(4, 4), grad_r = MatrixD::Ones(4, 4);
  MatrixD grad_a = MatrixD::Ones(2, 2);
  edge_additive_backward<double>(small_score_graph(), small_l(), small_r(), small_a(), kSlope,
                                 grad_e, grad_l, grad_r, grad_a);
  MatrixD expected_l(4, 4), expected_r(4, 4), expected_a(2, 2);
  expected_l << 1, 0.4, 2, -1,  //
      3, 2.8, 2.8, -2.2,        //
      0.2, 0.4, 2, -1,          //
      0, 0, 0, 0;
  expected_r << 1, 2, 2, -0.2,  //
      1, 0.4, 2, -1,            //
      2.2, 1.2, 2.8, -3,        //
      0, 0, 0, 0;
  expected_a << 4.3, 1.1,  //
      -1.8, -13.2;
  expect_matrix_near(grad_l, (expected_l.array() + 1).matrix(), 1e-14);
  expect_matrix_near(grad_r, (expected_r.array() + 1).matrix(), 1e-14);
  expect_matrix_near(grad_a, (expected_a.array() + 1).matrix(), 1e-14);
}

// Multi-dimensional: e[p, c] = a[c] · act[c] with a = [1, 2, -1, 0.5] per channel, the
// per-head sums above left unsummed:
//   slot 0: [2, -1.2, -0.5, 1]     slot 1: [0.5, 5, -0.5, -0.2]
//   slot 2: [1, -0.4, 0.3, 1]      slot 4: [-0.2, -0.8, -0.5, 0.5]    (slot 3 = slot 2)
TEST(EdgeAdditiveMultidimForward, HandComputed) {
  MatrixD e = MatrixD::Constant(5, 4, 123.0);
  edge_additive_multidim_forward<double>(small_score_graph(), small_l(), small_r(), small_a(),
                                         kSlope, e);
  MatrixD expected(5, 4);
  expected << 2, -1.2, -0.5, 1,  //
      0.5, 5, -0.5, -0.2,        //
      1, -0.4, 0.3, 1,           //
      1, -0.4, 0.3, 1,           //
      -0.2, -0.8, -0.5, 0.5;
  expect_matrix_near(e, expected, 1e-15);
}

TEST(EdgeAdditiveMultidimBackward, HandComputed) {
  // grad_e = 1 on every channel: each channel's d = a ⊙ LeakyReLU'(x) is the per-head one
  // above, so the sums are those of the per-head test before its head-1 factor of -2:
  //   grad_l: [1, 0.4, -1, 0.5], [3, 2.8, -1.4, 1.1], [0.2, 0.4, -1, 0.5], 0
  //   grad_r: [1, 2, -1, 0.1], [1, 0.4, -1, 0.5], [2.2, 1.2, -1.4, 1.5], 0
  //   grad_a: [[4.3, 1.1], [0.9, 6.6]]
  MatrixD grad_l = MatrixD::Zero(4, 4), grad_r = MatrixD::Zero(4, 4);
  MatrixD grad_a = MatrixD::Zero(2, 2);
  edge_additive_multidim_backward<double>(small_score_graph(), small_l(), small_r(), small_a(),
                                          kSlope, MatrixD::Ones(5, 4), grad_l, grad_r, grad_a);
  MatrixD expected_l(4, 4), expected_r(4, 4), expected_a(2, 2);
  expected_l << 1, 0.4, -1, 0.5,  //
      3, 2.8, -1.4, 1.1,          //
      0.2, 0.4, -1, 0.5,          //
      0, 0, 0, 0;
  expected_r << 1, 2, -1, 0.1,  //
      1, 0.4, -1, 0.5,          //
      2.2, 1.2, -1.4, 1.5,      //
      0, 0, 0, 0;
  expected_a << 4.3, 1.1,  //
      0.9, 6.6;
  expect_matrix_near(grad_l, expected_l, 1e-14);
  expect_matrix_near(grad_r, expected_r, 1e-14);
  expect_matrix_near(grad_a, expected_a, 1e-14);
}

// Reference: the multi-dimensional scores edge by edge, straight from the definition.
MatrixD reference_multidim(const CsrGraph& g, const MatrixD& l, const MatrixD& r, const MatrixD& a,
                           double slope) {
  const std::vector<NodeId> dst = g.dst();
  const Eigen::Index f = a.cols(), w = a.size();
  MatrixD e(g.num_edges(), w);
  for (EdgeId p = 0; p < g.num_edges(); ++p) {
    for (Eigen::Index c = 0; c < w; ++c) {
      const double x = l(dst[p], c) + r(g.src()[p], c);
      e(p, c) = a(c / f, c % f) * (x > 0 ? x : slope * x);
    }
  }
  return e;
}

// The signs of the pre-activations l[i] + r[j] over the edges of g: (negative, positive).
std::pair<int, int> count_signs(const CsrGraph& g, const MatrixD& l, const MatrixD& r) {
  const std::vector<NodeId> dst = g.dst();
  int negative = 0, positive = 0;
  for (EdgeId p = 0; p < g.num_edges(); ++p) {
    for (Eigen::Index c = 0; c < l.cols(); ++c) {
      const double x = l(dst[p], c) + r(g.src()[p], c);
      EXPECT_GT(std::abs(x), 0.03);  // the grid keeps every pre-activation off the kink
      (x < 0 ? negative : positive)++;
    }
  }
  return {negative, positive};
}

// Grid features l, r (N, w) whose pre-activations on g take both signs, so that both
// branches of LeakyReLU are exercised: the first draw from seed, seed + 2, ... that does.
void draw_both_signs(const CsrGraph& g, Eigen::Index w, std::uint64_t seed, MatrixD& l,
                     MatrixD& r) {
  for (int attempt = 0; attempt < 20; ++attempt, seed += 2) {
    l = grid_matrix(g.num_nodes(), w, seed);
    r = grid_matrix(g.num_nodes(), w, seed + 1);
    const auto [negative, positive] = count_signs(g, l, r);
    if (negative > 0 && positive > 0) return;
  }
  FAIL() << "no draw gave pre-activations of both signs";
}

// (H, F) shapes: test::edge_score_shapes() covers the fixed-size and run-time kernels.
class EdgeAdditiveShapes : public ::testing::TestWithParam<std::pair<int, int>> {};

TEST_P(EdgeAdditiveShapes, ForwardMatchesReference) {
  const auto [h, f] = GetParam();
  for (const CsrGraph& g : {check_graph(), random_graph(91)}) {
    const Eigen::Index n = g.num_nodes(), e = g.num_edges();
    const MatrixD l = random_matrix(n, h * f, 92), r = random_matrix(n, h * f, 93);
    const MatrixD a = random_matrix(h, f, 94);
    const MatrixD multi_expected = reference_multidim(g, l, r, a, kSlope);
    MatrixD multi = MatrixD::Constant(e, h * f, std::numeric_limits<double>::quiet_NaN());
    edge_additive_multidim_forward<double>(g, l, r, a, kSlope, multi);
    expect_matrix_near(multi, multi_expected, 1e-15);
    MatrixF multi_f(e, h * f);
    edge_additive_multidim_forward<float>(g, l.cast<float>(), r.cast<float>(), a.cast<float>(),
                                          float(kSlope), multi_f);
    expect_matrix_near(multi_f.cast<double>(), multi_expected, 1e-6);

    // The per-head scores are the multi-dimensional ones summed over each head's F channels.
    MatrixD expected = MatrixD::Zero(e, h);
    for (Eigen::Index c = 0; c < h * f; ++c) expected.col(c / f) += multi_expected.col(c);
    MatrixD out = MatrixD::Constant(e, h, std::numeric_limits<double>::quiet_NaN());
    edge_additive_forward<double>(g, l, r, a, kSlope, out);
    expect_matrix_near(out, expected, 1e-13);
    MatrixF out_f(e, h);
    edge_additive_forward<float>(g, l.cast<float>(), r.cast<float>(), a.cast<float>(),
                                 float(kSlope), out_f);
    expect_matrix_near(out_f.cast<double>(), expected, 1e-5);
  }
}

void check_additive_gradients(const CsrGraph& g, Eigen::Index h, Eigen::Index f) {
  const Eigen::Index n = g.num_nodes(), e = g.num_edges();
  MatrixD l, r, a = random_matrix(h, f, 103);
  draw_both_signs(g, h * f, 101, l, r);
  const MatrixD w = random_matrix(e, h, 104);
  auto loss = [&] {
    MatrixD out(e, h);
    edge_additive_forward<double>(g, l, r, a, kSlope, out);
    return weighted_sum(w, out);
  };
  // All three gradients accumulate: start from non-zero values and check the increment.
  const MatrixD grad_l0 = random_matrix(n, h * f, 105), grad_r0 = random_matrix(n, h * f, 106);
  const MatrixD grad_a0 = random_matrix(h, f, 107);
  MatrixD grad_l = grad_l0, grad_r = grad_r0, grad_a = grad_a0;
  edge_additive_backward<double>(g, l, r, a, kSlope, w, grad_l, grad_r, grad_a);
  expect_gradient("edge_additive grad_l", l, grad_l - grad_l0, loss);
  expect_gradient("edge_additive grad_r", r, grad_r - grad_r0, loss);
  expect_gradient("edge_additive grad_a", a, grad_a - grad_a0, loss);

  // The float kernels agree with double, accumulation included.
  MatrixF grad_l_f = grad_l0.cast<float>(), grad_r_f = grad_r0.cast<float>();
  MatrixF grad_a_f = grad_a0.cast<float>();
  edge_additive_backward<float>(g, l.cast<float>(), r.cast<float>(), a.cast<float>(), float(kSlope),
                                w.cast<float>(), grad_l_f, grad_r_f, grad_a_f);
  expect_matrix_near(grad_l_f.cast<double>(), grad_l, 1e-5);
  expect_matrix_near(grad_r_f.cast<double>(), grad_r, 1e-5);
  expect_matrix_near(grad_a_f.cast<double>(), grad_a, 1e-5);
}

void check_additive_multidim_gradients(const CsrGraph& g, Eigen::Index h, Eigen::Index f) {
  const Eigen::Index n = g.num_nodes(), e = g.num_edges();
  MatrixD l, r, a = random_matrix(h, f, 113);
  draw_both_signs(g, h * f, 111, l, r);
  const MatrixD w = random_matrix(e, h * f, 114);
  auto loss = [&] {
    MatrixD out(e, h * f);
    edge_additive_multidim_forward<double>(g, l, r, a, kSlope, out);
    return weighted_sum(w, out);
  };
  const MatrixD grad_l0 = random_matrix(n, h * f, 115), grad_r0 = random_matrix(n, h * f, 116);
  const MatrixD grad_a0 = random_matrix(h, f, 117);
  MatrixD grad_l = grad_l0, grad_r = grad_r0, grad_a = grad_a0;
  edge_additive_multidim_backward<double>(g, l, r, a, kSlope, w, grad_l, grad_r, grad_a);
  expect_gradient("edge_additive_multidim grad_l", l, grad_l - grad_l0, loss);
  expect_gradient("edge_additive_multidim grad_r", r, grad_r - grad_r0, loss);
  expect_gradient("edge_additive_multidim grad_a", a, grad_a - grad_a0, loss);

  MatrixF grad_l_f = grad_l0.cast<float>(), grad_r_f = grad_r0.cast<float>();
  MatrixF grad_a_f = grad_a0.cast<float>();
  edge_additive_multidim_backward<float>(g, l.cast<float>(), r.cast<float>(), a.cast<float>(),
                                         float(kSlope), w.cast<float>(), grad_l_f, grad_r_f,
                                         grad_a_f);
  expect_matrix_near(grad_l_f.cast<double>(), grad_l, 1e-5);
  expect_matrix_near(grad_r_f.cast<double>(), grad_r, 1e-5);
  expect_matrix_near(grad_a_f.cast<double>(), grad_a, 1e-5);
}

TEST_P(EdgeAdditiveShapes, Gradient) {
  const auto [h, f] = GetParam();
  check_additive_gradients(check_graph(), h, f);
  check_additive_gradients(random_graph(95), h, f);
}

TEST_P(EdgeAdditiveShapes, MultidimGradient) {
  const auto [h, f] = GetParam();
  check_additive_multidim_gradients(check_graph(), h, f);
  check_additive_multidim_gradients(random_graph(96), h, f);
}

INSTANTIATE_TEST_SUITE_P(HeadsByFeatures, EdgeAdditiveShapes,
                         ::testing::ValuesIn(test::edge_score_shapes()),
                         test::heads_by_features_name);

TEST(EdgeAdditiveBackward, SharedWeightsIntoOneGradient) {
  // GATv2 with shared weights: l = r = x, and both node gradients accumulate into one buffer
  // (the documented aliasing). Self loops then see x[i] twice in one pre-activation.
  const CsrGraph g = check_graph();
  const Eigen::Index n = g.num_nodes(), e = g.num_edges(), h = 3, f = 2;
  MatrixD x = grid_matrix(n, h * f, 121);
  const auto [negative, positive] = count_signs(g, x, x);
  ASSERT_GT(negative, 0);
  ASSERT_GT(positive, 0);
  const MatrixD a = random_matrix(h, f, 122);
  const MatrixD w = random_matrix(e, h, 123), w_multi = random_matrix(e, h * f, 124);
  auto loss = [&] {
    MatrixD out(e, h);
    edge_additive_forward<double>(g, x, x, a, kSlope, out);
    return weighted_sum(w, out);
  };
  auto multi_loss = [&] {
    MatrixD out(e, h * f);
    edge_additive_multidim_forward<double>(g, x, x, a, kSlope, out);
    return weighted_sum(w_multi, out);
  };
  MatrixD grad_x = MatrixD::Zero(n, h * f), grad_a = MatrixD::Zero(h, f);
  edge_additive_backward<double>(g, x, x, a, kSlope, w, grad_x, grad_x, grad_a);
  expect_gradient("edge_additive grad_x (l = r = x)", x, grad_x, loss);
  MatrixD multi_grad_x = MatrixD::Zero(n, h * f);
  edge_additive_multidim_backward<double>(g, x, x, a, kSlope, w_multi, multi_grad_x, multi_grad_x,
                                          grad_a);
  expect_gradient("edge_additive_multidim grad_x (l = r = x)", x, multi_grad_x, multi_loss);
}

TEST(EdgeAdditiveBackward, GradientOfAOverSeveralChunks) {
  // N = 600 = 2·256 + 88 destination rows: grad_a is reduced over three row chunks, the last
  // one partial, and node 599 has no edges.
  const CsrGraph g = test::random_multigraph(131, 600, 599, 1800);
  const Eigen::Index n = g.num_nodes(), e = g.num_edges(), h = 2, f = 3;
  const MatrixD l = random_matrix(n, h * f, 132), r = random_matrix(n, h * f, 133);
  MatrixD a = random_matrix(h, f, 134);
  const MatrixD w = random_matrix(e, h, 135), w_multi = random_matrix(e, h * f, 136);
  auto loss = [&] {
    MatrixD out(e, h);
    edge_additive_forward<double>(g, l, r, a, kSlope, out);
    return weighted_sum(w, out);
  };
  auto multi_loss = [&] {
    MatrixD out(e, h * f);
    edge_additive_multidim_forward<double>(g, l, r, a, kSlope, out);
    return weighted_sum(w_multi, out);
  };
  MatrixD grad_l = MatrixD::Zero(n, h * f), grad_r = grad_l;
  const MatrixD grad_a0 = random_matrix(h, f, 137);
  MatrixD grad_a = grad_a0;
  edge_additive_backward<double>(g, l, r, a, kSlope, w, grad_l, grad_r, grad_a);
  expect_gradient("edge_additive grad_a (600 rows)", a, grad_a - grad_a0, loss);
  grad_a = grad_a0;
  edge_additive_multidim_backward<double>(g, l, r, a, kSlope, w_multi, grad_l, grad_r, grad_a);
  expect_gradient("edge_additive_multidim grad_a (600 rows)", a, grad_a - grad_a0, multi_loss);
}

TEST(EdgeAdditive, WorksOnBlocksOfWiderMatrices) {
  // l and r as two column blocks of one projection [l | r], a as a block of a wider matrix,
  // outputs as blocks: rows are addressed through the outer stride, nothing else is touched.
  const CsrGraph g = check_graph();
  const Eigen::Index n = g.num_nodes(), e = g.num_edges(), h = 2, f = 4;
  const MatrixD lr = random_matrix(n, 16, 141);
  const MatrixD wide_a = random_matrix(h, 7, 142);
  const MatrixD l = lr.leftCols(8), r = lr.rightCols(8), a = wide_a.middleCols(2, f);
  MatrixD expected(e, h), wide_e = MatrixD::Constant(e, 5, 7.0);
  edge_additive_forward<double>(g, l, r, a, kSlope, expected);
  edge_additive_forward<double>(g, lr.leftCols(8), lr.rightCols(8), wide_a.middleCols(2, f), kSlope,
                                wide_e.middleCols(1, h));
  expect_matrix_near(wide_e.middleCols(1, h), expected, 0.0);
  EXPECT_TRUE((wide_e.col(0).array() == 7.0).all());
  EXPECT_TRUE((wide_e.rightCols(2).array() == 7.0).all());

  const MatrixD grad_e = random_matrix(e, h, 143);
  MatrixD grad_l = MatrixD::Zero(n, 8), grad_r = grad_l, grad_a = MatrixD::Zero(h, f);
  edge_additive_backward<double>(g, l, r, a, kSlope, grad_e, grad_l, grad_r, grad_a);
  MatrixD wide_grad = MatrixD::Zero(n, 20), wide_grad_a = MatrixD::Zero(h, 9);
  edge_additive_backward<double>(g, lr.leftCols(8), lr.rightCols(8), wide_a.middleCols(2, f),
                                 kSlope, grad_e, wide_grad.leftCols(8), wide_grad.middleCols(10, 8),
                                 wide_grad_a.middleCols(3, f));
  expect_matrix_near(wide_grad.leftCols(8), grad_l, 0.0);
  expect_matrix_near(wide_grad.middleCols(10, 8), grad_r, 0.0);
  expect_matrix_near(wide_grad_a.middleCols(3, f), grad_a, 0.0);
  EXPECT_TRUE((wide_grad.middleCols(8, 2).array() == 0.0).all());
  EXPECT_TRUE((wide_grad_a.leftCols(3).array() == 0.0).all());
  EXPECT_TRUE((wide_grad_a.rightCols(2).array() == 0.0).all());
}

TEST(EdgeAdditive, EmptyGraph) {
  const CsrGraph g;
  const MatrixD none(0, 4), a = MatrixD::Ones(2, 2);
  MatrixD e(0, 2), multi(0, 4), grad_l(0, 4), grad_r(0, 4), grad_a = MatrixD::Zero(2, 2);
  edge_additive_forward<double>(g, none, none, a, kSlope, e);
  edge_additive_backward<double>(g, none, none, a, kSlope, e, grad_l, grad_r, grad_a);
  edge_additive_multidim_forward<double>(g, none, none, a, kSlope, multi);
  edge_additive_multidim_backward<double>(g, none, none, a, kSlope, multi, grad_l, grad_r, grad_a);
  EXPECT_TRUE(grad_a.isZero(0.0));  // no edges, nothing to add
}

TEST(EdgeAdditive, RejectsBadShapes) {
  const CsrGraph g = small_score_graph();  // N = 4, E = 5, and H = 2, F = 2 below
  const MatrixD l = small_l(), r = small_r(), a = small_a();
  MatrixD e(5, 2), grad(4, 4), grad_a(2, 2);
  expect_error([&] { edge_additive_forward<double>(g, l, r, a.leftCols(1), kSlope, e); },
               "l has shape (4, 4), expected (N, H·F) = (4, 2)");
  expect_error([&] { edge_additive_forward<double>(g, l, r.topRows(3), a, kSlope, e); },
               "r has shape (3, 4), expected (N, H·F) = (4, 4)");
  expect_error([&] { edge_additive_forward<double>(g, l, r, MatrixD(0, 2), kSlope, e); },
               "a has shape (0, 2); it must be (H, F) with H, F ≥ 1");
  expect_error(
      [&] {
        edge_additive_forward<double>(g, l, r, a, std::numeric_limits<double>::quiet_NaN(), e);
      },
      "negative slope must be finite");
  MatrixD e_wide(5, 4);
  expect_error([&] { edge_additive_forward<double>(g, l, r, a, kSlope, e_wide); },
               "e has shape (5, 4), expected (E, H) = (5, 2)");
  expect_error([&] { edge_additive_multidim_forward<double>(g, l, r, a, kSlope, e); },
               "e has shape (5, 2), expected (E, H·F) = (5, 4)");
  MatrixD grad_a_wrong(2, 3);
  expect_error(
      [&] { edge_additive_backward<double>(g, l, r, a, kSlope, e, grad, grad, grad_a_wrong); },
      "grad_a has shape (2, 3), expected (H, F) = (2, 2)");
  expect_error(
      [&] { edge_additive_multidim_backward<double>(g, l, r, a, kSlope, e, grad, grad, grad_a); },
      "grad_e has shape (5, 2), expected (E, H·F) = (5, 4)");
}

// ---- determinism ------------------------------------------------------------------------------

void check_determinism(Eigen::Index h, Eigen::Index f) {
  // 2000 nodes: eight kRowChunk = 256 chunks for the grad_a reduction.
  const CsrGraph g = big_random_graph(654);
  const Eigen::Index n = g.num_nodes(), e = g.num_edges();
  const MatrixF l = random_matrix(n, h * f, 151).cast<float>();
  const MatrixF r = random_matrix(n, h * f, 152).cast<float>();
  const MatrixF a = random_matrix(h, f, 153).cast<float>();
  const MatrixF grad_e = random_matrix(e, h, 154).cast<float>();
  const MatrixF grad_multi = random_matrix(e, h * f, 155).cast<float>();
  expect_same_bits([&] {
    MatrixF out(e, h), multi(e, h * f);
    MatrixF grad_l = random_matrix(n, h * f, 156).cast<float>(), grad_r = grad_l;
    MatrixF multi_l = grad_l, multi_r = grad_l;
    MatrixF grad_a = random_matrix(h, f, 157).cast<float>(), multi_a = grad_a;
    edge_additive_forward<float>(g, l, r, a, 0.2f, out);
    edge_additive_backward<float>(g, l, r, a, 0.2f, grad_e, grad_l, grad_r, grad_a);
    edge_additive_multidim_forward<float>(g, l, r, a, 0.2f, multi);
    edge_additive_multidim_backward<float>(g, l, r, a, 0.2f, grad_multi, multi_l, multi_r, multi_a);
    return std::vector<MatrixF>{out, grad_l, grad_r, grad_a, multi, multi_l, multi_r, multi_a};
  });
}

TEST(EdgeAdditiveDeterminism, FixedShape) { check_determinism(8, 8); }
TEST(EdgeAdditiveDeterminism, RunTimeShape) { check_determinism(3, 5); }

}  // namespace
}  // namespace gat::ops
