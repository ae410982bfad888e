#pragma once
// Node orders for locality. A GAT layer gathers, for every in-edge j→i, row j of an (N, H·F)
// matrix: when the ids of a node's neighbours are scattered over [0, N), every gather is a
// cache miss once the matrix outgrows the cache (PubMed's (N, 64) floats are 5 MB). Numbering
// the nodes so that neighbours get nearby ids turns those misses into hits. Reverse
// Cuthill–McKee (Cuthill & McKee, 1969; George, 1971) is the classic such numbering: a
// breadth-first search whose levels are numbered one after another, so every edge joins ids
// at most two levels apart. A GAT is equivariant under a renumbering of the nodes: the same
// weights apply to the graph in any order, and a model trained in one order predicts in any
// other; only the seeded draws (dropout, keyed by node id) and the order of each
// neighbourhood's sums change. Shapes: N nodes, E edges (CSR slots).

#include <span>
#include <string>
#include <vector>

#include "gat/core/types.hpp"
#include "gat/graph/csr.hpp"

namespace gat {

/// How the nodes of a graph are numbered for training.
enum class NodeOrder {
  kFile,  // as loaded (the order of the files, or of the caller's arrays)
  kRcm,   // reverse Cuthill–McKee (rcm_order)
};

/// @brief The name of an order as the command line spells it: "file", "rcm".
const char* to_string(NodeOrder order);

/// @brief The order a name ("file", "rcm") spells; throws gat::Error listing the choices.
NodeOrder parse_node_order(const std::string& name);

/// @brief The reverse Cuthill–McKee order of a graph: order[k] is the node that gets id k.
/// Edges are taken in both directions (a directed graph is ordered as its symmetrisation).
/// Each connected component is searched breadth-first from its unvisited node of least degree
/// (in + out; ties: the lowest id), the neighbours of a node queued by ascending degree (ties:
/// ascending id), and the whole sequence reversed. Deterministic; O(N + E log d) time on one
/// thread, O(N) memory besides the result.
std::vector<NodeId> rcm_order(const CsrGraph& graph);

/// @brief The order `method` names: the identity for kFile, rcm_order for kRcm.
std::vector<NodeId> node_order(const CsrGraph& graph, NodeOrder method);

/// @brief The inverse of an order: position[order[k]] = k. Throws gat::Error unless `order`
/// is a permutation of [0, order.size()), naming the first repeated or out-of-range entry.
std::vector<NodeId> inverse_order(std::span<const NodeId> order);

/// @brief The graph renumbered: node order[k] of `graph` becomes node k. An edge j→i becomes
/// inverse[j]→inverse[i]; each row's sources are sorted ascending (repeated edges kept), as
/// build_csr makes them. Throws gat::Error unless `order` is a permutation of [0, N).
CsrGraph permute_nodes(const CsrGraph& graph, std::span<const NodeId> order);

}  // namespace gat
