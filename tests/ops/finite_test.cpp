#include "gat/ops/finite.hpp"

#include <gtest/gtest.h>

#include <limits>
#include <utility>

#include "gat/core/threads.hpp"

namespace gat::ops {
namespace {

TEST(AllFinite, FindsOneBadEntryAnywhereAtAnyThreadCount) {
  const int saved = num_threads();
  for (const int threads : {1, 2}) {
    set_num_threads(threads);
    Matrix<float> m = Matrix<float>::Constant(1000, 7, 3.5f);
    m(0, 0) = std::numeric_limits<float>::max();  // large is still finite
    m(1, 1) = -std::numeric_limits<float>::denorm_min();
    EXPECT_TRUE(all_finite<float>(m));
    for (const float bad :
         {std::numeric_limits<float>::quiet_NaN(), std::numeric_limits<float>::infinity(),
          -std::numeric_limits<float>::infinity()}) {
      for (const auto& [r, c] : {std::pair{0, 0}, std::pair{999, 6}, std::pair{517, 3}}) {
        Matrix<float> b = m;
        b(r, c) = bad;
        EXPECT_FALSE(all_finite<float>(b)) << bad << " at (" << r << ", " << c << ")";
      }
    }
  }
  set_num_threads(saved);
  Matrix<double> d = Matrix<double>::Zero(3, 2);
  EXPECT_TRUE(all_finite<double>(d));
  d(2, 1) = std::numeric_limits<double>::quiet_NaN();
  EXPECT_FALSE(all_finite<double>(d));
  EXPECT_TRUE(all_finite<double>(Matrix<double>(0, 4))) << "nothing is not non-finite";
  // A block of a wider matrix: only its own columns count.
  Matrix<double> wide = Matrix<double>::Zero(4, 6);
  wide(2, 5) = std::numeric_limits<double>::infinity();
  EXPECT_TRUE(all_finite<double>(wide.leftCols(5)));
  EXPECT_FALSE(all_finite<double>(wide));
}

}  // namespace
}  // namespace gat::ops
