#include "gat/core/sparse_matrix.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <limits>
#include <string>

#include "gat/core/error.hpp"

namespace gat {
namespace {

using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

// The matrix of most tests here (3 × 4, five non-zeros; entry k in CSR order in brackets):
//
//          c0     c1     c2     c3
//   r0 [ 1 (0)   .      2 (1)  .    ]
//   r1 [ .       .      .      .    ]    an empty row
//   r2 [ 5 (2)   3 (3)  .      4 (4)]
SparseMatrix<float> small_matrix() {
  SparseMatrix<float> m;
  m.rows = 3;
  m.cols = 4;
  m.row_ptr = {0, 2, 2, 5};
  m.col = {0, 2, 0, 1, 3};
  m.val = {1, 2, 5, 3, 4};
  return m;
}

// The message of the gat::Error validate(m) throws; fails the test when nothing is thrown.
std::string validation_error(const SparseMatrix<float>& m) {
  try {
    validate(m);
  } catch (const Error& e) {
    return e.what();
  }
  ADD_FAILURE() << "validate accepted an invalid matrix";
  return "";
}

TEST(SparseMatrix, ValidAccepted) {
  EXPECT_NO_THROW(validate(small_matrix()));
  EXPECT_NO_THROW(validate(SparseMatrix<float>{}));  // 0 × 0
  EXPECT_EQ(small_matrix().nnz(), 5);
}

TEST(SparseMatrixValidation, RowPtrOfWrongSize) {
  SparseMatrix<float> m = small_matrix();
  m.row_ptr = {0, 2, 5};
  EXPECT_THAT(validation_error(m), AllOf(HasSubstr("3 entries"), HasSubstr("rows + 1 = 4")));
}

TEST(SparseMatrixValidation, ColumnsAndValuesMustPair) {
  SparseMatrix<float> m = small_matrix();
  m.val.pop_back();
  EXPECT_THAT(validation_error(m), AllOf(HasSubstr("5 column indices"), HasSubstr("4 values")));
}

TEST(SparseMatrixValidation, RowPtrMustRunFromZeroToNnz) {
  SparseMatrix<float> m = small_matrix();
  m.row_ptr = {1, 2, 2, 5};
  EXPECT_THAT(validation_error(m), HasSubstr("from 0 to nnz = 5"));
  m.row_ptr = {0, 2, 2, 4};
  EXPECT_THAT(validation_error(m), HasSubstr("from 0 to nnz = 5"));
}

TEST(SparseMatrixValidation, RowPtrMustNotDecrease) {
  // Ends at nnz = 2 but row 0 claims four entries: the decrease must be reported before any
  // column of the bogus row 0 is read (entries 2 and 3 do not exist).
  SparseMatrix<float> m;
  m.rows = 2;
  m.cols = 10;
  m.row_ptr = {0, 4, 2};
  m.col = {1, 3};
  m.val = {1, 1};
  EXPECT_THAT(validation_error(m), HasSubstr("row_ptr decreases at row 1"));
}

TEST(SparseMatrixValidation, ColumnOutOfRange) {
  SparseMatrix<float> m = small_matrix();
  m.col[4] = 4;
  EXPECT_THAT(validation_error(m),
              AllOf(HasSubstr("column 4 in row 2"), HasSubstr("outside [0, 4)")));
  m.col = {-1, 2, 0, 1, 3};
  EXPECT_THAT(validation_error(m), HasSubstr("column -1 in row 0"));
}

TEST(SparseMatrixValidation, ColumnsStrictlyAscending) {
  SparseMatrix<float> m = small_matrix();
  m.col = {0, 2, 1, 0, 3};  // row 2 lists 1 before 0
  EXPECT_THAT(validation_error(m), HasSubstr("columns of row 2 must be strictly ascending"));
  m.col = {2, 2, 0, 1, 3};  // a repeated column in row 0
  EXPECT_THAT(validation_error(m), HasSubstr("columns of row 0 must be strictly ascending"));
}

TEST(SparseMatrixValidation, NonFiniteValue) {
  SparseMatrix<float> m = small_matrix();
  m.val[1] = std::numeric_limits<float>::quiet_NaN();
  EXPECT_THAT(validation_error(m), HasSubstr("non-finite value in row 0, column 2"));
  m.val[1] = 2;
  m.val[3] = std::numeric_limits<float>::infinity();
  EXPECT_THAT(validation_error(m), HasSubstr("non-finite value in row 2, column 1"));
}

TEST(SparseMatrixValidation, NegativeShape) {
  SparseMatrix<float> m;
  m.rows = -1;
  EXPECT_THAT(validation_error(m), HasSubstr("negative shape (-1, 0)"));
}

TEST(SparseMatrix, Transpose) {
  const SparseTranspose<float> t = transpose(small_matrix());
  // 4 × 3: row c lists the rows r holding column c, ascending, with the original entry index.
  //   c0: r0 (entry 0, 1), r2 (entry 2, 5)    c1: r2 (entry 3, 3)
  //   c2: r0 (entry 1, 2)                      c3: r2 (entry 4, 4)
  EXPECT_EQ(t.matrix.rows, 4);
  EXPECT_EQ(t.matrix.cols, 3);
  EXPECT_THAT(t.matrix.row_ptr, ElementsAre(0, 2, 3, 4, 5));
  EXPECT_THAT(t.matrix.col, ElementsAre(0, 2, 2, 0, 2));
  EXPECT_THAT(t.matrix.val, ElementsAre(1, 5, 3, 2, 4));
  EXPECT_THAT(t.source_slot, ElementsAre(0, 2, 3, 1, 4));
  EXPECT_NO_THROW(validate(t.matrix));
}

TEST(SparseMatrix, TransposeTwiceIsIdentity) {
  const SparseMatrix<float> m = small_matrix();
  const SparseMatrix<float> back = transpose(transpose(m).matrix).matrix;
  EXPECT_EQ(back.rows, m.rows);
  EXPECT_EQ(back.cols, m.cols);
  EXPECT_EQ(back.row_ptr, m.row_ptr);
  EXPECT_EQ(back.col, m.col);
  EXPECT_EQ(back.val, m.val);
}

TEST(SparseMatrix, TransposeOfEmptyColumnsAndRows) {
  SparseMatrix<float> m;
  m.rows = 2;
  m.cols = 3;
  m.row_ptr = {0, 0, 0};
  const SparseTranspose<float> t = transpose(m);
  EXPECT_EQ(t.matrix.rows, 3);
  EXPECT_THAT(t.matrix.row_ptr, ElementsAre(0, 0, 0, 0));
  EXPECT_TRUE(t.source_slot.empty());
}

TEST(SparseMatrix, RowNormalize) {
  SparseMatrix<double> m = cast<double>(small_matrix());
  row_normalize(m);
  // r0 sums to 3, r2 to 12; the empty row stays empty.
  ASSERT_EQ(m.val.size(), 5u);
  EXPECT_DOUBLE_EQ(m.val[0], 1.0 / 3);
  EXPECT_DOUBLE_EQ(m.val[1], 2.0 / 3);
  EXPECT_DOUBLE_EQ(m.val[2], 5.0 / 12);
  EXPECT_DOUBLE_EQ(m.val[3], 3.0 / 12);
  EXPECT_DOUBLE_EQ(m.val[4], 4.0 / 12);
  EXPECT_EQ(m.row_ptr, small_matrix().row_ptr);
}

TEST(SparseMatrix, RowNormalizeLeavesZeroSumRows) {
  // [1, -1] sums to zero: dividing would give ±inf, so the row is left as it is.
  SparseMatrix<float> m;
  m.rows = 1;
  m.cols = 2;
  m.row_ptr = {0, 2};
  m.col = {0, 1};
  m.val = {1, -1};
  row_normalize(m);
  EXPECT_THAT(m.val, ElementsAre(1, -1));
}

TEST(SparseMatrix, DenseRoundTrip) {
  const Matrix<float> d = to_dense(small_matrix());
  Matrix<float> expected(3, 4);
  expected << 1, 0, 2, 0,  //
      0, 0, 0, 0,          //
      5, 3, 0, 4;
  EXPECT_EQ(d, expected);
  const SparseMatrix<float> s = from_dense(d);
  EXPECT_EQ(s.rows, 3);
  EXPECT_EQ(s.cols, 4);
  EXPECT_EQ(s.row_ptr, small_matrix().row_ptr);
  EXPECT_EQ(s.col, small_matrix().col);
  EXPECT_EQ(s.val, small_matrix().val);
}

TEST(SparseMatrix, FromDenseKeepsTinyNonZeros) {
  Matrix<double> d(1, 3);
  d << 0, 1e-300, -0.0;  // only exact zeros (including -0) are dropped
  const SparseMatrix<double> s = from_dense(d);
  EXPECT_THAT(s.col, ElementsAre(1));
  EXPECT_THAT(s.val, ElementsAre(1e-300));
}

TEST(SparseMatrix, Cast) {
  const SparseMatrix<double> d = cast<double>(small_matrix());
  EXPECT_EQ(d.rows, 3);
  EXPECT_EQ(d.cols, 4);
  EXPECT_EQ(d.row_ptr, small_matrix().row_ptr);
  EXPECT_EQ(d.col, small_matrix().col);
  EXPECT_THAT(d.val, ElementsAre(1.0, 2.0, 5.0, 3.0, 4.0));
}

TEST(SparseInput, HoldsTheMatrix) {
  const SparseInput<float> in(small_matrix());
  EXPECT_EQ(in.matrix.nnz(), 5);
  EXPECT_EQ(in.matrix.col, small_matrix().col);
}

}  // namespace
}  // namespace gat
