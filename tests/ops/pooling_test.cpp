// Segment pooling (sum, mean, max, weighted sum): hand-computed forwards on a drawn batch,
// finite-difference backwards in double, empty graphs, ties, shape errors, and bit-identical
// results at any thread count.

#include "gat/ops/pooling.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "gat/core/error.hpp"
#include "gat/core/threads.hpp"
#include "support/gradcheck.hpp"

namespace gat::ops {
namespace {

using test::expect_gradient;
using test::expect_matrix_near;
using test::MatrixD;
using test::random_matrix;
using test::weighted_sum;

// A mini-batch of G = 4 graphs over N = 6 node rows, offsets {0, 2, 2, 3, 6}:
//
//   graph 0: rows 0, 1        (0)──(1)
//   graph 1: no rows          (an empty graph)
//   graph 2: row 2            (2)
//   graph 3: rows 3, 4, 5     (3)──(4)──(5)
//
// Node features x (6, 2):      col 0  col 1
//   row 0                        1     -2
//   row 1                        3      4
//   row 2                       -5      0      a lone node, all of it ≤ 0
//   row 3                        2      7
//   row 4                        2     -1      col 0 ties with row 3 (max 2)
//   row 5                       -4      7      col 1 ties with row 3 (max 7)
const std::vector<EdgeId> kOffsets = {0, 2, 2, 3, 6};

MatrixD drawn_x() {
  MatrixD x(6, 2);
  x << 1, -2,  //
      3, 4,    //
      -5, 0,   //
      2, 7,    //
      2, -1,   //
      -4, 7;
  return x;
}

// A matrix of NaN: outputs must overwrite every entry (a NaN left over fails
// expect_matrix_near).
MatrixD junk(Eigen::Index rows, Eigen::Index cols) {
  return MatrixD::Constant(rows, cols, std::numeric_limits<double>::quiet_NaN());
}

// Finite junk for gradient buffers: expect_gradient cannot see a NaN entry (every comparison
// with NaN is false), but it does see a stale 123.
MatrixD finite_junk(Eigen::Index rows, Eigen::Index cols) {
  return MatrixD::Constant(rows, cols, 123.0);
}

TEST(SegmentSum, HandComputed) {
  // graph 0: (1 + 3, -2 + 4); graph 1: empty → 0; graph 2: row 2; graph 3: (2 + 2 - 4, 7 - 1 + 7).
  MatrixD expected(4, 2);
  expected << 4, 2, 0, 0, -5, 0, 0, 13;
  MatrixD out = junk(4, 2);
  segment_sum_forward<double>(kOffsets, drawn_x(), out);
  expect_matrix_near(out, expected, 0.0);
}

TEST(SegmentSum, BackwardHandComputed) {
  // grad_x[i] = grad_out[g] for every row i of graph g; the empty graph's gradient goes nowhere.
  MatrixD grad_out(4, 2);
  grad_out << 2, 4, 100, 100, 5, 6, 3, -9;
  MatrixD expected(6, 2);
  expected << 2, 4, 2, 4, 5, 6, 3, -9, 3, -9, 3, -9;
  MatrixD grad_x = junk(6, 2);
  segment_sum_backward<double>(kOffsets, grad_out, grad_x);
  expect_matrix_near(grad_x, expected, 0.0);
}

TEST(SegmentMean, HandComputed) {
  // The sums above divided by the node counts 2, (none), 1, 3; the empty graph gives 0, not NaN.
  MatrixD expected(4, 2);
  expected << 2, 1, 0, 0, -5, 0, 0, 13.0 / 3;
  MatrixD out = junk(4, 2);
  segment_mean_forward<double>(kOffsets, drawn_x(), out);
  expect_matrix_near(out, expected, 1e-15);
}

TEST(SegmentMean, BackwardHandComputed) {
  // grad_x[i] = grad_out[g] / n_g: rows 0, 1 get grad_out[0] / 2, row 2 grad_out[2], rows 3..5
  // grad_out[3] / 3; the empty graph's gradient goes nowhere.
  MatrixD grad_out(4, 2);
  grad_out << 2, 4, 100, 100, 5, 6, 3, -9;
  MatrixD expected(6, 2);
  expected << 1, 2, 1, 2, 5, 6, 1, -3, 1, -3, 1, -3;
  MatrixD grad_x = junk(6, 2);
  segment_mean_backward<double>(kOffsets, grad_out, grad_x);
  expect_matrix_near(grad_x, expected, 1e-15);
}

TEST(SegmentMax, HandComputedWithTiesAndEmptyGraph) {
  // graph 0: (max(1, 3), max(-2, 4)) = (3, 4) at rows (1, 1); graph 1: empty → 0, arg-max -1
  // (never -inf); graph 2: (-5, 0) at row 2 — below the 0 an empty graph reports, so the
  // maximum must start from the first row, not from 0; graph 3: (2, 7) both at row 3, the
  // first of the tied rows (4 ties in col 0, 5 in col 1).
  MatrixD expected(4, 2);
  expected << 3, 4, 0, 0, -5, 0, 2, 7;
  MatrixD out = junk(4, 2);
  std::vector<EdgeId> argmax = {42};
  segment_max_forward<double>(kOffsets, drawn_x(), out, argmax);
  expect_matrix_near(out, expected, 0.0);
  EXPECT_EQ(argmax, (std::vector<EdgeId>{1, 1, -1, -1, 2, 2, 3, 3}));

  // The gradient goes to the arg-max only: ties route it to the first row, row 3.
  MatrixD grad_out(4, 2);
  grad_out << 1, 2, 100, 100, 3, 4, 5, 6;
  MatrixD grad_expected = MatrixD::Zero(6, 2);
  grad_expected.row(1) << 1, 2;
  grad_expected.row(2) << 3, 4;
  grad_expected.row(3) << 5, 6;
  MatrixD grad_x = junk(6, 2);
  segment_max_backward<double>(kOffsets, argmax, grad_out, grad_x);
  expect_matrix_near(grad_x, grad_expected, 0.0);
}

TEST(SegmentMax, NegativeInfinityIsAValueNotAnEmptyGraph) {
  // A graph whose nodes are all -inf has maximum -inf at its first row; only an empty graph
  // reports 0.
  const double inf = std::numeric_limits<double>::infinity();
  const std::vector<EdgeId> offsets = {0, 2, 2};
  MatrixD x(2, 1);
  x << -inf, -inf;
  MatrixD out = junk(2, 1);
  std::vector<EdgeId> argmax;
  segment_max_forward<double>(offsets, x, out, argmax);
  EXPECT_EQ(out(0, 0), -inf);
  EXPECT_EQ(out(1, 0), 0.0);
  EXPECT_EQ(argmax, (std::vector<EdgeId>{0, -1}));
}

TEST(SegmentWeightedSum, HandComputedOneWeightPerNode) {
  // β = (1/4, 3/4 | — | 1 | 1/2, 1/4, 1/4), shared by both columns:
  //   graph 0: 1/4·(1, -2) + 3/4·(3, 4) = (2.5, 2.5)
  //   graph 2: 1·(-5, 0)
  //   graph 3: 1/2·(2, 7) + 1/4·(2, -1) + 1/4·(-4, 7) = (0.5, 5)
  MatrixD beta(6, 1);
  beta << 0.25, 0.75, 1, 0.5, 0.25, 0.25;
  MatrixD expected(4, 2);
  expected << 2.5, 2.5, 0, 0, -5, 0, 0.5, 5;
  MatrixD out = junk(4, 2);
  segment_weighted_sum_forward<double>(kOffsets, beta, drawn_x(), out);
  expect_matrix_near(out, expected, 1e-15);
}

TEST(SegmentWeightedSum, HandComputedTwoHeads) {
  // H = 2 heads of F = 1 channel: β[:, 0] weights column 0, β[:, 1] column 1.
  //   graph 0: (1·1 + 0·3, 0·(-2) + 1·4)         = (1, 4)
  //   graph 2: (2·(-5), 3·0)                      = (-10, 0)
  //   graph 3: (1·2 + 1·2 + 0·(-4), 1·7 - 1·(-1) + 2·7) = (4, 22)
  MatrixD beta(6, 2);
  beta << 1, 0,  //
      0, 1,      //
      2, 3,      //
      1, 1,      //
      1, -1,     //
      0, 2;
  MatrixD expected(4, 2);
  expected << 1, 4, 0, 0, -10, 0, 4, 22;
  MatrixD out = junk(4, 2);
  segment_weighted_sum_forward<double>(kOffsets, beta, drawn_x(), out);
  expect_matrix_near(out, expected, 0.0);
}

// ---- finite differences --------------------------------------------------------------

// Graphs of sizes 3, 0, 1, 2, 0, 4: empty, single and larger graphs.
const std::vector<EdgeId> kCheckOffsets = {0, 3, 3, 4, 6, 6, 10};
constexpr Eigen::Index kN = 10, kG = 6;

// L = Σ w ⊙ pool(x): its gradient with respect to the pooled matrix is w.
void check_plain_gradient(
    const char* what,
    const std::function<void(const MatrixD&, MatrixD&, std::vector<EdgeId>&)>& forward,
    const std::function<void(const std::vector<EdgeId>&, const MatrixD&, MatrixD&)>& backward) {
  MatrixD x = random_matrix(kN, 3, 61);
  const MatrixD w = random_matrix(kG, 3, 62);
  std::vector<EdgeId> argmax;
  MatrixD out(kG, 3);
  forward(x, out, argmax);
  MatrixD grad_x = finite_junk(kN, 3);
  backward(argmax, w, grad_x);
  auto loss = [&] {
    MatrixD y(kG, 3);
    std::vector<EdgeId> scratch;
    forward(x, y, scratch);
    return weighted_sum(y, w);
  };
  expect_gradient(what, x, grad_x, loss);
}

TEST(SegmentSum, GradientMatchesFiniteDifferences) {
  check_plain_gradient(
      "segment_sum grad_x",
      [](const MatrixD& x, MatrixD& y, std::vector<EdgeId>&) {
        segment_sum_forward<double>(kCheckOffsets, x, y);
      },
      [](const std::vector<EdgeId>&, const MatrixD& g, MatrixD& gx) {
        segment_sum_backward<double>(kCheckOffsets, g, gx);
      });
}

TEST(SegmentMean, GradientMatchesFiniteDifferences) {
  check_plain_gradient(
      "segment_mean grad_x",
      [](const MatrixD& x, MatrixD& y, std::vector<EdgeId>&) {
        segment_mean_forward<double>(kCheckOffsets, x, y);
      },
      [](const std::vector<EdgeId>&, const MatrixD& g, MatrixD& gx) {
        segment_mean_backward<double>(kCheckOffsets, g, gx);
      });
}

TEST(SegmentMax, GradientMatchesFiniteDifferences) {
  // Random values have no ties, so max is differentiable at x (a step of 1e-6 moves no
  // maximum to another row).
  check_plain_gradient(
      "segment_max grad_x",
      [](const MatrixD& x, MatrixD& y, std::vector<EdgeId>& argmax) {
        segment_max_forward<double>(kCheckOffsets, x, y, argmax);
      },
      [](const std::vector<EdgeId>& argmax, const MatrixD& g, MatrixD& gx) {
        segment_max_backward<double>(kCheckOffsets, argmax, g, gx);
      });
}

// K weights per node over K heads of F channels (K = 1: one weight per node).
void check_weighted_gradient(Eigen::Index k, Eigen::Index f) {
  MatrixD beta = random_matrix(kN, k, 63), h = random_matrix(kN, k * f, 64);
  const MatrixD w = random_matrix(kG, k * f, 65);
  MatrixD grad_beta = finite_junk(kN, k), grad_h = finite_junk(kN, k * f);
  segment_weighted_sum_backward<double>(kCheckOffsets, beta, h, w, grad_beta, grad_h);
  auto loss = [&] {
    MatrixD y(kG, k * f);
    segment_weighted_sum_forward<double>(kCheckOffsets, beta, h, y);
    return weighted_sum(y, w);
  };
  expect_gradient("segment_weighted_sum grad_beta", beta, grad_beta, loss);
  expect_gradient("segment_weighted_sum grad_h", h, grad_h, loss);
}

TEST(SegmentWeightedSum, GradientOneWeightPerNode) { check_weighted_gradient(1, 3); }
TEST(SegmentWeightedSum, GradientThreeHeads) { check_weighted_gradient(3, 2); }

// ---- edge cases and errors -----------------------------------------------------------

TEST(SegmentPooling, OnlyEmptyGraphsGiveZeros) {
  // Three graphs without nodes: every pool is 0, finite, and nothing is read.
  const std::vector<EdgeId> offsets = {0, 0, 0, 0};
  const MatrixD x(0, 2), beta(0, 1);
  MatrixD out = junk(3, 2);
  segment_sum_forward<double>(offsets, x, out);
  EXPECT_TRUE((out.array() == 0).all());
  out = junk(3, 2);
  segment_mean_forward<double>(offsets, x, out);
  EXPECT_TRUE((out.array() == 0).all());
  out = junk(3, 2);
  std::vector<EdgeId> argmax;
  segment_max_forward<double>(offsets, x, out, argmax);
  EXPECT_TRUE((out.array() == 0).all());
  EXPECT_EQ(argmax, std::vector<EdgeId>(6, -1));
  out = junk(3, 2);
  segment_weighted_sum_forward<double>(offsets, beta, x, out);
  EXPECT_TRUE((out.array() == 0).all());
  MatrixD grad_x(0, 2);
  segment_max_backward<double>(offsets, argmax, MatrixD::Ones(3, 2), grad_x);
  segment_mean_backward<double>(offsets, MatrixD::Ones(3, 2), grad_x);
}

TEST(SegmentPooling, NoGraphsAtAll) {
  const std::vector<EdgeId> offsets = {0};
  MatrixD out(0, 4);
  segment_sum_forward<double>(offsets, MatrixD(0, 4), out);
  EXPECT_EQ(out.size(), 0);
}

TEST(SegmentPooling, RejectsBadOffsetsAndShapes) {
  const MatrixD x = drawn_x();
  MatrixD out(4, 2), three_rows(3, 2), three_cols(4, 3), five_rows(5, 2), six_rows(6, 2);
  const MatrixD grad_out = MatrixD::Zero(4, 2);
  std::vector<EdgeId> argmax;
  EXPECT_THROW(segment_sum_forward<double>({}, x, out), Error);
  EXPECT_THROW(segment_sum_forward<double>({1, 2, 2, 3, 6}, x, out), Error);  // not from 0
  EXPECT_THROW(segment_sum_forward<double>({0, 3, 2, 3, 6}, x, out), Error);  // decreasing
  EXPECT_THROW(segment_sum_forward<double>({0, 2, 2, 3, 5}, x, out), Error);  // ends early
  EXPECT_THROW(segment_mean_forward<double>(kOffsets, x, three_rows), Error);
  EXPECT_THROW(segment_max_forward<double>(kOffsets, x, three_cols, argmax), Error);
  EXPECT_THROW(segment_sum_backward<double>(kOffsets, grad_out, five_rows), Error);
  // The arg-max of another batch.
  EXPECT_THROW(
      segment_max_backward<double>(kOffsets, std::vector<EdgeId>(3, 0), grad_out, six_rows), Error);
  // Weights with a column count that does not divide the width (2 columns, 3 weights), or
  // with a row count other than the nodes'.
  EXPECT_THROW(segment_weighted_sum_forward<double>(kOffsets, MatrixD(6, 3), x, out), Error);
  EXPECT_THROW(segment_weighted_sum_forward<double>(kOffsets, MatrixD(5, 1), x, out), Error);
  // The message says what is wrong with the offsets.
  try {
    segment_sum_forward<double>({0, 2, 2, 3, 5}, x, out);
    ADD_FAILURE() << "no error for offsets ending at 5 with 6 rows";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("end at 5"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("6 rows"), std::string::npos) << e.what();
  }
}

// ---- determinism ---------------------------------------------------------------------

// 300 graphs of 0 to 20 nodes (about 3000 rows, many chunks of graphs): every output is the
// same bit for bit at 1, 2 and 3 threads.
TEST(SegmentPooling, BitIdenticalAcrossThreadCounts) {
  const CounterRng rng(9, 0, 0, 0);
  std::vector<EdgeId> offsets = {0};
  for (std::uint64_t g = 0; g < 300; ++g) offsets.push_back(offsets.back() + rng.bits(g) % 21);
  const Eigen::Index n = offsets.back(), graphs = 300, h = 4, f = 6;
  using MatrixF = Matrix<float>;
  const MatrixF x = random_matrix(n, h * f, 66).cast<float>();
  const MatrixF beta = random_matrix(n, h, 67).cast<float>();
  const MatrixF grad_out = random_matrix(graphs, h * f, 68).cast<float>();
  auto run = [&] {
    std::vector<MatrixF> r;
    MatrixF out(graphs, h * f), gx(n, h * f), gb(n, h);
    std::vector<EdgeId> argmax;
    segment_sum_forward<float>(offsets, x, out);
    r.push_back(out);
    segment_mean_forward<float>(offsets, x, out);
    r.push_back(out);
    segment_mean_backward<float>(offsets, grad_out, gx);
    r.push_back(gx);
    segment_max_forward<float>(offsets, x, out, argmax);
    r.push_back(out);
    segment_max_backward<float>(offsets, argmax, grad_out, gx);
    r.push_back(gx);
    segment_weighted_sum_forward<float>(offsets, beta, x, out);
    r.push_back(out);
    segment_weighted_sum_backward<float>(offsets, beta, x, grad_out, gb, gx);
    r.push_back(gb);
    r.push_back(gx);
    return r;
  };
  const int before = num_threads();
  set_num_threads(1);
  const std::vector<MatrixF> reference = run();
  for (int threads : {2, 3}) {
    set_num_threads(threads);
    const std::vector<MatrixF> result = run();
    for (std::size_t k = 0; k < result.size(); ++k) {
      EXPECT_TRUE(result[k] == reference[k]) << "output " << k << " at " << threads << " threads";
    }
  }
  set_num_threads(before);
}

}  // namespace
}  // namespace gat::ops
