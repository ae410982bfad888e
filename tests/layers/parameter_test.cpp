// Parameter, glorot_uniform and zero_grad (gat/layers/parameter.hpp): shapes and zero
// initialisation, Glorot bounds and spread, reproducibility keyed by (seed, layer, ordinal).

#include "gat/layers/parameter.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <vector>

#include "gat/core/threads.hpp"
#include "gat/core/types.hpp"

namespace gat {
namespace {

template <typename T>
class ParameterTest : public ::testing::Test {};
using Scalars = ::testing::Types<float, double>;
TYPED_TEST_SUITE(ParameterTest, Scalars);

TYPED_TEST(ParameterTest, ConstructedZeroWithMatchingShapes) {
  const Parameter<TypeParam> p("layers.0.weight", 3, 5);
  EXPECT_EQ(p.name, "layers.0.weight");
  EXPECT_EQ(p.value.rows(), 3);
  EXPECT_EQ(p.value.cols(), 5);
  EXPECT_EQ(p.grad.rows(), 3);
  EXPECT_EQ(p.grad.cols(), 5);
  EXPECT_TRUE(p.value.isZero(0));
  EXPECT_TRUE(p.grad.isZero(0));

  const Parameter<TypeParam> empty;
  EXPECT_TRUE(empty.name.empty());
  EXPECT_EQ(empty.value.size(), 0);
  EXPECT_EQ(empty.grad.size(), 0);
}

TYPED_TEST(ParameterTest, GlorotStaysInsideTheBoundAndFillsIt) {
  const double fan_in = 40;
  const double fan_out = 24;
  const double bound = std::sqrt(6.0 / (fan_in + fan_out));
  Parameter<TypeParam> p("w", 40, 24);
  glorot_uniform(p, fan_in, fan_out, /*seed=*/3, /*layer=*/1, /*ordinal=*/0);
  double sum = 0;
  double sum_sq = 0;
  for (Eigen::Index k = 0; k < p.value.size(); ++k) {
    const double v = p.value.data()[k];
    ASSERT_LE(std::abs(v), bound * (1 + 1e-6)) << "entry " << k;
    sum += v;
    sum_sq += v * v;
  }
  const double n = double(p.value.size());
  // U(-b, b): mean 0, variance b²/3. With 960 draws the sample mean is within 4 standard errors
  // (b/√3/√960 ≈ 0.0057) and the variance within 15 %.
  EXPECT_NEAR(sum / n, 0.0, 4 * bound / std::sqrt(3.0 * n));
  EXPECT_NEAR(sum_sq / n, bound * bound / 3, 0.15 * bound * bound / 3);
  // Not degenerate: some entries near each end of the range.
  EXPECT_GT(p.value.maxCoeff(), TypeParam(0.9 * bound));
  EXPECT_LT(p.value.minCoeff(), TypeParam(-0.9 * bound));
  // The gradient is left alone.
  EXPECT_TRUE(p.grad.isZero(0));
}

TYPED_TEST(ParameterTest, GlorotIsKeyedBySeedLayerAndOrdinal) {
  auto draw = [](std::uint64_t seed, std::uint64_t layer, std::uint64_t ordinal) {
    Parameter<TypeParam> p("w", 6, 7);
    glorot_uniform(p, 6, 7, seed, layer, ordinal);
    return p.value;
  };
  const Matrix<TypeParam> a = draw(11, 2, 1);
  EXPECT_TRUE(a == draw(11, 2, 1));  // bit for bit
  EXPECT_FALSE(a == draw(12, 2, 1));
  EXPECT_FALSE(a == draw(11, 3, 1));
  EXPECT_FALSE(a == draw(11, 2, 2));
  // Independent of the thread count.
  const int saved = num_threads();
  set_num_threads(1);
  const Matrix<TypeParam> one = draw(11, 2, 1);
  set_num_threads(2);
  const Matrix<TypeParam> two = draw(11, 2, 1);
  set_num_threads(saved);
  EXPECT_TRUE(one == a && two == a);
  // Entry (r, c) depends on its index r·cols + c only, not on the matrix's other dimensions:
  // a 6×7 parameter is the first 42 draws of a 1×42 one with the same key.
  Parameter<TypeParam> flat("w", 1, 42);
  glorot_uniform(flat, 6, 7, 11, 2, 1);
  EXPECT_TRUE(Eigen::Map<const Matrix<TypeParam>>(flat.value.data(), 6, 7) == a);
}

TEST(Parameter, GlorotFloatIsTheRoundedDouble) {
  Parameter<float> f("w", 5, 4);
  Parameter<double> d("w", 5, 4);
  glorot_uniform(f, 5, 4, 7, 0, 3);
  glorot_uniform(d, 5, 4, 7, 0, 3);
  EXPECT_TRUE(f.value == d.value.cast<float>());
}

TEST(Parameter, GlorotOnAnEmptyParameterDoesNothing) {
  Parameter<float> p("empty", 0, 3);
  glorot_uniform(p, 1, 1, 0, 0, 0);
  EXPECT_EQ(p.value.rows(), 0);
  EXPECT_EQ(p.value.cols(), 3);
}

TYPED_TEST(ParameterTest, ZeroGradClearsEveryGradientAndNoValue) {
  Parameter<TypeParam> a("a", 2, 3);
  Parameter<TypeParam> b("b", 4, 1);
  Parameter<TypeParam> untouched("c", 2, 2);
  a.value.setConstant(TypeParam(1.5));
  a.grad.setConstant(TypeParam(-2));
  b.value.setConstant(TypeParam(3));
  b.grad.setConstant(TypeParam(7));
  untouched.grad.setConstant(TypeParam(9));
  zero_grad<TypeParam>({&a, &b});
  EXPECT_TRUE(a.grad.isZero(0));
  EXPECT_TRUE(b.grad.isZero(0));
  EXPECT_EQ(a.grad.rows(), 2);  // shapes kept
  EXPECT_EQ(b.grad.rows(), 4);
  EXPECT_TRUE((a.value.array() == TypeParam(1.5)).all());
  EXPECT_TRUE((b.value.array() == TypeParam(3)).all());
  EXPECT_TRUE((untouched.grad.array() == TypeParam(9)).all());
  zero_grad<TypeParam>({});  // an empty list is fine
}

}  // namespace
}  // namespace gat
