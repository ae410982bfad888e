#pragma once
// Graphs shared by the ops tests: small drawn graphs with every awkward case, for gradient
// checks and hand-computed values, and seeded random multigraphs. The random ones assert the
// properties the tests rely on where they promise them.

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

// The graph of the hand-computed edge-score tests (edge_dot, edge_additive; N = 4, E = 5):
//
//   0 ◀──▶ 1 ◀══ 2 ↺      2→1 twice (a duplicate edge), 2→2 (a self loop)
//                          3 isolated: no in-edges (an empty row) and no out-edges
//
//   slot:   0    1    2    3    4      rows by destination: 0 ← {1}, 1 ← {0, 2, 2}, 2 ← {2}
//   edge:  1→0  0→1  2→1  2→1  2→2
inline CsrGraph small_score_graph() { return CsrGraph(4, {0, 1, 4, 5, 5}, {1, 0, 2, 2, 2}); }

// The graph of the hand-computed aggregation tests (aggregate, aggregate_channels; N = 4,
// E = 5):
//
//   0 ◀── 1 ══▶ 2 ↺      1→2 twice (a duplicate edge), 2→2 (a self loop)
//   │           ▲
//   └───────────┘        0→2
//
//   3 (isolated)
//
//   slot:   0    1    2    3    4        rows by destination: 0 ← {1}, 1 ← {}, 2 ← {0, 1, 1, 2}
//   edge:  1→0  0→2  1→2  1→2  2→2
inline CsrGraph small_aggregate_graph() { return build_csr(4, {1, 0, 1, 1, 2}, {0, 2, 2, 2, 2}); }

// A random multigraph on `num_nodes` nodes: `num_edges` edges whose ends are drawn uniformly
// among nodes 0..active_nodes-1 (edge k from counters 2k and 2k + 1 of CounterRng(seed, 0, 0,
// 0)), so that nodes from `active_nodes` on have no edges, then built with `options`.
inline CsrGraph random_multigraph(std::uint64_t seed, NodeId num_nodes, NodeId active_nodes,
                                  std::uint64_t num_edges, const BuildOptions& options = {}) {
  const CounterRng rng(seed, 0, 0, 0);
  const auto active = static_cast<std::uint64_t>(active_nodes);
  std::vector<NodeId> src, dst;
  for (std::uint64_t k = 0; k < num_edges; ++k) {
    src.push_back(static_cast<NodeId>(rng.bits(2 * k) % active));
    dst.push_back(static_cast<NodeId>(rng.bits(2 * k + 1) % active));
  }
  return build_csr(num_nodes, src, dst, options);
}

// A random multigraph: 30 edges drawn uniformly among nodes 0..10, so that self loops and
// duplicate edges occur (the tests assert it), and node 11 without edges.
inline CsrGraph random_graph(std::uint64_t seed) {
  const CsrGraph g = random_multigraph(seed, 12, 11, 30);
  const CsrGraph simple =
      random_multigraph(seed, 12, 11, 30, {false, Duplicates::kDrop, SelfLoops::kKeep});
  EXPECT_GT(g.num_self_loops(), 0);
  EXPECT_LT(simple.num_edges(), g.num_edges()) << "no duplicate edges drawn";
  EXPECT_EQ(g.in_degree(11) + g.out_degree(11), 0);
  return g;
}

// A random multigraph on 2000 nodes for the thread-count tests: eight kRowChunk = 256 chunks,
// so many rows per thread and partial chunks at the end; 8 in-edges per node on average among
// nodes 0..1949, so duplicates and self loops occur, and nodes 1950..1999 without edges.
inline CsrGraph big_random_graph(std::uint64_t seed) {
  return random_multigraph(seed, 2000, 1950, 8 * 1950);
}

}  // namespace gat::test
