#include "gat/ops/dropout.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "gat/core/error.hpp"
#include "support/gradcheck.hpp"

namespace gat::ops {
namespace {

using test::MatrixD;
using test::random_matrix;

// Inputs bounded away from zero, so that an output of 0 always means "dropped".
MatrixD nonzero_input(Eigen::Index rows, Eigen::Index cols, std::uint64_t seed) {
  return random_matrix(rows, cols, seed, 0.5, 2.0);
}

TEST(Dropout, RateAndScale) {
  // 200 000 entries at p = 0.3: the dropped fraction has standard deviation
  // sqrt(0.3 · 0.7 / 200 000) ≈ 0.001, so ±0.006 is a six-sigma band.
  const double p = 0.3;
  const MatrixD x = nonzero_input(400, 500, 81);
  MatrixD y = x;
  dropout<double>(y, p, CounterRng(1, 0, 0, kStreamInputDropout));
  Eigen::Index dropped = 0;
  for (Eigen::Index k = 0; k < y.size(); ++k) {
    if (y.data()[k] == 0) {
      ++dropped;
    } else {
      // Kept entries are scaled by 1 / (1 - p) = 1 / 0.7.
      ASSERT_NEAR(y.data()[k], x.data()[k] / 0.7, 1e-14) << "entry " << k;
    }
  }
  EXPECT_NEAR(static_cast<double>(dropped) / static_cast<double>(y.size()), p, 0.006);
}

// A block of rows dropped on its own gets the values dropout() gives those rows of the whole,
// from a contiguous block and from a strided view alike.
TEST(DropoutRows, SameValuesAsTheWholeMatrix) {
  const MatrixD wide = nonzero_input(40, 11, 84);
  const MatrixCRef<double> x = wide.middleCols(1, 7);  // outer stride 11
  const DropoutSpec drop{0.3, CounterRng(5, 2, 1, kStreamInputDropout)};
  MatrixD whole = x;
  dropout<double>(whole, drop.rate, drop.rng);
  for (const Eigen::Index first : {0, 13, 39}) {
    const Eigen::Index len = std::min<Eigen::Index>(10, 40 - first);
    MatrixD block(len, 7);
    dropout_rows<double>(x.middleRows(first, len), first, drop, block);
    EXPECT_TRUE(block == whole.middleRows(first, len)) << "rows from " << first;
    const MatrixD contiguous = x.middleRows(first, len);
    MatrixD block2(len, 7);
    dropout_rows<double>(contiguous, first, drop, block2);
    EXPECT_TRUE(block2 == block) << "rows from " << first;
  }
  MatrixD copy(40, 7);
  dropout_rows<double>(x, 0, DropoutSpec{}, copy);
  EXPECT_TRUE(copy == x) << "rate 0 copies";
  MatrixD wrong(3, 7);
  EXPECT_THROW(dropout_rows<double>(x, 0, drop, wrong), Error);
  EXPECT_THROW(dropout_rows<double>(x, 0, DropoutSpec{1.0, drop.rng}, copy), Error);
}

TEST(Dropout, ScaleInFloat) {
  Matrix<float> y = Matrix<float>::Ones(50, 40);
  dropout<float>(y, 0.5, CounterRng(3, 1, 0, kStreamAttentionDropout));
  int kept = 0;
  for (Eigen::Index k = 0; k < y.size(); ++k) {
    EXPECT_TRUE(y.data()[k] == 0.0f || y.data()[k] == 2.0f) << y.data()[k];
    kept += y.data()[k] != 0.0f;
  }
  EXPECT_GT(kept, 0);
  EXPECT_LT(kept, 2000);
}

TEST(Dropout, RateZeroIsIdentity) {
  const MatrixD x = random_matrix(10, 7, 82);
  MatrixD y = x;
  dropout<double>(y, 0.0, CounterRng(1, 0, 0, kStreamInputDropout));
  EXPECT_EQ(y, x);
}

TEST(Dropout, SameRngSameMask) {
  const MatrixD x = nonzero_input(30, 20, 83);
  MatrixD a = x, b = x;
  dropout<double>(a, 0.4, CounterRng(5, 2, 1, kStreamInputDropout));
  dropout<double>(b, 0.4, CounterRng(5, 2, 1, kStreamInputDropout));
  EXPECT_EQ(a, b);
}

// Fraction of entries where exactly one of the two outputs was dropped.
double mask_difference(const MatrixD& a, const MatrixD& b) {
  Eigen::Index differ = 0;
  for (Eigen::Index k = 0; k < a.size(); ++k) differ += (a.data()[k] == 0) != (b.data()[k] == 0);
  return static_cast<double>(differ) / static_cast<double>(a.size());
}

TEST(Dropout, DifferentStepLayerOrStreamDifferentMask) {
  // Independent masks at p = 0.4 disagree on 2 · 0.4 · 0.6 = 48% of 2000 entries.
  const MatrixD x = nonzero_input(40, 50, 84);
  const double p = 0.4;
  MatrixD base = x;
  dropout<double>(base, p, CounterRng(5, 2, 1, kStreamInputDropout));
  for (const CounterRng& other : {CounterRng(5, 3, 1, kStreamInputDropout),      // next step
                                  CounterRng(5, 2, 2, kStreamInputDropout),      // next layer
                                  CounterRng(5, 2, 1, kStreamAttentionDropout),  // other use
                                  CounterRng(6, 2, 1, kStreamInputDropout)}) {   // other seed
    MatrixD y = x;
    dropout<double>(y, p, other);
    EXPECT_NEAR(mask_difference(base, y), 0.48, 0.06);
  }
}

TEST(Dropout, GradientUsesTheForwardMask) {
  // y = dropout(x) is linear, so dL/dx = dropout(dL/dy) with the same rng: the gradient is
  // zero exactly where the forward dropped, and scaled by 1 / (1 - p) elsewhere.
  const double p = 0.25;
  const CounterRng rng(9, 4, 0, kStreamAttentionDropout);
  MatrixD y = nonzero_input(20, 30, 85);
  dropout<double>(y, p, rng);
  const MatrixD grad_y = nonzero_input(20, 30, 86);
  MatrixD grad_x = grad_y;
  dropout<double>(grad_x, p, rng);
  for (Eigen::Index k = 0; k < y.size(); ++k) {
    if (y.data()[k] == 0) {
      EXPECT_EQ(grad_x.data()[k], 0.0) << "entry " << k;
    } else {
      EXPECT_NEAR(grad_x.data()[k], grad_y.data()[k] / 0.75, 1e-14) << "entry " << k;
    }
  }
}

TEST(Dropout, FlatArrayMatchesRowMajorMatrix) {
  // Entry (r, c) of a matrix and entry r·cols + c of a flat array share one decision.
  const MatrixD x = nonzero_input(12, 9, 87);
  const CounterRng rng(2, 0, 0, kStreamInputDropout);
  MatrixD m = x;
  dropout<double>(m, 0.5, rng);
  std::vector<double> flat(x.data(), x.data() + x.size());
  dropout<double>(flat, 0.5, rng);
  for (Eigen::Index k = 0; k < x.size(); ++k) EXPECT_EQ(flat[k], m.data()[k]) << "entry " << k;
}

TEST(Dropout, FlatArrayRateZeroAndEmpty) {
  std::vector<float> v = {1, 2, 3};
  dropout<float>(v, 0.0, CounterRng(1, 0, 0, kStreamInputDropout));
  EXPECT_EQ(v, (std::vector<float>{1, 2, 3}));
  std::vector<float> empty;
  dropout<float>(empty, 0.5, CounterRng(1, 0, 0, kStreamInputDropout));
  EXPECT_TRUE(empty.empty());
}

TEST(Dropout, BlockIsIndexedByItsOwnShape) {
  // On a (4, 3) block of a (4, 8) matrix, entry (r, c) uses index r·3 + c, exactly as a (4, 3)
  // matrix would, and the columns outside the block are untouched.
  const MatrixD wide = nonzero_input(4, 8, 88);
  MatrixD in_place = wide;
  const CounterRng rng(4, 0, 0, kStreamInputDropout);
  dropout<double>(in_place.middleCols(2, 3), 0.5, rng);
  MatrixD compact = wide.middleCols(2, 3);
  dropout<double>(compact, 0.5, rng);
  EXPECT_EQ(MatrixD(in_place.middleCols(2, 3)), compact);
  EXPECT_EQ(MatrixD(in_place.leftCols(2)), MatrixD(wide.leftCols(2)));
  EXPECT_EQ(MatrixD(in_place.rightCols(3)), MatrixD(wide.rightCols(3)));
}

}  // namespace
}  // namespace gat::ops

namespace gat::ops {
namespace {

// DropoutSpec::rows: a block holding rows {7, 2, 5} of a whole (10, 3) matrix, in that order,
// gets exactly the whole's mask on them, by dropout(), dropout_rows() and on a flat array.
TEST(DropoutRowsMap, ABlockGetsTheWholesMaskOnItsRows) {
  const CounterRng rng(4, 1, 0, kStreamInputDropout);
  const MatrixD whole_in = random_matrix(10, 3, 5, 0.5, 2.0);
  MatrixD whole = whole_in;
  dropout<double>(whole, 0.5, rng);
  const std::vector<std::int64_t> rows = {7, 2, 5};
  MatrixD block(3, 3);
  for (int r = 0; r < 3; ++r) block.row(r) = whole_in.row(rows[r]);
  MatrixD dropped = block;
  dropout<double>(dropped, DropoutSpec{0.5, rng, rows});
  MatrixD by_rows(3, 3);
  dropout_rows<double>(block, 0, DropoutSpec{0.5, rng, rows}, by_rows);
  for (int r = 0; r < 3; ++r) {
    EXPECT_EQ(dropped.row(r), whole.row(rows[r])) << "row " << rows[r];
    EXPECT_EQ(by_rows.row(r), whole.row(rows[r])) << "row " << rows[r];
  }
  // A flat array: entry k is row k of one column.
  std::vector<double> flat(whole_in.data(), whole_in.data() + whole_in.size());
  std::vector<double> all = flat;
  dropout<double>(all, 0.5, rng);
  std::vector<double> some = {flat[29], flat[0], flat[13]};
  const std::vector<std::int64_t> at = {29, 0, 13};
  dropout<double>(some, DropoutSpec{0.5, rng, at});
  EXPECT_EQ(some, (std::vector<double>{all[29], all[0], all[13]}));
  // Runs of consecutive positions (one span each) and single ones mixed.
  std::vector<double> runs = {flat[12], flat[13], flat[14], flat[3], flat[4], flat[20]};
  const std::vector<std::int64_t> run_at = {12, 13, 14, 3, 4, 20};
  dropout<double>(runs, DropoutSpec{0.5, rng, run_at});
  EXPECT_EQ(runs, (std::vector<double>{all[12], all[13], all[14], all[3], all[4], all[20]}));
  // Too few positions is an error, not a read past the span.
  MatrixD four(4, 3);
  EXPECT_THROW(dropout<double>(four, DropoutSpec{0.5, rng, rows}), Error);
}

}  // namespace
}  // namespace gat::ops

namespace gat::ops {
namespace {

// DropoutSpec::mask: decisions drawn once by dropout_mask and read back give exactly the values
// the generator gives, for widths that fill whole bytes and widths that do not, for a whole
// matrix, a block of its rows and rows taken from a larger whole.
TEST(DropoutMask, ReadBackGivesTheDrawnValues) {
  const CounterRng rng(6, 3, 1, kStreamInputDropout);
  for (const Eigen::Index cols : {1, 7, 8, 13, 64}) {
    const MatrixD x = random_matrix(37, cols, 90, 0.5, 2.0);
    MatrixD drawn = x;
    dropout<double>(drawn, 0.4, rng);
    DropoutMask mask;
    dropout_mask(37, cols, DropoutSpec{0.4, rng}, mask);
    EXPECT_EQ(mask.size(), static_cast<std::size_t>(37 * ((cols + 7) / 8)));
    const DropoutSpec read{0.4, rng, {}, mask};
    MatrixD from_bits = x;
    dropout<double>(from_bits, read);
    EXPECT_TRUE(from_bits == drawn) << cols << " columns";
    MatrixD block(10, cols);
    dropout_rows<double>(x.middleRows(20, 10), 20, read, block);
    EXPECT_TRUE(block == drawn.middleRows(20, 10)) << cols << " columns, rows 20..29";
    // Float, where the kernels that read masks run.
    Matrix<float> xf = x.cast<float>(), drawn_f = xf;
    dropout<float>(drawn_f, 0.4, rng);
    dropout<float>(xf, read);
    EXPECT_TRUE(xf == drawn_f) << cols << " columns, float";
  }
  // Rows {7, 2, 5} of a whole: the mask of the block holds the whole's decisions on them.
  const std::vector<std::int64_t> rows = {7, 2, 5};
  const MatrixD whole_in = random_matrix(10, 11, 91, 0.5, 2.0);
  MatrixD whole = whole_in;
  dropout<double>(whole, 0.5, rng);
  MatrixD block(3, 11);
  for (int r = 0; r < 3; ++r) block.row(r) = whole_in.row(rows[r]);
  DropoutMask mask;
  dropout_mask(3, 11, DropoutSpec{0.5, rng, rows}, mask);
  dropout<double>(block, DropoutSpec{0.5, rng, rows, mask});
  for (int r = 0; r < 3; ++r) EXPECT_EQ(block.row(r), whole.row(rows[r])) << "row " << rows[r];
}

TEST(DropoutMask, RateZeroShortMasksAndFlatArrays) {
  const CounterRng rng(6, 3, 1, kStreamInputDropout);
  DropoutMask mask(5, 0xff);
  dropout_mask(4, 9, DropoutSpec{0.0, rng}, mask);
  EXPECT_TRUE(mask.empty()) << "rate 0 drops nothing: no mask";
  EXPECT_THROW(dropout_mask(4, 9, DropoutSpec{1.0, rng}, mask), Error);
  const std::vector<std::int64_t> rows = {1, 2};
  EXPECT_THROW(dropout_mask(4, 9, DropoutSpec{0.5, rng, rows}, mask), Error);
  dropout_mask(4, 9, DropoutSpec{0.5, rng}, mask);  // 2 bytes per row
  MatrixD five(5, 9);
  EXPECT_THROW(dropout<double>(five, DropoutSpec{0.5, rng, {}, mask}), Error);
  MatrixD out(2, 9);
  EXPECT_THROW(dropout_rows<double>(five.middleRows(3, 2), 3, DropoutSpec{0.5, rng, {}, mask}, out),
               Error);
  std::vector<double> flat(8, 1.0);
  EXPECT_THROW(dropout<double>(flat, DropoutSpec{0.5, rng, {}, mask}), Error);
}

}  // namespace
}  // namespace gat::ops
