#include "gat/data/batch.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "gat/core/error.hpp"
#include "gat/data/graph_dataset.hpp"
#include "gat/graph/build.hpp"
#include "gat/io/tu.hpp"
#include "gat/ops/segment_softmax.hpp"
#include "support/data.hpp"

namespace gat {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// A dataset of four graphs of very different sizes, made in memory (dataset node ids):
//
//   graph 0: node 0 alone                        (a single node, no edges)
//   graph 1: nodes 1..4, 6 edges:               1 ──▶ 2 ↺
//                                                ▲   ↗ │
//                                                │  ╱  ▼
//                                                4 ◀── 3      (1→2, 2→3, 3→4, 4→1, 4→2, 2→2)
//   graph 2: nodes 5, 6, no edges                (a graph with no edges)
//   graph 3: 7 ⇄ 8                               (2 edges)
//
// CSR by destination, sources ascending:
//   row 0: []   row 1: [4]   row 2: [1, 2, 4]   row 3: [2]   row 4: [3]
//   row 5: []   row 6: []    row 7: [8]         row 8: [7]
// row_ptr = 0 0 1 4 5 6 6 6 7 8, src = 4 1 2 4 2 3 8 7.
// Node features: row i = (i, -i). Edge features: row p = (100 + p). Labels: graph g has class g%2.
GraphDataset four_graphs() {
  GraphDataset d;
  d.name = "four";
  d.node_offsets = {0, 1, 5, 7, 9};
  d.graph = build_csr(9, {1, 2, 3, 4, 2, 4, 7, 8}, {2, 3, 4, 1, 2, 2, 8, 7});
  d.node_features.resize(9, 2);
  for (int i = 0; i < 9; ++i) d.node_features.row(i) << static_cast<float>(i), -i;
  d.edge_features.resize(8, 1);
  for (int p = 0; p < 8; ++p) d.edge_features(p, 0) = static_cast<float>(100 + p);
  d.labels = {0, 1, 0, 1};
  d.class_names = {"a", "b"};
  return d;
}

TEST(MakeBatch, FourGraphDatasetIsAsDrawn) {
  const GraphDataset d = four_graphs();
  EXPECT_THAT(d.graph.row_ptr(), ElementsAre(0, 0, 1, 4, 5, 6, 6, 6, 7, 8));
  EXPECT_THAT(d.graph.src(), ElementsAre(4, 1, 2, 4, 2, 3, 8, 7));
}

TEST(MakeBatch, CopiesGraphsInGivenOrder) {
  const GraphDataset d = four_graphs();
  // Graph 3, then the single node, then graph 1, then the edgeless graph 2.
  const GraphBatch b = make_batch(d, {3, 0, 1, 2});

  // Batch nodes: 0-1 ← dataset 7-8; 2 ← 0; 3-6 ← 1-4; 7-8 ← 5-6.
  EXPECT_THAT(b.node_offsets, ElementsAre(0, 2, 3, 7, 9));
  EXPECT_THAT(b.graph_index, ElementsAre(3, 0, 1, 2));
  EXPECT_THAT(b.labels, ElementsAre(1, 0, 1, 0));
  EXPECT_EQ(b.num_graphs(), 4);
  ASSERT_EQ(b.graph.num_nodes(), 9);
  ASSERT_EQ(b.graph.num_edges(), 8);
  // Rows: 0:[1] 1:[0] 2:[] 3:[6] 4:[3,4,6] 5:[4] 6:[5] 7:[] 8:[].
  EXPECT_THAT(b.graph.row_ptr(), ElementsAre(0, 1, 2, 2, 3, 6, 7, 8, 8, 8));
  EXPECT_THAT(b.graph.src(), ElementsAre(1, 0, 6, 3, 4, 6, 4, 5));
  EXPECT_EQ(b.graph.num_self_loops(), 1);

  // Node features follow their node.
  const std::vector<float> expected_node = {7, 8, 0, 1, 2, 3, 4, 5, 6};
  ASSERT_EQ(b.node_features.rows(), 9);
  ASSERT_EQ(b.node_features.cols(), 2);
  for (int i = 0; i < 9; ++i) {
    EXPECT_EQ(b.node_features(i, 0), expected_node[i]) << i;
    EXPECT_EQ(b.node_features(i, 1), -expected_node[i]) << i;
  }
  // Edge features follow their slot: graph 3's slots 6, 7 first, then graph 1's slots 0..5.
  ASSERT_EQ(b.edge_features.cols(), 1);
  std::vector<float> edge(b.edge_features.data(), b.edge_features.data() + 8);
  EXPECT_THAT(edge, ElementsAre(106, 107, 100, 101, 102, 103, 104, 105));
}

TEST(MakeBatch, SingleNodeAndEdgelessGraphsAlone) {
  const GraphDataset d = four_graphs();
  const GraphBatch one = make_batch(d, {0});
  EXPECT_THAT(one.node_offsets, ElementsAre(0, 1));
  EXPECT_EQ(one.graph.num_nodes(), 1);
  EXPECT_EQ(one.graph.num_edges(), 0);
  EXPECT_EQ(one.edge_features.rows(), 0);
  EXPECT_EQ(one.edge_features.cols(), 1);
  EXPECT_EQ(one.node_features(0, 0), 0.0f);

  const GraphBatch two = make_batch(d, {2});
  EXPECT_THAT(two.node_offsets, ElementsAre(0, 2));
  EXPECT_THAT(two.graph.row_ptr(), ElementsAre(0, 0, 0));
  EXPECT_EQ(two.node_features(1, 0), 6.0f);
}

TEST(MakeBatch, RepeatedGraphIsCopiedTwice) {
  const GraphDataset d = four_graphs();
  const GraphBatch b = make_batch(d, {3, 3});
  EXPECT_THAT(b.node_offsets, ElementsAre(0, 2, 4));
  EXPECT_THAT(b.graph.row_ptr(), ElementsAre(0, 1, 2, 3, 4));
  EXPECT_THAT(b.graph.src(), ElementsAre(1, 0, 3, 2));
}

TEST(MakeBatch, AllGraphsInOrderReproduceTheDataset) {
  const GraphDataset d = four_graphs();
  const GraphBatch b = make_batch(d, {0, 1, 2, 3});
  EXPECT_EQ(b.node_offsets, d.node_offsets);
  EXPECT_EQ(b.graph.row_ptr(), d.graph.row_ptr());
  EXPECT_EQ(b.graph.src(), d.graph.src());
  EXPECT_EQ(b.node_features, d.node_features);
  EXPECT_EQ(b.edge_features, d.edge_features);
  EXPECT_EQ(b.labels, d.labels);
}

TEST(MakeBatch, OffsetsFeedSegmentSoftmax) {
  // The readout of a batch: a softmax over each graph's nodes, straight from node_offsets.
  const GraphDataset d = four_graphs();
  const GraphBatch b = make_batch(d, {1, 0});
  Matrix<float> y(b.graph.num_nodes(), 2);
  ops::segment_softmax_forward<float>(b.node_offsets, b.node_features, y);
  EXPECT_FLOAT_EQ(y(4, 0), 1.0f);  // the single-node graph's one node takes all the weight
  EXPECT_NEAR(y.col(0).head(4).sum(), 1.0f, 1e-6f);
}

TEST(MakeBatch, Errors) {
  const GraphDataset d = four_graphs();
  auto message = [&](const std::vector<std::int64_t>& graphs) {
    try {
      make_batch(d, graphs);
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("no error thrown");
  };
  EXPECT_THAT(message({0, 4}), HasSubstr("graph index 4 (entry 1 of the batch) is out of range"));
  EXPECT_THAT(message({-1}), HasSubstr("graph index -1"));
  EXPECT_THAT(message({}), HasSubstr("no graphs given"));
}

// On real data: every batch graph equals its dataset graph with node ids shifted.
TEST(MakeBatch, RealMutagBatchMatchesDataset) {
  GAT_REQUIRE_REAL_DATA(root);
  const GraphDataset d = load_tu(root + "/MUTAG", "MUTAG");
  const std::vector<std::int64_t> graphs = {187, 0, 93, 5, 5, 120};
  const GraphBatch b = make_batch(d, graphs);
  ASSERT_EQ(b.num_graphs(), 6);
  for (std::size_t k = 0; k < graphs.size(); ++k) {
    const std::int64_t g = graphs[k];
    const EdgeId first = d.node_offsets[g];
    const EdgeId bfirst = b.node_offsets[k];
    ASSERT_EQ(b.node_offsets[k + 1] - bfirst, d.node_offsets[g + 1] - first);
    EXPECT_EQ(b.labels[k], d.labels[g]);
    for (EdgeId i = 0; i < d.node_offsets[g + 1] - first; ++i) {
      const auto di = static_cast<NodeId>(first + i);
      const auto bi = static_cast<NodeId>(bfirst + i);
      ASSERT_EQ(b.node_features.row(bi), d.node_features.row(di));
      ASSERT_EQ(b.graph.in_degree(bi), d.graph.in_degree(di));
      for (EdgeId s = 0; s < d.graph.in_degree(di); ++s) {
        const EdgeId dp = d.graph.row_ptr()[di] + s;
        const EdgeId bp = b.graph.row_ptr()[bi] + s;
        ASSERT_EQ(b.graph.src()[bp] - bfirst, d.graph.src()[dp] - first);
        ASSERT_EQ(b.edge_features.row(bp), d.edge_features.row(dp));
      }
    }
  }
}

}  // namespace
}  // namespace gat
