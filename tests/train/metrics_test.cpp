// predict and accuracy (gat/train/metrics.hpp): arg-max per row with ties to the lowest class,
// accuracy over a subset of nodes, 0 for an empty subset; float and double alike.

#include "gat/train/metrics.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <vector>

#include "gat/core/types.hpp"

namespace gat {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

template <typename T>
class Metrics : public ::testing::Test {};
using Scalars = ::testing::Types<float, double>;
TYPED_TEST_SUITE(Metrics, Scalars);

// Five nodes, three classes:
//   row 0: clear winner class 2
//   row 1: clear winner class 0 (negative logits)
//   row 2: classes 1 and 2 tie for the maximum → 1
//   row 3: all three equal → 0
//   row 4: -inf everywhere but class 1
template <typename T>
Matrix<T> five_rows() {
  const T inf = std::numeric_limits<T>::infinity();
  Matrix<T> m(5, 3);
  m << T(0.1), T(0.2), T(0.7),  //
      T(-1), T(-3), T(-2),      //
      T(0), T(5), T(5),         //
      T(4), T(4), T(4),         //
      -inf, T(-1e30), -inf;
  return m;
}

TYPED_TEST(Metrics, PredictIsArgMaxWithTiesToLowestClass) {
  const Matrix<TypeParam> m = five_rows<TypeParam>();
  EXPECT_THAT(predict<TypeParam>(m), ElementsAre(2, 0, 1, 0, 1));
}

TYPED_TEST(Metrics, PredictEdgeShapes) {
  EXPECT_THAT(predict<TypeParam>(Matrix<TypeParam>(0, 4)), IsEmpty());
  // One class: every node predicts it, whatever the logit.
  Matrix<TypeParam> one(3, 1);
  one << TypeParam(-2), TypeParam(0), TypeParam(9);
  EXPECT_THAT(predict<TypeParam>(one), ElementsAre(0, 0, 0));
  // All rows -inf: a tie, so class 0.
  const Matrix<TypeParam> neg =
      Matrix<TypeParam>::Constant(2, 3, -std::numeric_limits<TypeParam>::infinity());
  EXPECT_THAT(predict<TypeParam>(neg), ElementsAre(0, 0));
}

TYPED_TEST(Metrics, AccuracyOverTheGivenNodesOnly) {
  const Matrix<TypeParam> m = five_rows<TypeParam>();
  // Predictions 2 0 1 0 1.
  const std::vector<std::int32_t> labels = {2, 1, 1, 0, 2};
  EXPECT_DOUBLE_EQ(accuracy<TypeParam>(m, labels, {0, 1, 2, 3, 4}), 3.0 / 5.0);
  EXPECT_DOUBLE_EQ(accuracy<TypeParam>(m, labels, {0, 2, 3}), 1.0);
  EXPECT_DOUBLE_EQ(accuracy<TypeParam>(m, labels, {1, 4}), 0.0);
  EXPECT_DOUBLE_EQ(accuracy<TypeParam>(m, labels, {4, 3}), 0.5);  // order does not matter
  // Labels of nodes outside the subset are never read.
  std::vector<std::int32_t> other = labels;
  other[1] = 2;
  other[4] = 0;
  EXPECT_DOUBLE_EQ(accuracy<TypeParam>(m, other, {0, 2, 3}), 1.0);
}

TYPED_TEST(Metrics, AccuracyOfNoNodesIsZero) {
  const Matrix<TypeParam> m = five_rows<TypeParam>();
  EXPECT_EQ(accuracy<TypeParam>(m, {2, 0, 1, 0, 1}, {}), 0.0);
  EXPECT_EQ(accuracy<TypeParam>(Matrix<TypeParam>(0, 3), {}, {}), 0.0);
}

TYPED_TEST(Metrics, AccuracyAgreesWithPredict) {
  // A larger pseudo-random case: accuracy counts exactly the nodes where predict hits the label.
  const int n = 97;
  const int c = 4;
  Matrix<TypeParam> m(n, c);
  std::vector<std::int32_t> labels(n);
  for (int i = 0; i < n; ++i) {
    for (int k = 0; k < c; ++k) m(i, k) = TypeParam((i * 37 + k * 11) % 13);
    labels[i] = (i * 5) % c;
  }
  const auto predicted = predict<TypeParam>(m);
  std::vector<std::int32_t> nodes;
  int hits = 0;
  for (int i = 0; i < n; i += 2) {
    nodes.push_back(i);
    hits += predicted[i] == labels[i];
  }
  EXPECT_DOUBLE_EQ(accuracy<TypeParam>(m, labels, nodes), double(hits) / double(nodes.size()));
}

}  // namespace
}  // namespace gat
