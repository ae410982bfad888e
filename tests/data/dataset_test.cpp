// The in-memory dataset types (gat/data/dataset.hpp, gat/data/graph_dataset.hpp), filled by hand
// as a user without files would: their sizes come from the members they summarise.

#include "gat/data/dataset.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "gat/core/sparse_matrix.hpp"
#include "gat/data/graph_dataset.hpp"
#include "gat/graph/build.hpp"

namespace gat {
namespace {

TEST(Dataset, EmptyByDefault) {
  const Dataset d;
  EXPECT_EQ(d.num_nodes(), 0);
  EXPECT_EQ(d.num_classes(), 0);
  EXPECT_EQ(d.num_features(), 0);
}

// Four nodes on a path 0 - 1 - 2 - 3 (both directions), three features, two classes.
TEST(Dataset, SizesFollowTheMembers) {
  Dataset d;
  d.name = "path";
  d.graph = build_csr(4, {0, 1, 1, 2, 2, 3}, {1, 0, 2, 1, 3, 2});
  Matrix<float> x(4, 3);
  x << 1, 0, 0,  //
      0, 1, 0,   //
      0, 0, 1,   //
      1, 1, 0;
  d.features = from_dense(x);
  d.labels = {0, 1, 1, 0};
  d.class_names = {"a", "b"};
  d.node_names = {"n0", "n1", "n2", "n3"};
  d.train = {0};
  d.val = {1};
  d.test = {2, 3};
  EXPECT_EQ(d.num_nodes(), 4);
  EXPECT_EQ(d.graph.num_edges(), 6);
  EXPECT_EQ(d.num_classes(), 2);
  EXPECT_EQ(d.num_features(), 3);
  EXPECT_EQ(d.features.nnz(), 5);
}

TEST(GraphDataset, EmptyByDefault) {
  const GraphDataset d;
  EXPECT_EQ(d.node_offsets, std::vector<EdgeId>{0});  // G + 1 offsets for G = 0
  EXPECT_EQ(d.num_graphs(), 0);
  EXPECT_EQ(d.num_classes(), 0);
  EXPECT_EQ(d.num_nodes(), 0);
  EXPECT_EQ(d.num_edges(), 0);
  EXPECT_EQ(d.num_features(), 0);
  EXPECT_EQ(d.edge_feature_size(), 0);
}

// Three graphs: nodes {0, 1, 2} (a triangle's edges into node 2), {3} alone, {4, 5} (4 ⇄ 5).
TEST(GraphDataset, SizesFollowTheMembers) {
  GraphDataset d;
  d.name = "three";
  d.node_offsets = {0, 3, 4, 6};
  d.graph = build_csr(6, {0, 1, 4, 5}, {2, 2, 5, 4});
  d.node_features = Matrix<float>::Ones(6, 2);
  d.edge_features = Matrix<float>::Zero(4, 5);
  d.labels = {1, 0, 1};
  d.class_names = {"-1", "1"};
  EXPECT_EQ(d.num_graphs(), 3);
  EXPECT_EQ(d.num_classes(), 2);
  EXPECT_EQ(d.num_nodes(), 6);
  EXPECT_EQ(d.num_edges(), 4);
  EXPECT_EQ(d.num_features(), 2);
  EXPECT_EQ(d.edge_feature_size(), 5);
  EXPECT_EQ(d.graph_size(0), 3);
  EXPECT_EQ(d.graph_size(1), 1);
  EXPECT_EQ(d.graph_size(2), 2);
  // Without edge data, D = 0 even though there are edges.
  d.edge_features = Matrix<float>(4, 0);
  EXPECT_EQ(d.edge_feature_size(), 0);
}

}  // namespace
}  // namespace gat
