#include "gat/graph/csr.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "gat/core/error.hpp"
#include "gat/core/random.hpp"

namespace gat {
namespace {

using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

// The message of the gat::Error that constructing CsrGraph(n, row_ptr, src) throws; fails the
// test (and returns "") when nothing is thrown.
std::string construction_error(NodeId n, std::vector<EdgeId> row_ptr, std::vector<NodeId> src) {
  try {
    CsrGraph g(n, std::move(row_ptr), std::move(src));
  } catch (const Error& e) {
    return e.what();
  }
  ADD_FAILURE() << "CsrGraph accepted an invalid CSR";
  return "";
}

// The small graph of most tests here (N = 4, E = 5):
//
//         ┌───────┐
//         ▼       │
//   0 ──▶ 1       2 ↺        3 (isolated)
//   │     │       ▲
//   │     └───────┤
//   └─────────────┘
//
// Edges 2→1, 0→1, 1→2, 0→2, 2→2. The rows are given unsorted (row 1 lists 2 before 0, row 2
// lists 1, 0, 2): the constructor keeps the order it is given.
//   slot:   0    1    2    3    4
//   edge:  2→1  0→1  1→2  0→2  2→2
CsrGraph small_graph() { return CsrGraph(4, {0, 0, 2, 5, 5}, {2, 0, 1, 0, 2}); }

TEST(CsrGraph, DefaultIsTheEmptyGraph) {
  const CsrGraph g;
  EXPECT_EQ(g.num_nodes(), 0);
  EXPECT_EQ(g.num_edges(), 0);
  EXPECT_THAT(g.row_ptr(), ElementsAre(0));
  EXPECT_TRUE(g.src().empty());
  EXPECT_THAT(g.transpose().row_ptr, ElementsAre(0));
  EXPECT_TRUE(g.transpose().dst.empty());
  EXPECT_TRUE(g.in_degrees().empty());
  EXPECT_EQ(g.num_self_loops(), 0);
}

TEST(CsrGraph, ZeroNodesFromExplicitArrays) {
  const CsrGraph g(0, {0}, {});
  EXPECT_EQ(g.num_nodes(), 0);
  EXPECT_EQ(g.num_edges(), 0);
  EXPECT_TRUE(g.dst().empty());
  EXPECT_TRUE(g.out_degrees().empty());
}

TEST(CsrGraph, KeepsArraysAsGiven) {
  const CsrGraph g = small_graph();
  EXPECT_EQ(g.num_nodes(), 4);
  EXPECT_EQ(g.num_edges(), 5);
  EXPECT_THAT(g.row_ptr(), ElementsAre(0, 0, 2, 5, 5));
  EXPECT_THAT(g.src(), ElementsAre(2, 0, 1, 0, 2));
  EXPECT_THAT(g.dst(), ElementsAre(1, 1, 2, 2, 2));
}

TEST(CsrGraph, Degrees) {
  const CsrGraph g = small_graph();
  // In: 0 ← nothing, 1 ← {2, 0}, 2 ← {1, 0, 2}, 3 ← nothing.
  EXPECT_THAT(g.in_degrees(), ElementsAre(0, 2, 3, 0));
  // Out: 0 → {1, 2}, 1 → {2}, 2 → {1, 2}, 3 → nothing.
  EXPECT_THAT(g.out_degrees(), ElementsAre(2, 1, 2, 0));
  EXPECT_EQ(g.in_degree(2), 3);
  EXPECT_EQ(g.out_degree(1), 1);
  EXPECT_EQ(g.in_degree(3), 0);
  EXPECT_EQ(g.out_degree(3), 0);
}

TEST(CsrGraph, CountsSelfLoops) {
  EXPECT_EQ(small_graph().num_self_loops(), 1);
  // 0 ↺ twice (a duplicated self loop) and 1 ↺, plus 0→1 which is not a loop.
  const CsrGraph g(2, {0, 2, 4}, {0, 0, 1, 0});
  EXPECT_EQ(g.num_self_loops(), 3);
  // A loop is src == its own row, not src == some other index: row 1 listing 0 is no loop.
  EXPECT_EQ(CsrGraph(2, {0, 1, 2}, {1, 0}).num_self_loops(), 0);
}

TEST(CsrGraph, TransposeOfSmallGraph) {
  const CsrGraph g = small_graph();  // the transpose lives as long as the graph
  const CsrTranspose& t = g.transpose();
  // Row j lists the destinations of j's out-edges, ascending, with the slot of each edge:
  //   j = 0: 0→1 (slot 1), 0→2 (slot 3)
  //   j = 1: 1→2 (slot 2)
  //   j = 2: 2→1 (slot 0), 2→2 (slot 4)
  //   j = 3: none
  EXPECT_THAT(t.row_ptr, ElementsAre(0, 2, 3, 5, 5));
  EXPECT_THAT(t.dst, ElementsAre(1, 2, 2, 1, 2));
  EXPECT_THAT(t.slot, ElementsAre(1, 3, 2, 0, 4));
}

TEST(CsrGraph, TransposeInvariantsOnRandomGraph) {
  // Random rows with duplicates, self loops and empty rows; sources unsorted within rows.
  const NodeId n = 60;
  const CounterRng rng(7, 0, 0, 0);
  std::vector<EdgeId> row_ptr{0};
  std::vector<NodeId> src;
  std::uint64_t draw = 0;
  for (NodeId i = 0; i < n; ++i) {
    const auto degree = static_cast<int>(rng.bits(draw++) % 7);  // 0..6, some rows empty
    for (int k = 0; k < degree; ++k) src.push_back(static_cast<NodeId>(rng.bits(draw++) % 20));
    row_ptr.push_back(static_cast<EdgeId>(src.size()));
  }
  const CsrGraph g(n, row_ptr, src);
  const CsrTranspose& t = g.transpose();
  const std::vector<NodeId> dst = g.dst();
  const EdgeId e = g.num_edges();

  ASSERT_EQ(t.row_ptr.size(), static_cast<std::size_t>(n) + 1);
  ASSERT_EQ(t.row_ptr.front(), 0);
  ASSERT_EQ(t.row_ptr.back(), e);
  ASSERT_EQ(static_cast<EdgeId>(t.dst.size()), e);
  ASSERT_EQ(static_cast<EdgeId>(t.slot.size()), e);

  // slot is a permutation of [0, E).
  std::vector<EdgeId> sorted_slots = t.slot;
  std::sort(sorted_slots.begin(), sorted_slots.end());
  for (EdgeId p = 0; p < e; ++p) ASSERT_EQ(sorted_slots[p], p);

  for (NodeId j = 0; j < n; ++j) {
    EXPECT_EQ(g.out_degree(j), std::count(src.begin(), src.end(), j)) << "node " << j;
    for (EdgeId q = t.row_ptr[j]; q < t.row_ptr[j + 1]; ++q) {
      // The slot maps back to the same edge j → t.dst[q].
      EXPECT_EQ(g.src()[t.slot[q]], j) << "transposed slot " << q;
      EXPECT_EQ(dst[t.slot[q]], t.dst[q]) << "transposed slot " << q;
      if (q > t.row_ptr[j]) {
        EXPECT_LE(t.dst[q - 1], t.dst[q]) << "destinations of row " << j << " not ascending";
        // Duplicate edges keep slot order, so the transpose is deterministic.
        if (t.dst[q - 1] == t.dst[q]) {
          EXPECT_LT(t.slot[q - 1], t.slot[q]);
        }
      }
    }
  }
  // Nodes 20..59 are never sources: their transposed rows are empty.
  for (NodeId j = 20; j < n; ++j) EXPECT_EQ(g.out_degree(j), 0);
}

TEST(CsrGraph, IsolatedNodes) {
  // 0 → 1; nodes 2, 3, 4 have no edges at all.
  const CsrGraph g(5, {0, 0, 1, 1, 1, 1}, {0});
  EXPECT_THAT(g.in_degrees(), ElementsAre(0, 1, 0, 0, 0));
  EXPECT_THAT(g.out_degrees(), ElementsAre(1, 0, 0, 0, 0));
  EXPECT_THAT(g.transpose().row_ptr, ElementsAre(0, 1, 1, 1, 1, 1));
  EXPECT_THAT(g.transpose().dst, ElementsAre(1));
}

TEST(CsrGraph, CopiesShareOneTranspose) {
  const CsrGraph a = small_graph();
  const CsrGraph b = a;  // NOLINT(performance-unnecessary-copy-initialization)
  EXPECT_EQ(&a.transpose(), &b.transpose());
}

TEST(CsrGraphValidation, RowPtrOfWrongSize) {
  EXPECT_THAT(construction_error(3, {0, 1, 2}, {0, 1}),
              AllOf(HasSubstr("row_ptr"), HasSubstr("N + 1 = 4"), HasSubstr("got 3")));
  EXPECT_THAT(construction_error(0, {}, {}), HasSubstr("N + 1 = 1"));
}

TEST(CsrGraphValidation, RowPtrMustStartAtZero) {
  EXPECT_THAT(construction_error(2, {1, 1, 2}, {0, 1}),
              AllOf(HasSubstr("row_ptr[0] must be 0"), HasSubstr("got 1")));
}

TEST(CsrGraphValidation, LastRowPtrMustEqualEdgeCount) {
  EXPECT_THAT(construction_error(2, {0, 1, 3}, {0, 1}),
              AllOf(HasSubstr("row_ptr[N] = 3"), HasSubstr("number of sources 2")));
  EXPECT_THAT(construction_error(2, {0, 1, 1}, {0, 1}), HasSubstr("row_ptr[N] = 1"));
}

TEST(CsrGraphValidation, RowPtrMustNotDecrease) {
  // Starts at 0 and ends at E = 3 but dips in the middle.
  EXPECT_THAT(construction_error(3, {0, 2, 1, 3}, {0, 1, 2}),
              AllOf(HasSubstr("non-decreasing"), HasSubstr("row_ptr[1] = 2 > row_ptr[2] = 1")));
}

TEST(CsrGraphValidation, SourceOutOfRange) {
  EXPECT_THAT(construction_error(3, {0, 1, 2, 3}, {0, 3, 1}),
              AllOf(HasSubstr("source node 3"), HasSubstr("slot 1"), HasSubstr("[0, 3)")));
  EXPECT_THAT(construction_error(3, {0, 1, 2, 3}, {0, 1, -1}),
              AllOf(HasSubstr("source node -1"), HasSubstr("slot 2")));
  // The bound is exclusive: with N = 1 only source 0 is valid.
  EXPECT_THAT(construction_error(1, {0, 1}, {1}), HasSubstr("[0, 1)"));
}

TEST(CsrGraphValidation, NegativeNodeCount) {
  EXPECT_THAT(construction_error(-1, {0}, {}), AllOf(HasSubstr("non-negative"), HasSubstr("-1")));
}

}  // namespace
}  // namespace gat
