#pragma once
// Builders: a CsrGraph from an edge list, and self-loop edits of an existing graph.

#include <initializer_list>
#include <span>
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

/// @brief Builds a destination-keyed CSR from parallel arrays of edges src[k]→dst[k], such as
/// a program holds them (std::vector, or any contiguous memory through std::span; no copy of
/// the arrays is made).
/// @param num_nodes N; every id must lie in [0, N), else gat::Error names the edge.
/// @param src (M) sources, @param dst (M) destinations.
/// Within each row, sources are sorted ascending, so the result does not depend on the order
/// of the input edges. O(N + E) memory besides the result: no per-node allocation.
CsrGraph build_csr(NodeId num_nodes, std::span<const NodeId> src, std::span<const NodeId> dst,
                   const BuildOptions& options = {});

/// @brief The same from braced lists, build_csr(3, {0, 1}, {1, 2}) (without this overload, a
/// braced list, empty ones above all, would fit the span and the vector overloads alike).
inline CsrGraph build_csr(NodeId num_nodes, std::initializer_list<NodeId> src,
                          std::initializer_list<NodeId> dst, const BuildOptions& options = {}) {
  return build_csr(num_nodes, std::span<const NodeId>(src.begin(), src.size()),
                   std::span<const NodeId>(dst.begin(), dst.size()), options);
}

/// @brief The same, consuming the arrays: they are freed before the transpose is built, so a
/// graph loaded from a file never holds the edge list and the whole CSR at once.
CsrGraph build_csr(NodeId num_nodes, std::vector<NodeId>&& src, std::vector<NodeId>&& dst,
                   const BuildOptions& options = {});

/// @brief Builds the graph from a CSR keyed by source, as graph-analytics code often holds
/// it: row j lists the destinations of j's out-edges, dst[row_ptr[j] .. row_ptr[j+1]). The
/// edges are read in place, never exploded into an edge list.
/// @param row_ptr (N + 1) non-decreasing, from 0 to M; @param dst (M) each in [0, N).
CsrGraph build_csr_from_sources(NodeId num_nodes, std::span<const EdgeId> row_ptr,
                                std::span<const NodeId> dst, const BuildOptions& options = {});

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
