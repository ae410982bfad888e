#pragma once
// Builders: a CsrGraph from an edge list, and self-loop edits of an existing graph.

#include <string>
#include <vector>

#include "gat/core/types.hpp"
#include "gat/graph/csr.hpp"

namespace gat {

/// What to do with repeated (src, dst) pairs.
enum class Duplicates { kKeep, kDrop };
/// What to do with edges i→i: keep what the input has, remove all, or remove all and
/// add exactly one per node (what GAT layers want: every node attends to itself).
enum class SelfLoops { kKeep, kRemove, kAdd };

/// @brief "keep", "remove" or "add".
const char* to_string(SelfLoops policy);
/// @brief The policy named "add", "keep" or "remove"; throws gat::Error listing the choices.
SelfLoops parse_self_loops(const std::string& name);

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

/// @brief apply_self_loops that also reports, for each slot of the result, the slot of the
/// same edge in `graph`, or -1 for a self loop the policy added.
/// @param origin (E') filled when not null.
CsrGraph apply_self_loops(const CsrGraph& graph, SelfLoops policy, std::vector<EdgeId>* origin);

/// The edge features a self loop added by a layer receives.
enum class EdgeFill {
  kMean,     // mean of the node's incoming (non-loop) edge features, zero if it has none
  kConstant  // every entry set to EdgeFillOptions::value
};

/// @brief How added self loops get their edge features.
struct EdgeFillOptions {
  EdgeFill kind = EdgeFill::kMean;
  double value = 0.0;  // for kConstant
};

/// @brief Edge features moved from graph `from` to `to` = apply_self_loops(from, ..., &origin):
/// slot q of `to` takes row origin[q] of `features`, or the fill for an added loop.
/// @param features (E, D) in `from`'s slot order; returns (E', D) in `to`'s slot order.
template <typename T>
Matrix<T> carry_edge_features(const CsrGraph& from, const CsrGraph& to,
                              const std::vector<EdgeId>& origin, MatrixCRef<T> features,
                              const EdgeFillOptions& fill);

}  // namespace gat
