#include "gat/graph/build.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <span>
#include <string>
#include <utility>
#include <vector>

#include "gat/core/error.hpp"

namespace gat {
namespace {

using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;

// The message of the gat::Error that build_csr throws; fails the test when nothing is thrown.
std::string build_error(NodeId n, const std::vector<NodeId>& src, const std::vector<NodeId>& dst) {
  try {
    build_csr(n, src, dst);
  } catch (const Error& e) {
    return e.what();
  }
  ADD_FAILURE() << "build_csr accepted invalid edges";
  return "";
}

BuildOptions options(bool symmetrize, Duplicates duplicates, SelfLoops self_loops) {
  BuildOptions o;
  o.symmetrize = symmetrize;
  o.duplicates = duplicates;
  o.self_loops = self_loops;
  return o;
}

// The edge list of most tests here (N = 5, six edges, in this input order):
//
//   3 ──▶ 0 ══▶ 1 ◀── 2        0→1 twice (duplicate)
//               ↺↺             1→1 twice (duplicated self loop)
//   4 (isolated)
//
// Rows by destination, sources ascending:  row 0: [3]   row 1: [0, 0, 1, 1, 2]   rows 2-4: []
const std::vector<NodeId> kSrc = {0, 2, 1, 0, 3, 1};
const std::vector<NodeId> kDst = {1, 1, 1, 1, 0, 1};

TEST(BuildCsr, DefaultKeepsEverythingAndSortsRows) {
  const CsrGraph g = build_csr(5, kSrc, kDst);
  EXPECT_EQ(g.num_nodes(), 5);
  EXPECT_THAT(g.row_ptr(), ElementsAre(0, 1, 6, 6, 6, 6));
  EXPECT_THAT(g.src(), ElementsAre(3, 0, 0, 1, 1, 2));
  EXPECT_EQ(g.num_self_loops(), 2);
}

TEST(BuildCsr, DropDuplicates) {
  const CsrGraph g = build_csr(5, kSrc, kDst, options(false, Duplicates::kDrop, SelfLoops::kKeep));
  EXPECT_THAT(g.row_ptr(), ElementsAre(0, 1, 4, 4, 4, 4));
  EXPECT_THAT(g.src(), ElementsAre(3, 0, 1, 2));
  EXPECT_EQ(g.num_self_loops(), 1);
}

TEST(BuildCsr, RemoveSelfLoops) {
  const CsrGraph g =
      build_csr(5, kSrc, kDst, options(false, Duplicates::kKeep, SelfLoops::kRemove));
  // Both copies of 1→1 go; the duplicate 0→1 stays.
  EXPECT_THAT(g.row_ptr(), ElementsAre(0, 1, 4, 4, 4, 4));
  EXPECT_THAT(g.src(), ElementsAre(3, 0, 0, 2));
  EXPECT_EQ(g.num_self_loops(), 0);
}

TEST(BuildCsr, AddSelfLoopsGivesExactlyOnePerNode) {
  const CsrGraph g = build_csr(5, kSrc, kDst, options(false, Duplicates::kKeep, SelfLoops::kAdd));
  // row 0: [0, 3]  row 1: [0, 0, 1, 2] (the two 1→1 become one)  rows 2, 3, 4: their own loop.
  EXPECT_THAT(g.row_ptr(), ElementsAre(0, 2, 6, 7, 8, 9));
  EXPECT_THAT(g.src(), ElementsAre(0, 3, 0, 0, 1, 2, 2, 3, 4));
  EXPECT_EQ(g.num_self_loops(), 5);
}

TEST(BuildCsr, AddSelfLoopsAndDropDuplicates) {
  const CsrGraph g = build_csr(5, kSrc, kDst, options(false, Duplicates::kDrop, SelfLoops::kAdd));
  EXPECT_THAT(g.row_ptr(), ElementsAre(0, 2, 5, 6, 7, 8));
  EXPECT_THAT(g.src(), ElementsAre(0, 3, 0, 1, 2, 2, 3, 4));
}

TEST(BuildCsr, Symmetrize) {
  // Each i→j (i ≠ j) also gives j→i; self loops are not doubled.
  //   row 0: 3 (3→0), 1, 1 (from both 0→1)         → [1, 1, 3]
  //   row 1: unchanged                              → [0, 0, 1, 1, 2]
  //   row 2: 1 (from 2→1)                           → [1]
  //   row 3: 0 (from 3→0)                           → [0]
  const CsrGraph g = build_csr(5, kSrc, kDst, options(true, Duplicates::kKeep, SelfLoops::kKeep));
  EXPECT_THAT(g.row_ptr(), ElementsAre(0, 3, 8, 9, 10, 10));
  EXPECT_THAT(g.src(), ElementsAre(1, 1, 3, 0, 0, 1, 1, 2, 1, 0));
  EXPECT_EQ(g.num_self_loops(), 2);
}

TEST(BuildCsr, SymmetrizeAndDropDuplicates) {
  const CsrGraph g = build_csr(5, kSrc, kDst, options(true, Duplicates::kDrop, SelfLoops::kKeep));
  EXPECT_THAT(g.row_ptr(), ElementsAre(0, 2, 5, 6, 7, 7));
  EXPECT_THAT(g.src(), ElementsAre(1, 3, 0, 1, 2, 1, 0));
}

TEST(BuildCsr, SymmetrizeWhenBothDirectionsExist) {
  // 0 ⇄ 1 given both ways: symmetrizing doubles each, dropping duplicates undoes that.
  const std::vector<NodeId> src = {0, 1}, dst = {1, 0};
  const CsrGraph kept = build_csr(2, src, dst, options(true, Duplicates::kKeep, SelfLoops::kKeep));
  EXPECT_THAT(kept.row_ptr(), ElementsAre(0, 2, 4));
  EXPECT_THAT(kept.src(), ElementsAre(1, 1, 0, 0));
  const CsrGraph dropped =
      build_csr(2, src, dst, options(true, Duplicates::kDrop, SelfLoops::kKeep));
  EXPECT_THAT(dropped.row_ptr(), ElementsAre(0, 1, 2));
  EXPECT_THAT(dropped.src(), ElementsAre(1, 0));
}

TEST(BuildCsr, IndependentOfInputOrder) {
  // The same multiset of edges in three orders, under every policy, gives identical arrays.
  const std::vector<std::pair<std::vector<NodeId>, std::vector<NodeId>>> orders = {
      {kSrc, kDst},
      {{1, 3, 0, 1, 2, 0}, {1, 0, 1, 1, 1, 1}},  // reversed
      {{1, 0, 3, 2, 1, 0}, {1, 1, 0, 1, 1, 1}},  // shuffled
  };
  for (bool symmetrize : {false, true}) {
    for (Duplicates d : {Duplicates::kKeep, Duplicates::kDrop}) {
      for (SelfLoops l : {SelfLoops::kKeep, SelfLoops::kRemove, SelfLoops::kAdd}) {
        const BuildOptions o = options(symmetrize, d, l);
        const CsrGraph reference = build_csr(5, orders[0].first, orders[0].second, o);
        for (std::size_t k = 1; k < orders.size(); ++k) {
          const CsrGraph g = build_csr(5, orders[k].first, orders[k].second, o);
          EXPECT_EQ(g.row_ptr(), reference.row_ptr()) << "order " << k;
          EXPECT_EQ(g.src(), reference.src()) << "order " << k;
        }
      }
    }
  }
}

TEST(BuildCsr, OutOfRangeIdsNameTheEdge) {
  EXPECT_THAT(build_error(3, {0, 1, 5}, {1, 2, 0}),
              AllOf(HasSubstr("edge 2"), HasSubstr("5 -> 0"), HasSubstr("[0, 3)")));
  EXPECT_THAT(build_error(3, {0, -1}, {1, 2}), AllOf(HasSubstr("edge 1"), HasSubstr("-1 -> 2")));
  EXPECT_THAT(build_error(3, {0, 1}, {3, 2}), AllOf(HasSubstr("edge 0"), HasSubstr("0 -> 3")));
  EXPECT_THAT(build_error(0, {0}, {0}), HasSubstr("[0, 0)"));
}

TEST(BuildCsr, MismatchedLengths) {
  EXPECT_THAT(build_error(3, {0, 1}, {1, 2, 0}),
              AllOf(HasSubstr("2 sources"), HasSubstr("3 destinations")));
}

TEST(BuildCsr, NegativeNodeCount) {
  EXPECT_THAT(build_error(-2, {}, {}), AllOf(HasSubstr("non-negative"), HasSubstr("-2")));
}

TEST(BuildCsr, EmptyGraph) {
  for (SelfLoops l : {SelfLoops::kKeep, SelfLoops::kRemove, SelfLoops::kAdd}) {
    const CsrGraph g = build_csr(0, {}, {}, options(true, Duplicates::kDrop, l));
    EXPECT_EQ(g.num_nodes(), 0);
    EXPECT_EQ(g.num_edges(), 0);
    EXPECT_THAT(g.row_ptr(), ElementsAre(0));
  }
}

TEST(BuildCsr, NodesWithoutEdges) {
  const CsrGraph none = build_csr(3, {}, {});
  EXPECT_THAT(none.row_ptr(), ElementsAre(0, 0, 0, 0));
  EXPECT_TRUE(none.src().empty());
  // Self loops are added to isolated nodes too.
  const CsrGraph loops = build_csr(3, {}, {}, options(false, Duplicates::kKeep, SelfLoops::kAdd));
  EXPECT_THAT(loops.row_ptr(), ElementsAre(0, 1, 2, 3));
  EXPECT_THAT(loops.src(), ElementsAre(0, 1, 2));
}

TEST(ApplySelfLoops, MatchesBuildingWithThePolicy) {
  const CsrGraph g = build_csr(5, kSrc, kDst);
  for (SelfLoops l : {SelfLoops::kKeep, SelfLoops::kRemove, SelfLoops::kAdd}) {
    const CsrGraph applied = apply_self_loops(g, l);
    const CsrGraph built = build_csr(5, kSrc, kDst, options(false, Duplicates::kKeep, l));
    EXPECT_EQ(applied.num_nodes(), 5);
    EXPECT_EQ(applied.row_ptr(), built.row_ptr()) << "policy " << static_cast<int>(l);
    EXPECT_EQ(applied.src(), built.src()) << "policy " << static_cast<int>(l);
  }
}

TEST(ApplySelfLoops, SpelledOut) {
  const CsrGraph g = build_csr(5, kSrc, kDst);
  // kRemove keeps the duplicate 0→1 (apply_self_loops never drops duplicates).
  const CsrGraph removed = apply_self_loops(g, SelfLoops::kRemove);
  EXPECT_THAT(removed.row_ptr(), ElementsAre(0, 1, 4, 4, 4, 4));
  EXPECT_THAT(removed.src(), ElementsAre(3, 0, 0, 2));
  const CsrGraph added = apply_self_loops(g, SelfLoops::kAdd);
  EXPECT_THAT(added.row_ptr(), ElementsAre(0, 2, 6, 7, 8, 9));
  EXPECT_THAT(added.src(), ElementsAre(0, 3, 0, 0, 1, 2, 2, 3, 4));
  // Applying kAdd twice changes nothing more.
  const CsrGraph twice = apply_self_loops(added, SelfLoops::kAdd);
  EXPECT_THAT(twice.src(), ElementsAreArray(added.src()));
  // The result carries a correct transpose: node 4's only out-edge is its new loop.
  EXPECT_EQ(added.out_degree(4), 1);
  EXPECT_EQ(added.transpose().dst[added.transpose().row_ptr[4]], 4);
}

TEST(ApplySelfLoops, EmptyGraph) {
  const CsrGraph g = apply_self_loops(CsrGraph(), SelfLoops::kAdd);
  EXPECT_EQ(g.num_nodes(), 0);
  EXPECT_EQ(g.num_edges(), 0);
}

}  // namespace
}  // namespace gat

namespace gat {
namespace {

// The source-keyed CSR of kSrc/kDst: row j lists the destinations of j's out-edges, in input
// order (a caller's CSR need not be sorted).
struct SourceCsr {
  std::vector<EdgeId> row_ptr;
  std::vector<NodeId> dst;
};

SourceCsr source_csr(NodeId n, const std::vector<NodeId>& src, const std::vector<NodeId>& dst) {
  SourceCsr out;
  out.row_ptr.assign(static_cast<std::size_t>(n) + 1, 0);
  for (const NodeId j : src) ++out.row_ptr[static_cast<std::size_t>(j) + 1];
  for (NodeId j = 0; j < n; ++j) out.row_ptr[j + 1] += out.row_ptr[j];
  out.dst.resize(src.size());
  std::vector<EdgeId> next(out.row_ptr.begin(), out.row_ptr.end() - 1);
  for (std::size_t k = 0; k < src.size(); ++k) out.dst[next[src[k]]++] = dst[k];
  return out;
}

TEST(BuildCsrFromSources, SameGraphAsTheEdgeList) {
  const SourceCsr s = source_csr(5, kSrc, kDst);
  for (bool symmetrize : {false, true}) {
    for (Duplicates d : {Duplicates::kKeep, Duplicates::kDrop}) {
      for (SelfLoops l : {SelfLoops::kKeep, SelfLoops::kRemove, SelfLoops::kAdd}) {
        const BuildOptions o = options(symmetrize, d, l);
        const CsrGraph expected = build_csr(5, kSrc, kDst, o);
        const CsrGraph g = build_csr_from_sources(5, s.row_ptr, s.dst, o);
        EXPECT_EQ(g.row_ptr(), expected.row_ptr());
        EXPECT_EQ(g.src(), expected.src());
      }
    }
  }
}

TEST(BuildCsrFromSources, Errors) {
  const auto error = [](NodeId n, std::vector<EdgeId> row_ptr, std::vector<NodeId> dst) {
    try {
      build_csr_from_sources(n, row_ptr, dst);
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  EXPECT_THAT(error(2, {0, 1}, {1}), HasSubstr("N + 1 = 3 entries, got 2"));
  EXPECT_THAT(error(2, {0, 1, 3}, {1}), HasSubstr("from 0 to the number of destinations (1)"));
  EXPECT_THAT(error(2, {0, 2, 1}, {1}), HasSubstr("non-decreasing"));
  EXPECT_THAT(error(2, {0, 1, 1}, {2}), HasSubstr("destination 2 at slot 0 is outside [0, 2)"));
  EXPECT_THAT(error(-1, {0}, {}), HasSubstr("non-negative"));
}

TEST(BuildCsr, CallerMemoryAndConsumedVectorsGiveTheSameGraph) {
  const BuildOptions o = options(true, Duplicates::kDrop, SelfLoops::kAdd);
  const CsrGraph expected = build_csr(5, kSrc, kDst, o);
  // A span of raw memory, as a program holding its own arrays passes it.
  const NodeId* raw_src = kSrc.data();
  const CsrGraph from_span = build_csr(5, std::span<const NodeId>(raw_src, kSrc.size()),
                                       std::span<const NodeId>(kDst.data(), kDst.size()), o);
  EXPECT_EQ(from_span.row_ptr(), expected.row_ptr());
  EXPECT_EQ(from_span.src(), expected.src());
  std::vector<NodeId> src = kSrc;
  std::vector<NodeId> dst = kDst;
  const CsrGraph consumed = build_csr(5, std::move(src), std::move(dst), o);
  EXPECT_EQ(consumed.row_ptr(), expected.row_ptr());
  EXPECT_EQ(consumed.src(), expected.src());
  EXPECT_TRUE(src.empty() && src.capacity() == 0);  // NOLINT(bugprone-use-after-move): freed
}

TEST(CsrGraph, CountsSelfLoops) {
  const CsrGraph kept = build_csr(5, kSrc, kDst);
  EXPECT_EQ(kept.num_self_loops(), 2);
  EXPECT_FALSE(kept.has_one_self_loop_per_node());
  const CsrGraph added =
      build_csr(5, kSrc, kDst, options(false, Duplicates::kKeep, SelfLoops::kAdd));
  EXPECT_EQ(added.num_self_loops(), 5);
  EXPECT_TRUE(added.has_one_self_loop_per_node());
  EXPECT_EQ(build_csr(5, kSrc, kDst, options(false, Duplicates::kKeep, SelfLoops::kRemove))
                .num_self_loops(),
            0);
}

}  // namespace
}  // namespace gat
