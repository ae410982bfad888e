// The in-memory dataset types (gat/data/dataset.hpp, gat/data/graph_dataset.hpp), filled by hand
// as a user without files would: their sizes come from the members they summarise.

#include "gat/data/dataset.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "gat/core/error.hpp"
#include "gat/core/sparse_matrix.hpp"
#include "gat/data/graph_dataset.hpp"
#include "gat/graph/build.hpp"
#include "gat/graph/order.hpp"
#include "gat/layers/gat_model.hpp"
#include "support/graphs.hpp"

namespace gat {
namespace {

TEST(Dataset, EmptyByDefault) {
  const Dataset d;
  EXPECT_EQ(d.num_nodes(), 0);
  EXPECT_EQ(d.num_classes(), 0);
  EXPECT_EQ(d.num_features(), 0);
}

// Four nodes on a path 0 - 1 - 2 - 3 (both directions), three features, two classes.
Dataset path_dataset() {
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
  return d;
}

TEST(Dataset, SizesFollowTheMembers) {
  const Dataset d = path_dataset();
  EXPECT_EQ(d.num_nodes(), 4);
  EXPECT_EQ(d.graph.num_edges(), 6);
  EXPECT_EQ(d.num_classes(), 2);
  EXPECT_EQ(d.num_features(), 3);
  EXPECT_EQ(d.features.nnz(), 5);
}

// Node order[k] becomes node k: its edges, feature row, label and name move with it, and the
// split names the same nodes by their new ids, ascending.
TEST(ReorderNodes, EverythingMovesWithItsNode) {
  const Dataset d = path_dataset();
  const std::vector<NodeId> order{2, 0, 3, 1};  // new id k holds old node order[k]
  const Dataset r = reorder_nodes(d, order);
  EXPECT_EQ(r.name, "path");
  EXPECT_EQ(r.node_names, (std::vector<std::string>{"n2", "n0", "n3", "n1"}));
  EXPECT_EQ(r.labels, (std::vector<std::int32_t>{1, 0, 0, 1}));
  EXPECT_EQ(r.class_names, d.class_names);
  EXPECT_EQ(r.train, (std::vector<NodeId>{1}));    // old 0
  EXPECT_EQ(r.val, (std::vector<NodeId>{3}));      // old 1
  EXPECT_EQ(r.test, (std::vector<NodeId>{0, 2}));  // old 2, 3
  const Matrix<float> before = to_dense(d.features), after = to_dense(r.features);
  for (NodeId k = 0; k < 4; ++k) EXPECT_EQ(after.row(k), before.row(order[k])) << k;
  // The path 0-1-2-3 is now 1-3-0-2.
  EXPECT_EQ(r.graph.num_edges(), 6);
  EXPECT_EQ(r.graph.row_ptr(), (std::vector<EdgeId>{0, 2, 3, 4, 6}));
  EXPECT_EQ(r.graph.src(), (std::vector<NodeId>{2, 3, 3, 0, 0, 1}));
}

TEST(ReorderNodes, DenseFeaturesAndNoNames) {
  Dataset d = path_dataset();
  d.dense_features = to_dense(d.features);
  d.features = SparseMatrix<float>();
  d.node_names.clear();
  const std::vector<NodeId> order{3, 2, 1, 0};
  const Dataset r = reorder_nodes(d, order);
  EXPECT_TRUE(r.node_names.empty());
  ASSERT_TRUE(r.has_dense_features());
  for (NodeId k = 0; k < 4; ++k) EXPECT_EQ(r.dense_features.row(k), d.dense_features.row(order[k]));
}

TEST(ReorderNodes, RefusesMismatchedRowsAndOrders) {
  Dataset d = path_dataset();
  const auto message = [](const Dataset& data, std::vector<NodeId> order) {
    try {
      reorder_nodes(data, order);
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_THAT(message(d, {0, 1, 2}),
              ::testing::HasSubstr("reorder_nodes: 3 entries in the order for a dataset of 4"));
  EXPECT_THAT(message(d, {0, 1, 1, 2}), ::testing::HasSubstr("node 1 appears twice"));
  d.labels.pop_back();
  EXPECT_THAT(message(d, {0, 1, 2, 3}),
              ::testing::HasSubstr("reorder_nodes: labels has 3 rows for 4 nodes"));
  d = path_dataset();
  d.test.push_back(7);
  EXPECT_THAT(message(d, {0, 1, 2, 3}),
              ::testing::HasSubstr("reorder_nodes: split node 7 is outside the node ids [0, 4)"));
  d = path_dataset();
  d.features.row_ptr.pop_back();  // offsets that would run past the entries
  EXPECT_NE(message(d, {0, 1, 2, 3}), "no error");
}

// A GAT is equivariant under renumbering: without dropout, the reordered dataset's outputs are
// the original's rows in the new order (each neighbourhood's sums in another order: equal to
// rounding).
TEST(ReorderNodes, ModelOutputsFollowTheNodes) {
  Dataset d;
  d.graph = test::big_random_graph(6);
  const NodeId n = d.graph.num_nodes();
  Matrix<float> x(n, 5);
  for (NodeId i = 0; i < n; ++i) {
    for (int c = 0; c < 5; ++c) x(i, c) = ((i * 7 + c * 3) % 5 == 0) ? float(1 + (i + c) % 3) : 0;
  }
  d.features = from_dense(x);
  GatModelOptions o;
  o.in_features = 5;
  o.num_classes = 3;
  o.out_heads = 2;
  const GatModel<float> model(o, 3);
  const auto run = [&](const Dataset& data) {
    const CsrGraph g = model.prepare_graph(data.graph);
    GatModelCache<float> cache;
    ForwardContext ctx;
    ctx.keep_attention = false;
    return Matrix<float>(model.forward(g, SparseInput<float>(data.features), cache, ctx));
  };
  const std::vector<NodeId> order = rcm_order(d.graph);
  const Matrix<float> before = run(d), after = run(reorder_nodes(d, order));
  ASSERT_EQ(after.rows(), n);
  for (NodeId k = 0; k < n; ++k) {
    for (Eigen::Index c = 0; c < after.cols(); ++c) {
      ASSERT_NEAR(after(k, c), before(order[k], c), 1e-5f * (1 + std::abs(before(order[k], c))))
          << "row " << k << " (node " << order[k] << "), column " << c;
    }
  }
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
