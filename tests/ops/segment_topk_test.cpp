#include "gat/ops/segment_topk.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "gat/core/error.hpp"
#include "gat/core/threads.hpp"
#include "gat/ops/segment_softmax.hpp"
#include "support/gradcheck.hpp"

namespace gat::ops {
namespace {

using test::expect_gradient;
using test::MatrixD;
using test::random_matrix;

constexpr double kInf = std::numeric_limits<double>::infinity();

// Segments are CSR rows (a node's in-edges), offsets {0, 4, 4, 5, 10}, N = 4, E = 10:
//
//   segment 0 = into 0: 4 in-edges   (slots 0 … 3)
//   segment 1 = into 1: none         (empty)
//   segment 2 = into 2: a self loop  (slot 4, single)
//   segment 3 = into 3: 5 in-edges   (slots 5 … 9)
const std::vector<EdgeId> kOffsets = {0, 4, 4, 5, 10};

// k = 2, H = 2:
//   segment 0, col 0: [3, 1, 2, 5]        → the two largest, 5 and 3: [3, −∞, −∞, 5]
//   segment 0, col 1: [1, 2, 2, 2]        → three tie at 2; the first two slots survive:
//                                            [−∞, 2, 2, −∞]
//   segment 2: [7], [−1]                  → fewer than k: kept
//   segment 3, col 0: [0, 0, 0, 0, 0]     → all tie: slots 5, 6 survive
//   segment 3, col 1: [−1, 4, −2, 4, 3]   → the two 4s: [−∞, 4, −∞, 4, −∞]
MatrixD hand_scores() {
  MatrixD x(10, 2);
  x << 3, 1,  //
      1, 2,   //
      2, 2,   //
      5, 2,   //
      7, -1,  //
      0, -1,  //
      0, 4,   //
      0, -2,  //
      0, 4,   //
      0, 3;
  return x;
}

template <typename T>
void check_hand_computed() {
  const T inf = std::numeric_limits<T>::infinity();
  const Matrix<T> x = hand_scores().cast<T>();
  Matrix<T> y = Matrix<T>::Constant(10, 2, T(123));
  segment_topk_forward<T>(kOffsets, 2, x, y);
  Matrix<T> expected(10, 2);
  expected << 3, -inf,  //
      -inf, 2,          //
      -inf, 2,          //
      5, -inf,          //
      7, -1,            //
      0, -inf,          //
      0, 4,             //
      -inf, -inf,       //
      -inf, 4,          //
      -inf, -inf;
  EXPECT_EQ(y, expected);
}

TEST(SegmentTopkForward, HandComputedDouble) { check_hand_computed<double>(); }
TEST(SegmentTopkForward, HandComputedFloat) { check_hand_computed<float>(); }

TEST(SegmentTopkForward, KOfOneAndKAtLeastTheSize) {
  const MatrixD x = hand_scores();
  MatrixD y(10, 2);
  // k = 1: the first maximum only (slot 1 among the tied 2s, slot 6 among the 4s).
  segment_topk_forward<double>(kOffsets, 1, x, y);
  EXPECT_EQ(y(3, 0), 5);
  EXPECT_EQ(y(1, 1), 2);
  EXPECT_EQ(y(2, 1), -kInf);
  EXPECT_EQ(y(6, 1), 4);
  EXPECT_EQ(y(8, 1), -kInf);
  EXPECT_EQ(y(5, 0), 0);
  EXPECT_EQ(y(6, 0), -kInf);
  // k ≥ the largest segment: the identity.
  segment_topk_forward<double>(kOffsets, 5, x, y);
  EXPECT_EQ(y, x);
  segment_topk_forward<double>(kOffsets, 1000, x, y);
  EXPECT_EQ(y, x);
}

TEST(SegmentTopkForward, InPlaceMatchesOutOfPlace) {
  const MatrixD x = random_matrix(10, 2, 71);
  MatrixD separate(10, 2);
  segment_topk_forward<double>(kOffsets, 2, x, separate);
  MatrixD in_place = x;
  segment_topk_forward<double>(kOffsets, 2, in_place, in_place);
  EXPECT_EQ(in_place, separate);
}

TEST(SegmentTopkForward, ExactlyMinKSizeSurviveWithTies) {
  // Scores drawn from {0, 1, 2} (many ties), segments of sizes 0 … 12, H = 3: for each k,
  // exactly min(k, size) entries survive per segment column, every survivor ranks at or above
  // every masked score, and among scores equal to the smallest survivor the survivors come first.
  std::vector<EdgeId> offsets = {0};
  for (int s = 0; s < 300; ++s) offsets.push_back(offsets.back() + (s * 5) % 13);
  const Eigen::Index e = offsets.back(), h = 3;
  MatrixD x = random_matrix(e, h, 72, 0.0, 3.0).array().floor().matrix();
  for (Eigen::Index k : {1, 2, 3, 5}) {
    MatrixD y(e, h);
    segment_topk_forward<double>(offsets, k, x, y);
    for (std::size_t s = 0; s + 1 < offsets.size(); ++s) {
      const EdgeId b = offsets[s], en = offsets[s + 1];
      for (Eigen::Index c = 0; c < h; ++c) {
        EdgeId kept = 0;
        double lowest_kept = kInf, highest_masked = -kInf;
        for (EdgeId p = b; p < en; ++p) {
          if (y(p, c) == -kInf) {
            highest_masked = std::max(highest_masked, x(p, c));
          } else {
            ASSERT_EQ(y(p, c), x(p, c));
            ++kept;
            lowest_kept = std::min(lowest_kept, x(p, c));
          }
        }
        ASSERT_EQ(kept, std::min<EdgeId>(k, en - b)) << "k " << k << " segment " << s;
        ASSERT_GE(lowest_kept, highest_masked) << "k " << k << " segment " << s;
        // Slot order among ties: no masked slot equal to the threshold precedes a kept one.
        bool masked_tie_seen = false;
        for (EdgeId p = b; p < en; ++p) {
          if (x(p, c) != lowest_kept) continue;
          if (y(p, c) == -kInf) {
            masked_tie_seen = true;
          } else {
            ASSERT_FALSE(masked_tie_seen) << "k " << k << " segment " << s << " slot " << p;
          }
        }
      }
    }
  }
}

TEST(SegmentTopkForward, EmptySingleAndNan) {
  // offsets {0, 0, 1, 1, 4}, H = 1: the single survives; a NaN stays NaN (and ranks last), so
  // [NaN, 1, 2] with k = 1 → [NaN, −∞, 2].
  const std::vector<EdgeId> offsets = {0, 0, 1, 1, 4};
  MatrixD x(4, 1);
  x << -3, std::numeric_limits<double>::quiet_NaN(), 1, 2;
  MatrixD y(4, 1);
  segment_topk_forward<double>(offsets, 1, x, y);
  EXPECT_EQ(y(0, 0), -3);
  EXPECT_TRUE(std::isnan(y(1, 0)));
  EXPECT_EQ(y(2, 0), -kInf);
  EXPECT_EQ(y(3, 0), 2);
  const std::vector<EdgeId> none = {0, 0, 0};
  MatrixD empty(0, 2);
  segment_topk_forward<double>(none, 1, empty, empty);
  segment_topk_backward<double>(none, empty, empty, empty);
}

TEST(SegmentTopkForward, RejectsBadArguments) {
  MatrixD x(3, 2), wrong(3, 1);
  EXPECT_THROW(segment_topk_forward<double>({0, 3}, 0, x, x), Error);  // k < 1
  EXPECT_THROW(segment_topk_forward<double>({0, 1}, 2, x, x), Error);  // offsets end at 1
  EXPECT_THROW(segment_topk_forward<double>({0, 3}, 2, x, wrong), Error);
  EXPECT_THROW(segment_topk_backward<double>({0, 3}, x, x, wrong), Error);
}

TEST(SegmentTopkBackward, IdentityOnKeptZeroOnMasked) {
  const MatrixD x = hand_scores();
  MatrixD y(10, 2);
  segment_topk_forward<double>(kOffsets, 2, x, y);
  const MatrixD grad_y = random_matrix(10, 2, 73);
  MatrixD grad_x = MatrixD::Constant(10, 2, 123.0);
  segment_topk_backward<double>(kOffsets, y, grad_y, grad_x);
  for (Eigen::Index p = 0; p < 10; ++p) {
    for (Eigen::Index c = 0; c < 2; ++c) {
      EXPECT_EQ(grad_x(p, c), y(p, c) == -kInf ? 0.0 : grad_y(p, c))
          << "entry (" << p << ", " << c << ")";
    }
  }
  MatrixD in_place = grad_y;
  segment_topk_backward<double>(kOffsets, y, in_place, in_place);
  EXPECT_EQ(in_place, grad_x);
}

TEST(SegmentTopkThenSoftmax, MaskedEntriesGetExactZerosDouble) {
  // softmax(topk(x)): in double, exp(−∞ − m) = 0 exactly, so masked entries get weight 0, the
  // survivors sum to one, and the softmax backward passes exactly 0 gradient to them.
  const MatrixD x = hand_scores();
  MatrixD s(10, 2), alpha(10, 2);
  segment_topk_forward<double>(kOffsets, 2, x, s);
  segment_softmax_forward<double>(kOffsets, s, alpha);
  const MatrixD grad_alpha = random_matrix(10, 2, 74);
  MatrixD grad_s(10, 2);
  segment_softmax_backward<double>(kOffsets, alpha, grad_alpha, grad_s);
  for (std::size_t seg = 0; seg + 1 < kOffsets.size(); ++seg) {
    for (Eigen::Index c = 0; c < 2; ++c) {
      double sum = 0.0;
      for (EdgeId p = kOffsets[seg]; p < kOffsets[seg + 1]; ++p) {
        sum += alpha(p, c);
        if (s(p, c) == -kInf) {
          EXPECT_EQ(alpha(p, c), 0.0) << "masked entry (" << p << ", " << c << ")";
          EXPECT_EQ(grad_s(p, c), 0.0) << "masked entry (" << p << ", " << c << ")";
        } else {
          EXPECT_GT(alpha(p, c), 0.0);
        }
      }
      if (kOffsets[seg] != kOffsets[seg + 1]) {
        EXPECT_NEAR(sum, 1.0, 1e-15);
      }
    }
  }
  // Segment 0, column 0: softmax(3, 5) on the survivors = [1, e²] / (1 + e²).
  EXPECT_NEAR(alpha(0, 0), 1.0 / (1.0 + std::exp(2.0)), 1e-15);
  EXPECT_NEAR(alpha(3, 0), std::exp(2.0) / (1.0 + std::exp(2.0)), 1e-15);
}

TEST(SegmentTopkThenSoftmax, MaskedEntriesGetExactZerosFloat) {
  // The float softmax uses detail::fast_exp, which returns exactly 0 below -87, so masked
  // (-inf) entries get exactly zero weight and zero gradient, as in double.
  const Matrix<float> x = hand_scores().cast<float>();
  Matrix<float> s(10, 2), alpha(10, 2);
  segment_topk_forward<float>(kOffsets, 2, x, s);
  segment_softmax_forward<float>(kOffsets, s, alpha);
  const Matrix<float> grad_alpha = random_matrix(10, 2, 75).cast<float>();
  Matrix<float> grad_s(10, 2);
  segment_softmax_backward<float>(kOffsets, alpha, grad_alpha, grad_s);
  for (Eigen::Index p = 0; p < 10; ++p) {
    for (Eigen::Index c = 0; c < 2; ++c) {
      if (s(p, c) != -std::numeric_limits<float>::infinity()) continue;
      EXPECT_EQ(alpha(p, c), 0.0f) << "masked entry (" << p << ", " << c << ")";
      EXPECT_EQ(grad_s(p, c), 0.0f) << "masked entry (" << p << ", " << c << ")";
    }
  }
}

// Segments of sizes 3, 0, 1, 2, 0, 4, 6: empty, single and longer neighbourhoods.
const std::vector<EdgeId> kCheckOffsets = {0, 3, 3, 4, 6, 6, 10, 16};

// Finite differences of softmax ∘ topk are valid only where a step of h = 1e-6 cannot change
// which scores survive: the k-th and (k+1)-th largest scores of every segment column must be
// far apart (the selection is piecewise constant, and the loss jumps where it changes). The
// test asserts a gap of 1e-3 for its inputs. Masked scores then have exactly zero derivative,
// and the survivors the softmax derivative.
void check_topk_softmax_gradient(Eigen::Index h, Eigen::Index k, std::uint64_t seed) {
  const Eigen::Index e = kCheckOffsets.back();
  MatrixD x = random_matrix(e, h, seed, -2.0, 2.0);
  for (std::size_t seg = 0; seg + 1 < kCheckOffsets.size(); ++seg) {
    const EdgeId b = kCheckOffsets[seg], en = kCheckOffsets[seg + 1];
    if (en - b <= k) continue;
    for (Eigen::Index c = 0; c < h; ++c) {
      std::vector<double> v;
      for (EdgeId p = b; p < en; ++p) v.push_back(x(p, c));
      std::sort(v.begin(), v.end(), std::greater<double>());
      ASSERT_GT(v[k - 1] - v[k], 1e-3) << "seed " << seed << ": segment " << seg << " column " << c
                                       << " is near a change of selection";
    }
  }
  const MatrixD w = random_matrix(e, h, seed + 1000);
  auto loss = [&] {
    MatrixD s(e, h), a(e, h);
    segment_topk_forward<double>(kCheckOffsets, k, x, s);
    segment_softmax_forward<double>(kCheckOffsets, s, a);
    return (w.array() * a.array()).sum();
  };
  MatrixD s(e, h), alpha(e, h);
  segment_topk_forward<double>(kCheckOffsets, k, x, s);
  segment_softmax_forward<double>(kCheckOffsets, s, alpha);
  MatrixD grad_s(e, h);
  segment_softmax_backward<double>(kCheckOffsets, alpha, w, grad_s);
  MatrixD grad_x = random_matrix(e, h, seed + 2000);  // junk: the backward overwrites it
  segment_topk_backward<double>(kCheckOffsets, s, grad_s, grad_x);
  expect_gradient("softmax ∘ topk grad_x", x, grad_x, loss);
}

TEST(SegmentTopkThenSoftmax, GradientOneHead) { check_topk_softmax_gradient(1, 2, 81); }
TEST(SegmentTopkThenSoftmax, GradientThreeHeads) { check_topk_softmax_gradient(3, 2, 82); }
TEST(SegmentTopkThenSoftmax, GradientThreeHeadsKThree) { check_topk_softmax_gradient(3, 3, 83); }

TEST(SegmentTopk, BitIdenticalAtOneAndTwoThreads) {
  std::vector<EdgeId> offsets = {0};
  for (int s = 0; s < 3000; ++s) offsets.push_back(offsets.back() + (s * 13) % 31);
  const Eigen::Index e = offsets.back(), h = 3;
  // Rounded scores: many ties, so the slot-order tie break is exercised.
  const Matrix<float> x =
      (random_matrix(e, h, 84, 0.0, 8.0).array().floor().matrix()).cast<float>();
  const Matrix<float> g = random_matrix(e, h, 85).cast<float>();
  Matrix<float> y1(e, h), y2(e, h), gx1(e, h), gx2(e, h);
  set_num_threads(1);
  segment_topk_forward<float>(offsets, 4, x, y1);
  segment_topk_backward<float>(offsets, y1, g, gx1);
  set_num_threads(2);
  segment_topk_forward<float>(offsets, 4, x, y2);
  segment_topk_backward<float>(offsets, y2, g, gx2);
  set_num_threads(1);
  EXPECT_EQ(y1, y2);
  EXPECT_EQ(gx1, gx2);
}

}  // namespace
}  // namespace gat::ops
