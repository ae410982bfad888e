#include "gat/ops/segment_sparsemax.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "gat/core/error.hpp"
#include "gat/core/threads.hpp"
#include "support/gradcheck.hpp"

namespace gat::ops {
namespace {

using test::expect_gradient;
using test::MatrixD;
using test::random_matrix;

// Segments are CSR rows (a node's in-edges). The hand-computed case uses offsets
// {0, 3, 3, 4, 7}: the neighbourhoods of this graph, N = 4, E = 7:
//
//   1 ─────▶ 0 ◀───── 2          segment 0 = into 0: 1→0, 2→0, 3→0   (slots 0, 1, 2)
//            ▲                    segment 1 = into 1: none             (empty)
//            │                    segment 2 = into 2: 2→2              (slot 3, single)
//   2 ↺      3 ◀── 0, 1, 2        segment 3 = into 3: 0→3, 1→3, 2→3   (slots 4, 5, 6)
//            (and 3→0 above)
const std::vector<EdgeId> kOffsets = {0, 3, 3, 4, 7};

// H = 2, one sparsemax per column of each segment (z sorted descending, k* the support size,
// τ = (Σ_{j≤k*} z_(j) − 1)/k*, y = max(z − τ, 0)):
//   segment 0, col 0: [1, 0.5, −1]   k=1: 1 > 0 ✓; k=2: 0.5 > (1.5−1)/2 = 0.25 ✓;
//                                     k=3: −1 > (0.5−1)/3 ✗  → τ = 0.25, y = [0.75, 0.25, 0]
//   segment 0, col 1: [−1, 1, 0.5]   the same scores in another order → [0, 0.75, 0.25]
//   segment 2: [5], [−1000]          a single element is 1 whatever its score
//   segment 3, col 0: [0, 0, 0]      k=3: 0 > −1/3 ✓ → τ = −1/3, y = [1/3, 1/3, 1/3]
//   segment 3, col 1: [2, 0, 1.2]    sorted 2, 1.2, 0; k=2: 1.2 > (3.2−1)/2 = 1.1 ✓;
//                                     k=3: 0 > 2.2/3 ✗  → τ = 1.1, y = [0.9, 0, 0.1]
template <typename T>
void check_hand_computed(double tol) {
  Matrix<T> x(7, 2);
  x << T(1), T(-1),    //
      T(0.5), T(1),    //
      T(-1), T(0.5),   //
      T(5), T(-1000),  //
      T(0), T(2),      //
      T(0), T(0),      //
      T(0), T(1.2);
  Matrix<T> y = Matrix<T>::Constant(7, 2, T(123));
  segment_sparsemax_forward<T>(kOffsets, x, y);
  const double expected[7][2] = {{0.75, 0.0},    {0.25, 0.75},   {0.0, 0.25},   {1.0, 1.0},
                                 {1.0 / 3, 0.9}, {1.0 / 3, 0.0}, {1.0 / 3, 0.1}};
  for (int r = 0; r < 7; ++r) {
    for (int c = 0; c < 2; ++c) {
      if (expected[r][c] == 0.0) {
        EXPECT_EQ(y(r, c), T(0)) << "entry (" << r << ", " << c << ") must be an exact zero";
      } else {
        EXPECT_NEAR(static_cast<double>(y(r, c)), expected[r][c], tol)
            << "entry (" << r << ", " << c << ")";
      }
    }
  }
}

TEST(SegmentSparsemaxForward, HandComputedDouble) { check_hand_computed<double>(1e-12); }
TEST(SegmentSparsemaxForward, HandComputedFloat) { check_hand_computed<float>(1e-6); }

TEST(SegmentSparsemaxForward, InPlaceMatchesOutOfPlace) {
  const MatrixD x = random_matrix(7, 2, 41, -2.0, 2.0);
  MatrixD separate(7, 2);
  segment_sparsemax_forward<double>(kOffsets, x, separate);
  MatrixD in_place = x;
  segment_sparsemax_forward<double>(kOffsets, in_place, in_place);
  EXPECT_EQ(in_place, separate);
}

TEST(SegmentSparsemaxForward, ShiftInvariant) {
  // sparsemax(z + c) = sparsemax(z): τ moves with the scores.
  const std::vector<EdgeId> offsets = {0, 5};
  MatrixD x(5, 1);
  x << 0.3, -0.2, 0.9, 0.1, -2.0;
  MatrixD y(5, 1), y_shifted(5, 1);
  segment_sparsemax_forward<double>(offsets, x, y);
  const MatrixD shifted = (x.array() + 100.0).matrix();
  segment_sparsemax_forward<double>(offsets, shifted, y_shifted);
  test::expect_matrix_near(y_shifted, y, 1e-12);
}

TEST(SegmentSparsemaxForward, SumsToOneWithExactZeros) {
  // Many segments of sizes 0 … 39 with H = 3: each column of each non-empty segment is
  // non-negative, sums to one, and (with scores spread over [−3, 3]) most larger segments
  // have exact zeros.
  std::vector<EdgeId> offsets = {0};
  for (int s = 0; s < 200; ++s) offsets.push_back(offsets.back() + (s * 7) % 40);
  const Eigen::Index e = offsets.back(), h = 3;
  const MatrixD x = random_matrix(e, h, 42, -3.0, 3.0);
  MatrixD y(e, h);
  segment_sparsemax_forward<double>(offsets, x, y);
  Eigen::Index zeros = 0;
  for (std::size_t s = 0; s + 1 < offsets.size(); ++s) {
    if (offsets[s] == offsets[s + 1]) continue;
    for (Eigen::Index c = 0; c < h; ++c) {
      double sum = 0.0;
      for (EdgeId p = offsets[s]; p < offsets[s + 1]; ++p) {
        ASSERT_GE(y(p, c), 0.0) << "slot " << p;
        sum += y(p, c);
        zeros += y(p, c) == 0.0 ? 1 : 0;
      }
      ASSERT_NEAR(sum, 1.0, 1e-12) << "segment " << s << " column " << c;
    }
  }
  EXPECT_GT(zeros, e / 2) << "sparsemax of spread-out scores should be mostly exact zeros";
}

TEST(SegmentSparsemaxForward, EmptyAndSingleSegments) {
  // offsets {0, 0, 1, 1, 2, 2}: single elements between empty segments; each single is 1.
  const std::vector<EdgeId> offsets = {0, 0, 1, 1, 2, 2};
  MatrixD x(2, 3);
  x << -7, 0, 1e6,  //
      40, -1e6, 0.5;
  MatrixD y = MatrixD::Constant(2, 3, 123.0);
  segment_sparsemax_forward<double>(offsets, x, y);
  EXPECT_EQ(y, MatrixD::Ones(2, 3));
  // Only empty segments: nothing to do, no crash.
  const std::vector<EdgeId> none = {0, 0, 0};
  MatrixD empty(0, 2);
  segment_sparsemax_forward<double>(none, empty, empty);
  segment_sparsemax_backward<double>(none, empty, empty, empty);
}

TEST(SegmentSparsemaxForward, NonFiniteScores) {
  // −∞ (a score masked by top-k) gets exactly 0 and does not disturb the others; NaN or +∞,
  // or a column of only −∞, makes that segment column NaN (the layer above reports it) and
  // leaves the other segments and columns intact.
  const double inf = std::numeric_limits<double>::infinity();
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const std::vector<EdgeId> offsets = {0, 3, 5};
  MatrixD x(5, 3);
  x << 1, nan, inf,   //
      -inf, 0, 0,     //
      0.5, 0, 0,      //
      -inf, -inf, 0,  //
      -inf, 2, 0;
  MatrixD y(5, 3);
  segment_sparsemax_forward<double>(offsets, x, y);
  // Segment 0, column 0: sparsemax(1, 0.5) = [0.75, 0.25] with the −∞ slot at 0.
  EXPECT_DOUBLE_EQ(y(0, 0), 0.75);
  EXPECT_EQ(y(1, 0), 0.0);
  EXPECT_DOUBLE_EQ(y(2, 0), 0.25);
  for (int r = 0; r < 3; ++r) EXPECT_TRUE(std::isnan(y(r, 1))) << "NaN column, row " << r;
  for (int r = 0; r < 3; ++r) EXPECT_TRUE(std::isnan(y(r, 2))) << "+inf column, row " << r;
  // Segment 1: column 0 is all −∞ (undefined → NaN); column 1 = [0, 1]; column 2 = [½, ½].
  EXPECT_TRUE(std::isnan(y(3, 0)));
  EXPECT_TRUE(std::isnan(y(4, 0)));
  EXPECT_EQ(y(3, 1), 0.0);
  EXPECT_EQ(y(4, 1), 1.0);
  EXPECT_EQ(y(3, 2), 0.5);
  EXPECT_EQ(y(4, 2), 0.5);
}

TEST(SegmentSparsemaxForward, RejectsBadShapes) {
  MatrixD x(3, 2), y(3, 2), wrong(3, 1);
  EXPECT_THROW(segment_sparsemax_forward<double>({0, 2}, x, y), Error);        // ends at 2, not 3
  EXPECT_THROW(segment_sparsemax_forward<double>({0, 2, 1, 3}, x, y), Error);  // decreasing
  EXPECT_THROW(segment_sparsemax_forward<double>({}, x, y), Error);
  EXPECT_THROW(segment_sparsemax_forward<double>({0, 3}, x, wrong), Error);
  EXPECT_THROW(segment_sparsemax_backward<double>({0, 3}, x, y, wrong), Error);
}

TEST(SegmentSparsemaxForward, FloatAgreesWithDouble) {
  std::vector<EdgeId> offsets = {0};
  for (int s = 0; s < 50; ++s) offsets.push_back(offsets.back() + (s * 5) % 17);
  const Eigen::Index e = offsets.back();
  const MatrixD x = random_matrix(e, 3, 43, -2.0, 2.0);
  MatrixD y(e, 3);
  segment_sparsemax_forward<double>(offsets, x, y);
  Matrix<float> y_f(e, 3);
  segment_sparsemax_forward<float>(offsets, x.cast<float>(), y_f);
  for (Eigen::Index k = 0; k < y.size(); ++k) {
    ASSERT_NEAR(static_cast<double>(y_f.data()[k]), y.data()[k], 1e-5) << "flat index " << k;
  }
}

TEST(SegmentSparsemaxBackward, HandComputed) {
  // y = [0.75, 0.25, 0], grad_y = [1, 3, 5]: S = {0, 1}, mean of grad_y over S = 2, so
  // grad_x = [1 − 2, 3 − 2, 0] = [−1, 1, 0]. The gradient sums to zero over each segment
  // (moving every score together leaves sparsemax unchanged).
  const std::vector<EdgeId> offsets = {0, 3};
  MatrixD y(3, 1), grad_y(3, 1);
  y << 0.75, 0.25, 0.0;
  grad_y << 1, 3, 5;
  MatrixD grad_x = MatrixD::Constant(3, 1, 123.0);  // overwritten
  segment_sparsemax_backward<double>(offsets, y, grad_y, grad_x);
  EXPECT_EQ(grad_x(0, 0), -1.0);
  EXPECT_EQ(grad_x(1, 0), 1.0);
  EXPECT_EQ(grad_x(2, 0), 0.0);
}

// Segments of sizes 3, 0, 1, 2, 0, 4, 6: empty, single and longer neighbourhoods.
const std::vector<EdgeId> kCheckOffsets = {0, 3, 3, 4, 6, 6, 10, 16};

// Finite differences are only valid away from the kinks of sparsemax. The map is piecewise
// linear; where a score z_p crosses τ the support changes, the two one-sided derivatives
// differ, and a central difference straddling the kink averages them, matching neither the
// left nor the right Jacobian (the backward returns the one of the current support). Each
// segment column must therefore keep every |z_p − τ| far above the step h = 1e-6 (a step moves
// τ by at most h). The test asserts a margin of 1e-3 for its inputs, so a seed that lands near
// a kink is reported as such instead of as a wrong gradient. Away from kinks sparsemax is
// affine, so central differences are exact up to rounding.
void check_sparsemax_gradient(Eigen::Index h, std::uint64_t seed) {
  const Eigen::Index e = kCheckOffsets.back();
  MatrixD x = random_matrix(e, h, seed, -1.5, 1.5);
  MatrixD y(e, h);
  segment_sparsemax_forward<double>(kCheckOffsets, x, y);
  for (std::size_t s = 0; s + 1 < kCheckOffsets.size(); ++s) {
    const EdgeId b = kCheckOffsets[s], en = kCheckOffsets[s + 1];
    if (en - b < 2) continue;  // a single element is constant 1: no kink
    for (Eigen::Index c = 0; c < h; ++c) {
      double tau = 0.0;
      for (EdgeId p = b; p < en; ++p) {
        if (y(p, c) > 0) tau = x(p, c) - y(p, c);
      }
      for (EdgeId p = b; p < en; ++p) {
        ASSERT_GT(std::abs(x(p, c) - tau), 1e-3) << "seed " << seed << ": slot " << p << " column "
                                                 << c << " sits near a kink; pick another seed";
      }
    }
  }
  const MatrixD w = random_matrix(e, h, seed + 1000);
  auto loss = [&] {
    MatrixD yy(e, h);
    segment_sparsemax_forward<double>(kCheckOffsets, x, yy);
    return (w.array() * yy.array()).sum();
  };
  MatrixD grad_x = random_matrix(e, h, seed + 2000);  // junk: the backward overwrites it
  segment_sparsemax_backward<double>(kCheckOffsets, y, w, grad_x);
  expect_gradient("segment_sparsemax grad_x", x, grad_x, loss);
}

TEST(SegmentSparsemaxBackward, GradientOneHead) { check_sparsemax_gradient(1, 51); }
TEST(SegmentSparsemaxBackward, GradientThreeHeads) { check_sparsemax_gradient(3, 52); }

TEST(SegmentSparsemaxBackward, InPlaceMatchesOutOfPlace) {
  const Eigen::Index e = kCheckOffsets.back(), h = 3;
  const MatrixD x = random_matrix(e, h, 53, -1.5, 1.5);
  MatrixD y(e, h);
  segment_sparsemax_forward<double>(kCheckOffsets, x, y);
  const MatrixD grad_y = random_matrix(e, h, 54);
  MatrixD separate(e, h);
  segment_sparsemax_backward<double>(kCheckOffsets, y, grad_y, separate);
  MatrixD in_place = grad_y;
  segment_sparsemax_backward<double>(kCheckOffsets, y, in_place, in_place);
  EXPECT_EQ(in_place, separate);
}

TEST(SegmentSparsemax, BitIdenticalAtOneAndTwoThreads) {
  // 3000 segments of sizes 0 … 30 (several chunks of segments per thread).
  std::vector<EdgeId> offsets = {0};
  for (int s = 0; s < 3000; ++s) offsets.push_back(offsets.back() + (s * 13) % 31);
  const Eigen::Index e = offsets.back(), h = 3;
  const Matrix<float> x = random_matrix(e, h, 55, -2.0, 2.0).cast<float>();
  const Matrix<float> g = random_matrix(e, h, 56).cast<float>();
  Matrix<float> y1(e, h), y2(e, h), gx1(e, h), gx2(e, h);
  set_num_threads(1);
  segment_sparsemax_forward<float>(offsets, x, y1);
  segment_sparsemax_backward<float>(offsets, y1, g, gx1);
  set_num_threads(2);
  segment_sparsemax_forward<float>(offsets, x, y2);
  segment_sparsemax_backward<float>(offsets, y2, g, gx2);
  set_num_threads(1);
  EXPECT_EQ(y1, y2);
  EXPECT_EQ(gx1, gx2);
}

}  // namespace
}  // namespace gat::ops
