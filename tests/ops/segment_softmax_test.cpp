#include "gat/ops/segment_softmax.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "support/gradcheck.hpp"

namespace gat::ops {
namespace {

using test::expect_gradient;
using test::MatrixD;
using test::random_matrix;

// Segments are CSR rows. The hand-computed case uses offsets {0, 2, 2, 3, 6}: the
// neighbourhoods (in-edges by destination) of this graph, N = 4, E = 6:
//
//   1 ──────▶ 0
//   │        ▲ │          0 ⇄ 3 both ways
//   │        │ ▼
//   └───────▶ 3 ◀────── 2 ↺
//
//   segment 0 = into 0: 1→0, 3→0        (slots 0, 1)
//   segment 1 = into 1: none            (empty)
//   segment 2 = into 2: 2→2             (slot 2, a single element)
//   segment 3 = into 3: 0→3, 1→3, 2→3   (slots 3, 4, 5)
const std::vector<EdgeId> kOffsets = {0, 2, 2, 3, 6};

// H = 2, one softmax per column of each segment:
//   segment 0, col 0: [0, ln 3]           → [1/4, 3/4]     (e^0 : e^ln3 = 1 : 3)
//   segment 0, col 1: [1000, 1000]        → [1/2, 1/2]     (exp(1000) overflows without
//                                                           the maximum subtracted)
//   segment 1: empty
//   segment 2: [5, -1000]                 → [1, 1]         (a single element is 1)
//   segment 3, col 0: [1001, 1002, 1003]  → softmax(1, 2, 3) = [0.0900306, 0.2447285, 0.6652410]
//   segment 3, col 1: [-1, -1, -1]        → [1/3, 1/3, 1/3]
template <typename T>
void check_hand_computed(double tol) {
  Matrix<T> x(6, 2);
  x << T(0), T(1000),                          //
      static_cast<T>(std::log(3.0)), T(1000),  //
      T(5), T(-1000),                          //
      T(1001), T(-1),                          //
      T(1002), T(-1),                          //
      T(1003), T(-1);
  Matrix<T> y = Matrix<T>::Constant(6, 2, T(123));
  segment_softmax_forward<T>(kOffsets, x, y);
  // softmax(1, 2, 3): e^k / (e + e^2 + e^3) for k = 1, 2, 3.
  const double expected[6][2] = {{0.25, 0.5},
                                 {0.75, 0.5},
                                 {1.0, 1.0},
                                 {0.09003057317038046, 1.0 / 3},
                                 {0.24472847105479767, 1.0 / 3},
                                 {0.6652409557748219, 1.0 / 3}};
  for (int r = 0; r < 6; ++r) {
    for (int c = 0; c < 2; ++c) {
      EXPECT_NEAR(static_cast<double>(y(r, c)), expected[r][c], tol)
          << "entry (" << r << ", " << c << ")";
    }
  }
}

TEST(SegmentSoftmaxForward, HandComputedDouble) { check_hand_computed<double>(1e-12); }
TEST(SegmentSoftmaxForward, HandComputedFloat) { check_hand_computed<float>(1e-6); }

TEST(SegmentSoftmaxForward, OnlyEmptySegments) {
  // Three nodes without in-edges: no rows, nothing to compute, nothing written.
  const std::vector<EdgeId> offsets = {0, 0, 0, 0};
  const MatrixD x(0, 3);
  MatrixD y(0, 3);
  segment_softmax_forward<double>(offsets, x, y);
  segment_softmax_backward<double>(offsets, y, y, y);
  EXPECT_EQ(y.size(), 0);
}

TEST(SegmentSoftmaxForward, EmptySegmentLeavesItsNeighboursIntact) {
  // offsets {0, 1, 1, 2}: two single-element segments around an empty one. If the empty
  // segment were processed as [1, 1) → garbage, or merged with a neighbour, the two
  // singletons would not both be exactly 1.
  const std::vector<EdgeId> offsets = {0, 1, 1, 2};
  MatrixD x(2, 1);
  x << -7, 40;
  MatrixD y = MatrixD::Constant(2, 1, 123.0);
  segment_softmax_forward<double>(offsets, x, y);
  EXPECT_EQ(y(0, 0), 1.0);
  EXPECT_EQ(y(1, 0), 1.0);
}

TEST(SegmentSoftmaxForward, VeryNegativeLogitsDoNotUnderflowToNaN) {
  // All logits -1000: every exp(x) underflows to 0 unless the maximum is subtracted.
  const std::vector<EdgeId> offsets = {0, 4};
  const MatrixD x = MatrixD::Constant(4, 1, -1000.0);
  MatrixD y(4, 1);
  segment_softmax_forward<double>(offsets, x, y);
  for (int r = 0; r < 4; ++r) EXPECT_DOUBLE_EQ(y(r, 0), 0.25);
}

TEST(SegmentSoftmaxBackward, HandComputed) {
  // One segment, y = [1/4, 3/4], grad_y = [1, 3]: <y, grad_y> = 1/4 + 9/4 = 5/2, so
  // grad_x = y ⊙ (grad_y - 5/2) = [1/4 · (-3/2), 3/4 · (1/2)] = [-3/8, 3/8].
  // The entries of a softmax gradient always sum to zero per segment.
  const std::vector<EdgeId> offsets = {0, 2};
  MatrixD y(2, 1), grad_y(2, 1);
  y << 0.25, 0.75;
  grad_y << 1, 3;
  MatrixD grad_x = MatrixD::Constant(2, 1, 123.0);  // overwritten
  segment_softmax_backward<double>(offsets, y, grad_y, grad_x);
  EXPECT_NEAR(grad_x(0, 0), -0.375, 1e-15);
  EXPECT_NEAR(grad_x(1, 0), 0.375, 1e-15);
}

TEST(SegmentSoftmaxForward, FloatAgreesWithDouble) {
  // The float kernel has its own exp; over logits spread across [-100, 100] (differences
  // beyond the float exp range included) it matches double to about float precision.
  const std::vector<EdgeId> offsets = {0, 40, 40, 41, 100, 400};
  const MatrixD x = random_matrix(400, 3, 36, -100.0, 100.0);
  MatrixD y(400, 3);
  segment_softmax_forward<double>(offsets, x, y);
  Matrix<float> y_f(400, 3);
  segment_softmax_forward<float>(offsets, x.cast<float>(), y_f);
  for (Eigen::Index k = 0; k < y.size(); ++k) {
    ASSERT_NEAR(static_cast<double>(y_f.data()[k]), y.data()[k], 1e-6 * (1 + y.data()[k]))
        << "flat index " << k;
  }
}

// Segments of sizes 3, 0, 1, 2, 0, 4: empty, single and longer neighbourhoods.
const std::vector<EdgeId> kCheckOffsets = {0, 3, 3, 4, 6, 6, 10};

void check_softmax_gradient(Eigen::Index h) {
  const Eigen::Index e = kCheckOffsets.back();
  MatrixD x = random_matrix(e, h, 31, -2.0, 2.0);
  const MatrixD w = random_matrix(e, h, 32);
  auto loss = [&] {
    MatrixD y(e, h);
    segment_softmax_forward<double>(kCheckOffsets, x, y);
    return (w.array() * y.array()).sum();
  };
  MatrixD y(e, h);
  segment_softmax_forward<double>(kCheckOffsets, x, y);
  MatrixD grad_x = random_matrix(e, h, 33);  // junk: the backward overwrites it
  segment_softmax_backward<double>(kCheckOffsets, y, w, grad_x);
  expect_gradient("segment_softmax grad_x", x, grad_x, loss);
}

TEST(SegmentSoftmaxBackward, GradientOneHead) { check_softmax_gradient(1); }
TEST(SegmentSoftmaxBackward, GradientThreeHeads) { check_softmax_gradient(3); }

TEST(SegmentSoftmaxBackward, InPlaceMatchesOutOfPlace) {
  // GatConv calls the backward with grad_x aliasing grad_y; that must give the same result.
  const Eigen::Index e = kCheckOffsets.back(), h = 3;
  const MatrixD x = random_matrix(e, h, 34);
  MatrixD y(e, h);
  segment_softmax_forward<double>(kCheckOffsets, x, y);
  const MatrixD grad_y = random_matrix(e, h, 35);
  MatrixD separate(e, h);
  segment_softmax_backward<double>(kCheckOffsets, y, grad_y, separate);
  MatrixD in_place = grad_y;
  segment_softmax_backward<double>(kCheckOffsets, y, in_place, in_place);
  EXPECT_EQ(in_place, separate);
}

}  // namespace
}  // namespace gat::ops
