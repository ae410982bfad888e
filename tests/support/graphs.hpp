#pragma once
// Graphs shared by the ops tests: a small drawn graph with every awkward case, and a seeded
// random multigraph. Both assert the properties the tests rely on.

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "gat/core/random.hpp"
#include "gat/graph/build.hpp"

namespace gat::test {

// The graph of the gradient checks (N = 7, E = 10):
//
//   3 ──▶ 0 ──▶ 1 ◀══ 2      2→1 twice (a duplicate edge), 1→1 (a self loop)
//   ▲     ▲     │ ↺
//   │     │     ▼
//   └──── 4 ◀───┘
//         ▲
//         │
//         5 ↺                5→5 (a self loop)       6 (isolated)
//
// Node 2 has no in-edges (an empty neighbourhood); node 6 has no edges at all.
inline CsrGraph check_graph() {
  return build_csr(7, {3, 0, 1, 2, 2, 1, 4, 4, 5, 5}, {0, 1, 1, 1, 1, 4, 3, 0, 4, 5});
}

// A random multigraph: 30 edges drawn uniformly among nodes 0..10, so that self loops and
// duplicate edges occur (the tests assert it), and node 11 without edges.
inline CsrGraph random_graph(std::uint64_t seed) {
  const CounterRng rng(seed, 0, 0, 0);
  std::vector<NodeId> src, dst;
  for (std::uint64_t k = 0; k < 30; ++k) {
    src.push_back(static_cast<NodeId>(rng.bits(2 * k) % 11));
    dst.push_back(static_cast<NodeId>(rng.bits(2 * k + 1) % 11));
  }
  const CsrGraph g = build_csr(12, src, dst);
  const CsrGraph simple = build_csr(12, src, dst, {false, Duplicates::kDrop, SelfLoops::kKeep});
  EXPECT_GT(g.num_self_loops(), 0);
  EXPECT_LT(simple.num_edges(), g.num_edges()) << "no duplicate edges drawn";
  EXPECT_EQ(g.in_degree(11) + g.out_degree(11), 0);
  return g;
}

}  // namespace gat::test
