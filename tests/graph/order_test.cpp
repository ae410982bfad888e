// Node orders (gat/graph/order.hpp): reverse Cuthill–McKee and renumbering a graph.

#include "gat/graph/order.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <numeric>
#include <string>
#include <utility>
#include <vector>

#include "gat/core/error.hpp"
#include "gat/core/random.hpp"
#include "gat/core/threads.hpp"
#include "gat/graph/build.hpp"
#include "support/graphs.hpp"

namespace gat {
namespace {

using ::testing::HasSubstr;

// The edges of a graph as (source, destination) → multiplicity.
std::map<std::pair<NodeId, NodeId>, int> edge_counts(const CsrGraph& g) {
  std::map<std::pair<NodeId, NodeId>, int> out;
  for (NodeId i = 0; i < g.num_nodes(); ++i) {
    for (EdgeId p = g.row_ptr()[i]; p < g.row_ptr()[i + 1]; ++p) ++out[{g.src()[p], i}];
  }
  return out;
}

// The largest |id(j) - id(i)| over the edges j→i: what a locality order makes small.
NodeId bandwidth(const CsrGraph& g) {
  NodeId worst = 0;
  for (NodeId i = 0; i < g.num_nodes(); ++i) {
    for (EdgeId p = g.row_ptr()[i]; p < g.row_ptr()[i + 1]; ++p) {
      worst = std::max(worst, std::abs(g.src()[p] - i));
    }
  }
  return worst;
}

// A seeded permutation of [0, n) (Fisher–Yates from the counter-based generator).
std::vector<NodeId> shuffled(NodeId n, std::uint64_t seed) {
  std::vector<NodeId> ids(static_cast<std::size_t>(n));
  std::iota(ids.begin(), ids.end(), NodeId{0});
  const CounterRng rng(seed, 0, 0, 0);
  for (NodeId i = n - 1; i > 0; --i) {
    const auto j = static_cast<NodeId>(rng.bits(static_cast<std::uint64_t>(i)) %
                                       static_cast<std::uint64_t>(i + 1));
    std::swap(ids[i], ids[j]);
  }
  return ids;
}

// A rows × cols grid, both directions, with its node ids scattered by `ids` (node r·cols + c
// of the grid gets id ids[r·cols + c]).
CsrGraph scattered_grid(NodeId rows, NodeId cols, const std::vector<NodeId>& ids) {
  std::vector<NodeId> src, dst;
  for (NodeId r = 0; r < rows; ++r) {
    for (NodeId c = 0; c < cols; ++c) {
      const NodeId v = ids[r * cols + c];
      if (c + 1 < cols) src.push_back(v), dst.push_back(ids[r * cols + c + 1]);
      if (r + 1 < rows) src.push_back(v), dst.push_back(ids[(r + 1) * cols + c]);
    }
  }
  return build_csr(rows * cols, src, dst, {true, Duplicates::kDrop, SelfLoops::kKeep});
}

bool is_permutation_of_ids(const std::vector<NodeId>& order, NodeId n) {
  std::vector<NodeId> sorted = order;
  std::sort(sorted.begin(), sorted.end());
  std::vector<NodeId> ids(static_cast<std::size_t>(n));
  std::iota(ids.begin(), ids.end(), NodeId{0});
  return sorted == ids;
}

TEST(NodeOrder, NamesRoundTrip) {
  for (const NodeOrder o : {NodeOrder::kFile, NodeOrder::kRcm}) {
    EXPECT_EQ(parse_node_order(to_string(o)), o);
  }
  try {
    parse_node_order("bfs");
    FAIL() << "expected gat::Error";
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("unknown node order 'bfs'; choose one of file, rcm"));
  }
}

// A path whose ids are scattered: RCM numbers it end to end, every edge joining neighbours.
TEST(RcmOrder, NumbersAScatteredPathEndToEnd) {
  const NodeId n = 50;
  const std::vector<NodeId> ids = shuffled(n, 3);
  const CsrGraph g = scattered_grid(1, n, ids);
  ASSERT_GT(bandwidth(g), 10);
  const std::vector<NodeId> order = rcm_order(g);
  ASSERT_TRUE(is_permutation_of_ids(order, n));
  EXPECT_EQ(bandwidth(permute_nodes(g, order)), 1);
}

// On a scattered 20 × 30 grid the bandwidth falls from about N to the order of the short side.
TEST(RcmOrder, NarrowsAScatteredGrid) {
  const CsrGraph g = scattered_grid(20, 30, shuffled(600, 5));
  ASSERT_GT(bandwidth(g), 400);
  const CsrGraph h = permute_nodes(g, rcm_order(g));
  EXPECT_LE(bandwidth(h), 2 * 20 + 1);
}

// Every node once, each component's nodes consecutive (a search numbers a whole component
// before the next starts), isolated nodes and self loops included; the same order every time.
TEST(RcmOrder, ComponentsAreConsecutiveAndTheOrderIsDeterministic) {
  const CsrGraph g = test::random_graph(9);  // self loops, repeated edges, node 11 isolated
  const std::vector<NodeId> order = rcm_order(g);
  ASSERT_TRUE(is_permutation_of_ids(order, g.num_nodes()));
  EXPECT_EQ(rcm_order(g), order);
  // Two components: a path 0-1-2 and a triangle 3-4-5 (directed edges only: a directed graph
  // is ordered as its symmetrisation), and 6 alone.
  const CsrGraph two = build_csr(7, {0, 2, 3, 4, 5}, {1, 1, 4, 5, 3});
  const std::vector<NodeId> o2 = rcm_order(two);
  ASSERT_TRUE(is_permutation_of_ids(o2, 7));
  std::vector<NodeId> pos = inverse_order(o2);
  const auto span_of = [&](std::vector<NodeId> nodes) {
    for (NodeId& v : nodes) v = pos[v];
    return *std::max_element(nodes.begin(), nodes.end()) -
           *std::min_element(nodes.begin(), nodes.end());
  };
  EXPECT_EQ(span_of({0, 1, 2}), 2);
  EXPECT_EQ(span_of({3, 4, 5}), 2);
  // The directed path 0→1←2 is numbered along the path: 1 in the middle.
  EXPECT_EQ(std::abs(pos[1] - pos[0]), 1);
  EXPECT_EQ(std::abs(pos[1] - pos[2]), 1);
}

TEST(RcmOrder, EmptyGraph) {
  EXPECT_TRUE(rcm_order(CsrGraph()).empty());
  EXPECT_EQ(permute_nodes(CsrGraph(), {}).num_nodes(), 0);
}

TEST(NodeOrderFn, FileIsTheIdentityAndRcmIsRcmOrder) {
  const CsrGraph g = test::random_graph(4);
  std::vector<NodeId> ids(static_cast<std::size_t>(g.num_nodes()));
  std::iota(ids.begin(), ids.end(), NodeId{0});
  EXPECT_EQ(node_order(g, NodeOrder::kFile), ids);
  EXPECT_EQ(node_order(g, NodeOrder::kRcm), rcm_order(g));
}

// Renumbering keeps every edge (repeats and self loops too) under the new ids, with each row's
// sources ascending; the old graph comes back through the inverse order.
TEST(PermuteNodes, KeepsEveryEdgeUnderTheNewIds) {
  const CsrGraph g = test::random_graph(11);
  const std::vector<NodeId> order = shuffled(g.num_nodes(), 17);
  const std::vector<NodeId> pos = inverse_order(order);
  const CsrGraph h = permute_nodes(g, order);
  ASSERT_EQ(h.num_nodes(), g.num_nodes());
  ASSERT_EQ(h.num_edges(), g.num_edges());
  EXPECT_EQ(h.num_self_loops(), g.num_self_loops());
  std::map<std::pair<NodeId, NodeId>, int> expected;
  for (const auto& [edge, count] : edge_counts(g))
    expected[{pos[edge.first], pos[edge.second]}] = count;
  EXPECT_EQ(edge_counts(h), expected);
  for (NodeId k = 0; k < h.num_nodes(); ++k) {
    EXPECT_EQ(h.in_degree(k), g.in_degree(order[k]));
    EXPECT_TRUE(
        std::is_sorted(h.src().begin() + h.row_ptr()[k], h.src().begin() + h.row_ptr()[k + 1]));
  }
  const CsrGraph back = permute_nodes(h, pos);
  EXPECT_EQ(edge_counts(back), edge_counts(g));
}

// The same graph at any thread count (rows are sorted independently).
TEST(PermuteNodes, SameAtAnyThreadCount) {
  const CsrGraph g = test::big_random_graph(2);
  const std::vector<NodeId> order = rcm_order(g);
  const CsrGraph one = [&] {
    const ThreadScope threads(1);
    return permute_nodes(g, order);
  }();
  const CsrGraph two = [&] {
    const ThreadScope threads(2);
    return permute_nodes(g, order);
  }();
  EXPECT_EQ(one.row_ptr(), two.row_ptr());
  EXPECT_EQ(one.src(), two.src());
}

TEST(PermuteNodes, RefusesWhatIsNotAPermutation) {
  const CsrGraph g = build_csr(3, {0, 1}, {1, 2});
  const auto message = [&](std::vector<NodeId> order) {
    try {
      permute_nodes(g, order);
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_THAT(message({0, 1}), HasSubstr("node order: 2 entries for a graph of 3 nodes"));
  EXPECT_THAT(message({0, 3, 1}),
              HasSubstr("node order: entry 1 is 3, outside the node ids [0, 3)"));
  EXPECT_THAT(message({2, 0, 2}), HasSubstr("node order: node 2 appears twice (entries 0 and 2)"));
  EXPECT_THAT(message({0, -1, 1}), HasSubstr("entry 1 is -1"));
}

}  // namespace
}  // namespace gat
