#include "gat/ops/segment_hard.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "gat/core/error.hpp"
#include "gat/core/random.hpp"
#include "gat/core/threads.hpp"
#include "gat/ops/segment_softmax.hpp"
#include "support/gradcheck.hpp"

namespace gat::ops {
namespace {

using test::MatrixD;
using test::random_matrix;

// Segments are CSR rows (a node's in-edges), offsets {0, 4, 4, 5, 8}, N = 4, E = 8:
//
//   segment 0 = into 0: 4 in-edges   (slots 0 … 3)
//   segment 1 = into 1: none         (empty)
//   segment 2 = into 2: a self loop  (slot 4, single)
//   segment 3 = into 3: 3 in-edges   (slots 5, 6, 7)
const std::vector<EdgeId> kOffsets = {0, 4, 4, 5, 8};

// H = 3 columns of attention weights, each summing to one per segment. Column 0 has a zero
// weight (slot 3), column 1 a tie for the maximum (slots 1 and 2), column 2 a certain choice.
MatrixD hand_alpha() {
  MatrixD a(8, 3);
  a << 0.1, 0.2, 0.0,  //
      0.2, 0.3, 0.0,   //
      0.7, 0.3, 1.0,   //
      0.0, 0.2, 0.0,   //
      1.0, 1.0, 1.0,   //
      0.5, 0.25, 0.6,  //
      0.25, 0.5, 0.2,  //
      0.25, 0.25, 0.2;
  return a;
}

// Every non-empty segment column of y has exactly one 1 and zeros elsewhere; returns the
// chosen slot of each (segment, column), −1 for an empty segment.
std::vector<std::vector<EdgeId>> expect_one_hot(const std::vector<EdgeId>& offsets,
                                                const MatrixD& y) {
  std::vector<std::vector<EdgeId>> chosen(offsets.size() - 1,
                                          std::vector<EdgeId>(y.cols(), EdgeId{-1}));
  for (std::size_t s = 0; s + 1 < offsets.size(); ++s) {
    for (Eigen::Index c = 0; c < y.cols(); ++c) {
      int ones = 0;
      for (EdgeId p = offsets[s]; p < offsets[s + 1]; ++p) {
        if (y(p, c) == 1.0) {
          ++ones;
          chosen[s][c] = p;
        } else {
          EXPECT_EQ(y(p, c), 0.0) << "slot " << p << " column " << c;
        }
      }
      if (offsets[s] != offsets[s + 1]) {
        EXPECT_EQ(ones, 1) << "segment " << s << " column " << c;
      }
    }
  }
  return chosen;
}

TEST(SegmentHardForward, InferencePicksFirstArgmax) {
  // Column 0: argmax of [0.1, 0.2, 0.7, 0] is slot 2; of [0.5, 0.25, 0.25] slot 5.
  // Column 1: [0.2, 0.3, 0.3, 0.2] ties between slots 1 and 2 → the first, slot 1;
  //           [0.25, 0.5, 0.25] → slot 6.
  // Column 2: slot 2, and [0.6, 0.2, 0.2] → slot 5. The single slot 4 is always chosen.
  const MatrixD a = hand_alpha();
  MatrixD y = MatrixD::Constant(8, 3, 123.0);
  segment_hard_forward<double>(kOffsets, a, false, CounterRng(1, 0, 0, 0), y);
  MatrixD expected = MatrixD::Zero(8, 3);
  expected(2, 0) = expected(5, 0) = 1;
  expected(1, 1) = expected(6, 1) = 1;
  expected(2, 2) = expected(5, 2) = 1;
  expected.row(4).setOnes();
  EXPECT_EQ(y, expected);
}

TEST(SegmentHardForward, SampleIsTheInverseCdfOfTheKeyedUniform) {
  // The draw of segment s, column h uses u = rng.uniform(s·H + h): the chosen slot is the
  // first whose cumulative weight exceeds u. Recomputed here by hand for every segment.
  const MatrixD a = hand_alpha();
  const CounterRng rng(7, 3, 1, 6);
  MatrixD y(8, 3);
  segment_hard_forward<double>(kOffsets, a, true, rng, y);
  const auto chosen = expect_one_hot(kOffsets, y);
  for (std::size_t s = 0; s + 1 < kOffsets.size(); ++s) {
    if (kOffsets[s] == kOffsets[s + 1]) continue;
    for (Eigen::Index c = 0; c < 3; ++c) {
      // The kernel scales u by the column's total weight (1 up to rounding here).
      double total = 0.0;
      for (EdgeId p = kOffsets[s]; p < kOffsets[s + 1]; ++p) total += a(p, c);
      const double u = rng.uniform(s * 3 + static_cast<std::uint64_t>(c));
      double cumulative = 0.0;
      EdgeId expected = -1;
      for (EdgeId p = kOffsets[s]; p < kOffsets[s + 1] && expected < 0; ++p) {
        cumulative += a(p, c);
        if (cumulative > u * total) expected = p;
      }
      EXPECT_EQ(chosen[s][c], expected) << "segment " << s << " column " << c << ", u = " << u;
    }
  }
}

TEST(SegmentHardForward, DeterministicBySeed) {
  const MatrixD a = hand_alpha();
  MatrixD y1(8, 3), y2(8, 3);
  segment_hard_forward<double>(kOffsets, a, true, CounterRng(5, 10, 0, 0), y1);
  segment_hard_forward<double>(kOffsets, a, true, CounterRng(5, 10, 0, 0), y2);
  EXPECT_EQ(y1, y2);
  // Another step draws afresh: over 20 steps, some draw differs from step 10's.
  bool differs = false;
  for (std::uint64_t step = 11; step < 31 && !differs; ++step) {
    segment_hard_forward<double>(kOffsets, a, true, CounterRng(5, step, 0, 0), y2);
    differs = y1 != y2;
  }
  EXPECT_TRUE(differs);
}

TEST(SegmentHardForward, SamplingFrequenciesMatchWeights) {
  // 20000 draws (steps) of segments 0 and 3 of hand_alpha: each slot's count n_p is
  // Binomial(20000, α_p), so |n_p − 20000·α_p| stays within 5σ, σ = sqrt(20000·α_p(1 − α_p)),
  // (a false alarm has probability about 6e-7 per slot); a weight of 0 is never drawn.
  const MatrixD a = hand_alpha();
  constexpr int kDraws = 20000;
  MatrixD counts = MatrixD::Zero(8, 3);
  MatrixD y(8, 3);
  for (int step = 0; step < kDraws; ++step) {
    segment_hard_forward<double>(kOffsets, a, true, CounterRng(2024, step, 0, 0), y);
    counts += y;
  }
  for (Eigen::Index p = 0; p < 8; ++p) {
    for (Eigen::Index c = 0; c < 3; ++c) {
      const double mean = kDraws * a(p, c);
      const double sigma = std::sqrt(kDraws * a(p, c) * (1 - a(p, c)));
      if (a(p, c) == 0.0) {
        EXPECT_EQ(counts(p, c), 0.0) << "zero-weight slot " << p << " column " << c;
      } else {
        EXPECT_LE(std::abs(counts(p, c) - mean), 5 * sigma + 1e-9)
            << "slot " << p << " column " << c << ": " << counts(p, c) << " draws, expected "
            << mean << " ± " << sigma;
      }
    }
  }
}

TEST(SegmentHardForward, FloatMatchesDoubleAndInPlace) {
  // The CDF is summed in double either way, so float weights (exactly representable here)
  // give the same draws; in place (y aliasing alpha) gives the same one-hot.
  const MatrixD a = hand_alpha();
  const CounterRng rng(9, 1, 2, 3);
  MatrixD y(8, 3);
  segment_hard_forward<double>(kOffsets, a, true, rng, y);
  Matrix<float> y_f(8, 3);
  segment_hard_forward<float>(kOffsets, a.cast<float>(), true, rng, y_f);
  EXPECT_EQ(y_f, y.cast<float>());
  MatrixD in_place = a;
  segment_hard_forward<double>(kOffsets, in_place, true, rng, in_place);
  EXPECT_EQ(in_place, y);
}

TEST(SegmentHardForward, EmptyAndSingleSegmentsOneHead) {
  // H = 1, offsets {0, 0, 1, 1, 2}: empty segments produce nothing, singles are always 1.
  const std::vector<EdgeId> offsets = {0, 0, 1, 1, 2};
  MatrixD a(2, 1);
  a << 1.0, 1.0;
  for (bool training : {false, true}) {
    MatrixD y = MatrixD::Constant(2, 1, 123.0);
    segment_hard_forward<double>(offsets, a, training, CounterRng(3, 0, 0, 0), y);
    EXPECT_EQ(y, MatrixD::Ones(2, 1));
  }
  const std::vector<EdgeId> none = {0, 0};
  MatrixD empty(0, 1);
  segment_hard_forward<double>(none, empty, true, CounterRng(3, 0, 0, 0), empty);
  segment_hard_backward<double>(none, empty, empty);
}

TEST(SegmentHardForward, NanWeightsGiveNanNotACrash) {
  const std::vector<EdgeId> offsets = {0, 2, 4};
  MatrixD a(4, 1);
  a << 0.5, std::numeric_limits<double>::quiet_NaN(), 0.3, 0.7;
  for (bool training : {false, true}) {
    MatrixD y(4, 1);
    segment_hard_forward<double>(offsets, a, training, CounterRng(3, 0, 0, 0), y);
    EXPECT_TRUE(std::isnan(y(0, 0)) && std::isnan(y(1, 0)));
    EXPECT_EQ(y(2, 0) + y(3, 0), 1.0);
  }
}

TEST(SegmentHardForward, RejectsBadShapes) {
  MatrixD a(3, 2), wrong(2, 2);
  const CounterRng rng(1, 0, 0, 0);
  EXPECT_THROW(segment_hard_forward<double>({0, 2}, a, true, rng, a), Error);
  EXPECT_THROW(segment_hard_forward<double>({0, 3}, a, true, rng, wrong), Error);
  EXPECT_THROW(segment_hard_backward<double>({0, 3}, a, wrong), Error);
}

TEST(SegmentHardBackward, StraightThroughIsTheIdentity) {
  // grad_α = grad_y exactly, out of place and in place; composed with the softmax backward
  // it is the soft-attention gradient evaluated at the one-hot sample.
  const MatrixD grad_y = random_matrix(8, 3, 61);
  MatrixD grad_alpha = MatrixD::Constant(8, 3, 123.0);
  segment_hard_backward<double>(kOffsets, grad_y, grad_alpha);
  EXPECT_EQ(grad_alpha, grad_y);
  MatrixD in_place = grad_y;
  segment_hard_backward<double>(kOffsets, in_place, in_place);
  EXPECT_EQ(in_place, grad_y);
}

TEST(SegmentHardBackward, ThroughSoftmaxEqualsSoftmaxBackward) {
  // The layer's chain e → softmax → α → hard → y: with straight-through, the gradient on
  // the scores is softmax_backward(α, grad_y). For a loss linear in y, Σ w ⊙ y, this is also
  // the exact gradient of the expected loss Σ w ⊙ α (E[y] = α), checked by finite
  // differences of the soft loss.
  const Eigen::Index e = kOffsets.back(), h = 3;
  MatrixD scores = random_matrix(e, h, 62, -2.0, 2.0);
  const MatrixD w = random_matrix(e, h, 63);
  MatrixD alpha(e, h), y(e, h);
  segment_softmax_forward<double>(kOffsets, scores, alpha);
  segment_hard_forward<double>(kOffsets, alpha, true, CounterRng(4, 0, 0, 0), y);
  MatrixD grad_alpha(e, h), grad_scores(e, h);
  segment_hard_backward<double>(kOffsets, w, grad_alpha);
  segment_softmax_backward<double>(kOffsets, alpha, grad_alpha, grad_scores);
  auto expected_loss = [&] {
    MatrixD a(e, h);
    segment_softmax_forward<double>(kOffsets, scores, a);
    return (w.array() * a.array()).sum();
  };
  test::expect_gradient("hard attention (straight-through) grad_scores", scores, grad_scores,
                        expected_loss);
}

TEST(SegmentHard, BitIdenticalAtOneAndTwoThreads) {
  std::vector<EdgeId> offsets = {0};
  for (int s = 0; s < 3000; ++s) offsets.push_back(offsets.back() + (s * 13) % 31);
  const Eigen::Index e = offsets.back(), h = 3;
  const Matrix<float> scores = random_matrix(e, h, 64, -2.0, 2.0).cast<float>();
  Matrix<float> alpha(e, h);
  segment_softmax_forward<float>(offsets, scores, alpha);
  const CounterRng rng(11, 2, 1, 0);
  Matrix<float> y1(e, h), y2(e, h), i1(e, h), i2(e, h);
  set_num_threads(1);
  segment_hard_forward<float>(offsets, alpha, true, rng, y1);
  segment_hard_forward<float>(offsets, alpha, false, rng, i1);
  set_num_threads(2);
  segment_hard_forward<float>(offsets, alpha, true, rng, y2);
  segment_hard_forward<float>(offsets, alpha, false, rng, i2);
  set_num_threads(1);
  EXPECT_EQ(y1, y2);
  EXPECT_EQ(i1, i2);
}

}  // namespace
}  // namespace gat::ops
