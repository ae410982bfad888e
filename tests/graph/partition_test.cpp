#include "gat/graph/partition.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "gat/core/error.hpp"
#include "gat/graph/build.hpp"
#include "gat/graph/generate.hpp"
#include "support/graphs.hpp"
#include "support/io_fixtures.hpp"

namespace gat {
namespace {

using ::testing::HasSubstr;

const PartitionMethod kMethods[] = {PartitionMethod::kMetis, PartitionMethod::kRandom};

// Two triangles joined by one edge, plus an isolated node with a self loop (both directions
// stored, as the loaders store an undirected graph):
//
//   0 ── 1        3 ── 4
//    \  /   2─3    \  /        6 ↺ (isolated but for its self loop)
//     2             5
//
// The cut of the natural 2-way split {0, 1, 2} | {3, 4, 5} is the edge 2–3: 2 slots.
CsrGraph two_triangles() {
  std::vector<NodeId> src, dst;
  const NodeId pairs[][2] = {{0, 1}, {1, 2}, {0, 2}, {3, 4}, {4, 5}, {3, 5}, {2, 3}};
  for (const auto& p : pairs) {
    src.push_back(p[0]), dst.push_back(p[1]);
    src.push_back(p[1]), dst.push_back(p[0]);
  }
  src.push_back(6), dst.push_back(6);
  return build_csr(7, src, dst);
}

void expect_valid(const std::vector<std::int32_t>& part, NodeId n, int parts) {
  ASSERT_EQ(part.size(), static_cast<std::size_t>(n));
  std::vector<NodeId> size(static_cast<std::size_t>(parts), 0);
  for (const std::int32_t p : part) {
    ASSERT_GE(p, 0);
    ASSERT_LT(p, parts);
    ++size[p];
  }
  for (int k = 0; k < parts; ++k) EXPECT_GT(size[k], 0) << "part " << k << " is empty";
}

std::vector<NodeId> sizes(const std::vector<std::int32_t>& part, int parts) {
  std::vector<NodeId> size(static_cast<std::size_t>(parts), 0);
  for (const std::int32_t p : part) ++size[p];
  return size;
}

TEST(Partition, MethodNamesRoundTripAndUnknownNamesListTheChoices) {
  for (const PartitionMethod m : kMethods) EXPECT_EQ(parse_partition_method(to_string(m)), m);
  const std::string msg = test::error_message([] { parse_partition_method("kway"); });
  EXPECT_THAT(msg, HasSubstr("unknown partition method 'kway'; choose one of metis, random"));
}

TEST(Partition, EveryNodeInANonEmptyPartOnGraphsWithLoopsDuplicatesAndIsolatedNodes) {
  // random_graph: self loops, duplicate edges, a node without edges; big_random_graph: 50
  // nodes without edges; check_graph: a node without in-edges and one without any edge.
  const std::vector<CsrGraph> graphs = {two_triangles(), test::random_graph(7),
                                        test::big_random_graph(5), test::check_graph()};
  for (const CsrGraph& g : graphs) {
    for (const PartitionMethod m : kMethods) {
      for (int parts : {1, 2, 3, 5}) {
        if (parts > g.num_nodes()) continue;
        SCOPED_TRACE(std::string(to_string(m)) + " N=" + std::to_string(g.num_nodes()) +
                     " P=" + std::to_string(parts));
        expect_valid(partition_nodes(g, parts, m, 7), g.num_nodes(), parts);
      }
    }
  }
}

TEST(Partition, OnePartIsAllZeros) {
  const CsrGraph g = test::random_graph(8);
  for (const PartitionMethod m : kMethods) {
    EXPECT_EQ(partition_nodes(g, 1, m, 9), std::vector<std::int32_t>(12, 0));
  }
}

TEST(Partition, AsManyPartsAsNodes) {
  const CsrGraph g = two_triangles();
  for (const PartitionMethod m : kMethods) {
    const auto part = partition_nodes(g, 7, m, 0);
    expect_valid(part, 7, 7);
    EXPECT_EQ(sizes(part, 7), std::vector<NodeId>(7, 1));
  }
}

TEST(Partition, RandomIsExactlyBalancedAndDependsOnTheSeed) {
  const CsrGraph g = test::big_random_graph(2);  // N = 2000
  for (int parts : {2, 3, 7, 16}) {
    const auto part = partition_nodes(g, parts, PartitionMethod::kRandom, 11);
    const auto size = sizes(part, parts);
    const NodeId lo = 2000 / parts;
    // ⌈N/P⌉ for the first N mod P parts, ⌊N/P⌋ for the rest.
    for (int k = 0; k < parts; ++k) EXPECT_EQ(size[k], lo + (k < 2000 % parts ? 1 : 0)) << k;
  }
  const auto a = partition_nodes(g, 4, PartitionMethod::kRandom, 11);
  EXPECT_EQ(a, partition_nodes(g, 4, PartitionMethod::kRandom, 11));
  EXPECT_NE(a, partition_nodes(g, 4, PartitionMethod::kRandom, 12));
  // A permutation, not the identity: the nodes of part 0 are not simply 0..499.
  EXPECT_NE(std::count(a.begin(), a.begin() + 500, 0), 500);
}

TEST(Partition, MetisIsDeterministicForASeed) {
  const CsrGraph g = erdos_renyi(3000, 8, 4);
  for (int parts : {2, 5}) {
    EXPECT_EQ(partition_nodes(g, parts, PartitionMethod::kMetis, 3),
              partition_nodes(g, parts, PartitionMethod::kMetis, 3));
  }
}

TEST(Partition, MetisBalancesNodesAndInEdgesAndCutsLessThanRandom) {
  // A power-law graph: the in-edge constraint matters where degrees are skewed.
  const CsrGraph g = rmat(12, 4096 * 8, 0.57, 0.19, 0.19, 1);
  for (int parts : {2, 4, 8}) {
    SCOPED_TRACE(parts);
    const auto metis = partition_nodes(g, parts, PartitionMethod::kMetis, 0);
    expect_valid(metis, g.num_nodes(), parts);
    const PartitionStats m = partition_stats(g, metis, parts);
    // METIS's tolerance is 3 % per constraint; allow 10 % for its rounding on small parts.
    EXPECT_LE(m.node_balance, 1.10);
    EXPECT_LE(m.edge_balance, 1.10);
    const PartitionStats r =
        partition_stats(g, partition_nodes(g, parts, PartitionMethod::kRandom, 0), parts);
    EXPECT_LT(m.edge_cut, r.edge_cut);
    EXPECT_LT(m.total_halo, r.total_halo);
  }
}

TEST(Partition, MetisFindsTheNaturalCutOfTwoTriangles) {
  const auto part = partition_nodes(two_triangles(), 2, PartitionMethod::kMetis, 0);
  expect_valid(part, 7, 2);
  EXPECT_EQ(part[0], part[1]);
  EXPECT_EQ(part[1], part[2]);
  EXPECT_EQ(part[3], part[4]);
  EXPECT_EQ(part[4], part[5]);
  EXPECT_NE(part[2], part[3]);
}

TEST(Partition, MetisOnAGraphWithoutEdges) {
  const CsrGraph g(6, std::vector<EdgeId>(7, 0), {});
  expect_valid(partition_nodes(g, 3, PartitionMethod::kMetis, 0), 6, 3);
}

TEST(Partition, StatsOfAHandPartition) {
  // {0, 1, 2} | {3, 4, 5, 6}: the edge 2–3 cut in both directions; each side's halo is the
  // other end of it; 6's self loop is not cut.
  const CsrGraph g = two_triangles();
  const PartitionStats st = partition_stats(g, {0, 0, 0, 1, 1, 1, 1}, 2);
  EXPECT_EQ(st.nodes, 7);
  EXPECT_EQ(st.edges, 15);
  EXPECT_EQ(st.self_loops, 1);
  EXPECT_EQ(st.owned, (std::vector<NodeId>{3, 4}));
  EXPECT_EQ(st.in_edges, (std::vector<EdgeId>{7, 8}));
  EXPECT_EQ(st.halo, (std::vector<NodeId>{1, 1}));
  EXPECT_EQ(st.edge_cut, 2);
  EXPECT_DOUBLE_EQ(st.cut_fraction, 2.0 / 14.0);
  EXPECT_EQ(st.total_halo, 2);
  EXPECT_DOUBLE_EQ(st.node_balance, 4.0 / 3.5);
  EXPECT_DOUBLE_EQ(st.edge_balance, 8.0 / 7.5);
  // A source needed by several rows of one part counts once in its halo.
  const PartitionStats star = partition_stats(g, {1, 1, 0, 1, 1, 1, 1}, 2);
  EXPECT_EQ(star.halo[1], 1);  // node 2, source of rows 0, 1 and 3
  EXPECT_EQ(star.halo[0], 3);  // nodes 0, 1, 3
}

TEST(Partition, ErrorsSayWhatIsWrong) {
  const CsrGraph g = two_triangles();
  for (const PartitionMethod m : kMethods) {
    EXPECT_THAT(test::error_message([&] { partition_nodes(g, 0, m); }),
                HasSubstr("number of parts must be at least 1, got 0"));
    EXPECT_THAT(test::error_message([&] { partition_nodes(g, 8, m); }),
                HasSubstr("cannot split a graph of 7 nodes into 8 parts"));
  }
  EXPECT_THAT(test::error_message([&] {
                partition_stats(g, {0, 0, 0}, 2);
              }),
              HasSubstr("the partition has 3 entries for a graph of 7 nodes"));
  EXPECT_THAT(test::error_message([&] {
                partition_stats(g, {0, 0, 0, 2, 1, 1, 1}, 2);
              }),
              HasSubstr("node 3 is in part 2, outside [0, 2)"));
}

}  // namespace
}  // namespace gat
