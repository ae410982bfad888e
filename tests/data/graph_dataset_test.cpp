// Transforms of a graph-classification dataset's node features: standardised attributes and
// one-hot degree features.

#include "gat/data/graph_dataset.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "gat/core/error.hpp"
#include "gat/graph/build.hpp"

namespace gat {
namespace {

// Two graphs: a path 0-1-2 (with a self loop on 1) and a star 3-{4,5,6}; two one-hot label
// columns, then two attribute columns (one constant).
GraphDataset small() {
  GraphDataset d;
  d.name = "small";
  d.node_offsets = {0, 3, 7};
  BuildOptions b;
  b.symmetrize = true;
  d.graph = build_csr(7, {0, 1, 1, 3, 3, 3}, {1, 2, 1, 4, 5, 6}, b);
  d.node_features.resize(7, 4);
  for (int i = 0; i < 7; ++i) {
    d.node_features(i, 0) = i % 2 == 0 ? 1.0f : 0.0f;
    d.node_features(i, 1) = i % 2 == 0 ? 0.0f : 1.0f;
    d.node_features(i, 2) = 100.0f + 10.0f * float(i);
    d.node_features(i, 3) = 5.0f;
  }
  d.node_label_values = {0, 1};
  d.labels = {0, 1};
  d.class_names = {"a", "b"};
  return d;
}

TEST(GraphDatasetTransforms, StandardiseTouchesAttributesOnly) {
  GraphDataset d = small();
  const Matrix<float> before = d.node_features;
  ASSERT_EQ(d.num_node_attributes(), 2);
  standardize_node_attributes(d);
  EXPECT_TRUE(d.node_features.leftCols(2) == before.leftCols(2));  // the one-hot labels
  double mean = 0, sq = 0;
  for (int i = 0; i < 7; ++i) mean += d.node_features(i, 2);
  mean /= 7;
  for (int i = 0; i < 7; ++i) sq += (d.node_features(i, 2) - mean) * (d.node_features(i, 2) - mean);
  EXPECT_NEAR(mean, 0.0, 1e-6);
  EXPECT_NEAR(std::sqrt(sq / 7), 1.0, 1e-6);
  EXPECT_FLOAT_EQ(d.node_features(0, 2), float(-30.0 / std::sqrt(400.0)));  // (100 - 130) / 20
  for (int i = 0; i < 7; ++i) EXPECT_EQ(d.node_features(i, 3), 0.0f) << "a constant column";
}

TEST(GraphDatasetTransforms, DegreeOneHotCappedWithoutSelfLoops) {
  GraphDataset d = small();
  add_degree_features(d, 2);
  ASSERT_EQ(d.num_features(), 4 + 3);
  // Neighbour counts: 0:1, 1:2 (its self loop not counted), 2:1, 3:3 → capped 2, 4..6:1.
  const std::vector<int> expected{1, 2, 1, 2, 1, 1, 1};
  for (int i = 0; i < 7; ++i) {
    for (int c = 0; c < 3; ++c) {
      EXPECT_EQ(d.node_features(i, 4 + c), c == expected[static_cast<std::size_t>(i)] ? 1.0f : 0.0f)
          << "node " << i << " column " << c;
    }
  }
  EXPECT_THROW(add_degree_features(d, 0), Error);
}

}  // namespace
}  // namespace gat
