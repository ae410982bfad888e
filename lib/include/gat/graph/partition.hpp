#pragma once
// Node partitions of a graph, for distributed training (gat/data/graph_part.hpp): each of P
// parts owns a set of nodes and computes their rows; the sources of its in-edges owned by other
// parts form its halo, whose rows travel between processes every layer. The partitioner decides
// how much travels: METIS k-way (Karypis & Kumar, 1998), the partitioner DistDGL and PyG use,
// keeps neighbourhoods together and balances both the nodes and the in-edges (the work of a
// layer is per edge); a random partition is the baseline it is measured against. Shapes:
// N nodes, E edges (CSR slots), P parts.

#include <cstdint>
#include <string>
#include <vector>

#include "gat/core/types.hpp"
#include "gat/graph/csr.hpp"

namespace gat {

/// How partition_nodes assigns nodes to parts.
enum class PartitionMethod {
  kMetis,   // METIS k-way: minimal edge cut, nodes and in-edges balanced
  kRandom,  // a seeded random permutation cut into P chunks (sizes differ by at most one)
};

/// @brief The name of a method as the command line spells it: "metis", "random".
const char* to_string(PartitionMethod method);

/// @brief The method a name ("metis", "random") spells; throws gat::Error listing the choices.
PartitionMethod parse_partition_method(const std::string& name);

/// @brief The part of each node: (N) values in [0, parts), every part non-empty.
/// @param graph the destination-keyed CSR as loaded (both directions of an undirected graph,
///   self loops as in the data)
/// @param parts P, in [1, N]
/// @param method kMetis: METIS_PartGraphKway on the symmetrised graph without self loops or
///   repeated edges (what METIS requires), objective edge cut, two balance constraints per node
///   (weight 1, and its in-degree in `graph`: the nodes and the edge work of a layer), METIS's
///   default tolerance of 3 % on each; METIS may leave a part empty on tiny or very
///   disconnected graphs, and then the empty part takes the highest-numbered node of the
///   largest part, so that every process has rows. kRandom: a Fisher–Yates shuffle of [0, N)
///   drawn from gat::CounterRng, cut into P consecutive chunks of ⌈N/P⌉ or ⌊N/P⌋ nodes, the
///   larger chunks first.
/// @param seed keys the draw: the same seed gives the same partition on every platform
///   (METIS's own generator is seeded from it: METIS_OPTION_SEED)
/// P = 1 gives all zeros without calling METIS. Throws gat::Error for parts outside [1, N], a
/// graph beyond METIS's index width (idx_t, IDXTYPEWIDTH bits, of the installed METIS), and any
/// error METIS returns.
std::vector<std::int32_t> partition_nodes(const CsrGraph& graph, int parts, PartitionMethod method,
                                          std::uint64_t seed = 0);

/// @brief What a partition costs: per part its nodes, in-edges and halo, and the totals.
struct PartitionStats {
  int parts = 0;                 // P
  NodeId nodes = 0;              // N
  EdgeId edges = 0;              // E, CSR slots (self loops included)
  EdgeId self_loops = 0;         // slots i→i, never cut
  std::vector<NodeId> owned;     // (P) nodes of each part
  std::vector<EdgeId> in_edges;  // (P) CSR slots of the part's rows (its edge work)
  std::vector<NodeId> halo;      // (P) distinct sources of those slots owned by other parts
  // Slots j→i, j ≠ i, whose endpoints lie in different parts (an undirected edge counts once
  // per direction stored), and their share of the slots that are not self loops (0 if none).
  EdgeId edge_cut = 0;
  double cut_fraction = 0;
  std::int64_t total_halo = 0;  // Σ halo: the rows received per layer by all parts together
  // Balance, max over mean of the parts (1 is perfect): of owned nodes and of in-edges (1 when
  // the graph has no edges).
  double node_balance = 1;
  double edge_balance = 1;
};

/// @brief The statistics of a partition of `graph`.
/// @param part (N) the part of each node, each in [0, parts)
/// Throws gat::Error if part's size is not N, parts < 1, or a value is out of range.
PartitionStats partition_stats(const CsrGraph& graph, const std::vector<std::int32_t>& part,
                               int parts);

}  // namespace gat
