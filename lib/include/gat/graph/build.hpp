#pragma once
// Builders: a CsrGraph from an edge list, and self-loop edits of an existing graph.

#include <vector>

#include "gat/graph/csr.hpp"

namespace gat {

/// What to do with repeated (src, dst) pairs.
enum class Duplicates { kKeep, kDrop };
/// What to do with edges i→i: keep what the input has, remove all, or remove all and
/// add exactly one per node (what GAT layers want: every node attends to itself).
enum class SelfLoops { kKeep, kRemove, kAdd };

/// @brief Options for build_csr.
struct BuildOptions {
  bool symmetrize = false;  // also add j→i for every i→j (undirected graphs)
  Duplicates duplicates = Duplicates::kKeep;
  SelfLoops self_loops = SelfLoops::kKeep;
};

/// @brief Builds a destination-keyed CSR from parallel arrays of edges src[k]→dst[k].
/// @param num_nodes N; every id must lie in [0, N), else gat::Error names the edge.
/// @param src (M) sources, @param dst (M) destinations.
/// Within each row, sources are sorted ascending (stable for kept duplicates), so the
/// result does not depend on the order of the input edges.
CsrGraph build_csr(NodeId num_nodes, const std::vector<NodeId>& src, const std::vector<NodeId>& dst,
                   const BuildOptions& options = {});

/// @brief The same graph with self loops handled by policy (kKeep returns a copy).
CsrGraph apply_self_loops(const CsrGraph& graph, SelfLoops policy);

}  // namespace gat
