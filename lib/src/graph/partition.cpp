#include "gat/graph/partition.hpp"

#include <metis.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "gat/core/error.hpp"
#include "gat/core/random.hpp"

namespace gat {
namespace {

// Keys the random permutation's stream, apart from the training's streams (gat/core/random.hpp):
// the layer field holds "part" in ASCII.
constexpr std::uint64_t kPartitionLayer = 0x70617274;

void check_parts(const CsrGraph& graph, int parts) {
  GAT_CHECK(parts >= 1, "the number of parts must be at least 1, got " << parts);
  GAT_CHECK(parts <= graph.num_nodes(), "cannot split a graph of "
                                            << graph.num_nodes() << " nodes into " << parts
                                            << " parts: give at most one part per node");
}

// ---------------------------------------------------------------------------------------------
// Random: a uniform permutation (Fisher–Yates, each swap drawn from the counter-based generator
// at its own index, so the result depends on the seed alone, not on a standard library's
// distribution), cut into P chunks whose sizes differ by at most one.

std::vector<std::int32_t> random_partition(NodeId n, int parts, std::uint64_t seed) {
  const CounterRng rng(seed, 0, kPartitionLayer, kStreamShuffle);
  std::vector<NodeId> order(static_cast<std::size_t>(n));
  for (NodeId i = 0; i < n; ++i) order[i] = i;
  for (NodeId i = n - 1; i > 0; --i) {
    // uniform() has 53 random bits: over at most 2^31 choices the bias is below 2^-22.
    auto j = static_cast<NodeId>(rng.uniform(static_cast<std::uint64_t>(i)) * double(i + 1));
    j = std::min(j, i);
    std::swap(order[i], order[j]);
  }
  // Chunk c holds positions [start(c), start(c + 1)): the first n % P chunks one node more.
  const NodeId base = n / parts;
  const NodeId extra = n % parts;
  std::vector<std::int32_t> part(static_cast<std::size_t>(n));
  NodeId pos = 0;
  for (int c = 0; c < parts; ++c) {
    const NodeId size = base + (c < extra ? 1 : 0);
    for (NodeId r = 0; r < size; ++r) part[order[pos + r]] = c;
    pos += size;
  }
  return part;
}

// ---------------------------------------------------------------------------------------------
// METIS

const char* metis_status(int status) {
  switch (status) {
    case METIS_ERROR_INPUT:
      return "METIS refused its input (METIS_ERROR_INPUT)";
    case METIS_ERROR_MEMORY:
      return "METIS ran out of memory (METIS_ERROR_MEMORY)";
    default:
      return "METIS failed (METIS_ERROR)";
  }
}

// METIS wants an undirected graph: each edge stored in both directions, no self loops, no
// repeated neighbours. The loaded graph may be directed, or hold loops and repeats (an edge list
// as read), so node i's neighbours are its in-sources and out-destinations, sorted and made
// unique, without i. Every count must fit METIS's idx_t (32-bit in Debian's build).
struct MetisGraph {
  std::vector<idx_t> xadj;    // (N + 1)
  std::vector<idx_t> adjncy;  // (xadj[N]) neighbours
  std::vector<idx_t> vwgt;    // (2·N) per node: 1, in-degree
};

MetisGraph metis_graph(const CsrGraph& graph) {
  constexpr auto kMax = static_cast<std::int64_t>(std::numeric_limits<idx_t>::max());
  const NodeId n = graph.num_nodes();
  // The in-degree weights sum to E; METIS adds weights in idx_t.
  GAT_CHECK(graph.num_edges() <= kMax,
            "the graph has " << graph.num_edges() << " edges, more than the installed METIS can "
                             << "partition (its idx_t has " << IDXTYPEWIDTH
                             << " bits; build METIS with IDXTYPEWIDTH 64, or use --method random)");
  const auto& row_ptr = graph.row_ptr();
  const auto& src = graph.src();
  const CsrTranspose& t = graph.transpose();
  MetisGraph m;
  m.xadj.resize(static_cast<std::size_t>(n) + 1);
  m.vwgt.resize(2 * static_cast<std::size_t>(n));
  std::vector<NodeId> scratch;
  m.xadj[0] = 0;
  for (NodeId i = 0; i < n; ++i) {
    scratch.assign(src.begin() + row_ptr[i], src.begin() + row_ptr[i + 1]);
    scratch.insert(scratch.end(), t.dst.begin() + t.row_ptr[i], t.dst.begin() + t.row_ptr[i + 1]);
    std::sort(scratch.begin(), scratch.end());
    scratch.erase(std::unique(scratch.begin(), scratch.end()), scratch.end());
    for (const NodeId j : scratch) {
      if (j != i) m.adjncy.push_back(static_cast<idx_t>(j));
    }
    GAT_CHECK(static_cast<std::int64_t>(m.adjncy.size()) <= kMax,
              "the symmetrised graph has more than " << kMax << " adjacency entries, beyond the "
                                                     << "installed METIS (its idx_t has "
                                                     << IDXTYPEWIDTH << " bits; use --method "
                                                     << "random, or a METIS built with "
                                                     << "IDXTYPEWIDTH 64)");
    m.xadj[static_cast<std::size_t>(i) + 1] = static_cast<idx_t>(m.adjncy.size());
    m.vwgt[2 * static_cast<std::size_t>(i)] = 1;
    m.vwgt[2 * static_cast<std::size_t>(i) + 1] = static_cast<idx_t>(graph.in_degree(i));
  }
  return m;
}

std::vector<std::int32_t> metis_partition(const CsrGraph& graph, int parts, std::uint64_t seed) {
  const NodeId n = graph.num_nodes();
  MetisGraph m = metis_graph(graph);
  idx_t nvtxs = n;
  // Two constraints, nodes and in-edges; a graph without edges has no edge work to balance,
  // and METIS would divide by its zero total.
  idx_t ncon = graph.num_edges() > 0 ? 2 : 1;
  if (ncon == 1) {
    for (NodeId i = 0; i < n; ++i) m.vwgt[i] = 1;
    m.vwgt.resize(static_cast<std::size_t>(n));
  }
  idx_t nparts = parts;
  idx_t objval = 0;
  std::vector<idx_t> where(static_cast<std::size_t>(n), 0);
  idx_t options[METIS_NOPTIONS];
  METIS_SetDefaultOptions(options);
  options[METIS_OPTION_OBJTYPE] = METIS_OBJTYPE_CUT;
  options[METIS_OPTION_NUMBERING] = 0;
  // Every 64-bit seed reaches METIS, folded into idx_t's non-negative range.
  options[METIS_OPTION_SEED] = static_cast<idx_t>(mix64(seed) >> (65 - IDXTYPEWIDTH));
  const int status =
      METIS_PartGraphKway(&nvtxs, &ncon, m.xadj.data(), m.adjncy.data(), m.vwgt.data(), nullptr,
                          nullptr, &nparts, nullptr, nullptr, options, &objval, where.data());
  GAT_CHECK(status == METIS_OK, metis_status(status)
                                    << " partitioning " << n << " nodes into " << parts
                                    << " parts; --method random needs no METIS");
  std::vector<std::int32_t> part(static_cast<std::size_t>(n));
  std::vector<NodeId> size(static_cast<std::size_t>(parts), 0);
  for (NodeId i = 0; i < n; ++i) {
    GAT_CHECK(where[i] >= 0 && where[i] < parts, "METIS returned part " << where[i] << " for node "
                                                                        << i << ", outside [0, "
                                                                        << parts << ")");
    part[i] = static_cast<std::int32_t>(where[i]);
    ++size[part[i]];
  }
  // An empty part would leave a process without rows: it takes the highest-numbered node of the
  // largest part (deterministic; tiny graphs only, where the balance hardly matters).
  for (int k = 0; k < parts; ++k) {
    if (size[k] > 0) continue;
    const auto largest =
        static_cast<std::int32_t>(std::max_element(size.begin(), size.end()) - size.begin());
    for (NodeId i = n - 1; i >= 0; --i) {
      if (part[i] == largest) {
        part[i] = k;
        break;
      }
    }
    --size[largest];
    ++size[k];
  }
  return part;
}

}  // namespace

const char* to_string(PartitionMethod method) {
  switch (method) {
    case PartitionMethod::kMetis:
      return "metis";
    case PartitionMethod::kRandom:
      return "random";
  }
  return "?";
}

PartitionMethod parse_partition_method(const std::string& name) {
  if (name == "metis") return PartitionMethod::kMetis;
  if (name == "random") return PartitionMethod::kRandom;
  GAT_FAIL("unknown partition method '" << name << "'; choose one of metis, random");
}

std::vector<std::int32_t> partition_nodes(const CsrGraph& graph, int parts, PartitionMethod method,
                                          std::uint64_t seed) {
  check_parts(graph, parts);
  if (parts == 1) return std::vector<std::int32_t>(static_cast<std::size_t>(graph.num_nodes()), 0);
  switch (method) {
    case PartitionMethod::kMetis:
      return metis_partition(graph, parts, seed);
    case PartitionMethod::kRandom:
      return random_partition(graph.num_nodes(), parts, seed);
  }
  GAT_FAIL("unknown partition method " << static_cast<int>(method));
}

PartitionStats partition_stats(const CsrGraph& graph, const std::vector<std::int32_t>& part,
                               int parts) {
  const NodeId n = graph.num_nodes();
  GAT_CHECK(parts >= 1, "the number of parts must be at least 1, got " << parts);
  GAT_CHECK(part.size() == static_cast<std::size_t>(n),
            "the partition has " << part.size() << " entries for a graph of " << n << " nodes");
  for (NodeId i = 0; i < n; ++i) {
    GAT_CHECK(part[i] >= 0 && part[i] < parts,
              "node " << i << " is in part " << part[i] << ", outside [0, " << parts << ")");
  }
  PartitionStats st;
  st.parts = parts;
  st.nodes = n;
  st.edges = graph.num_edges();
  st.self_loops = graph.num_self_loops();
  st.owned.assign(static_cast<std::size_t>(parts), 0);
  st.in_edges.assign(static_cast<std::size_t>(parts), 0);
  st.halo.assign(static_cast<std::size_t>(parts), 0);
  const auto& row_ptr = graph.row_ptr();
  const auto& src = graph.src();
  // A source counts once per part that needs it: seen[j] is the last part that counted j, and
  // the rows are visited part by part (nodes grouped by a counting sort) so that it suffices.
  std::vector<NodeId> start(static_cast<std::size_t>(parts) + 1, 0);
  for (NodeId i = 0; i < n; ++i) ++start[part[i] + 1];
  for (int k = 0; k < parts; ++k) start[k + 1] += start[k];
  std::vector<NodeId> by_part(static_cast<std::size_t>(n));
  std::vector<NodeId> next(start.begin(), start.end() - 1);
  for (NodeId i = 0; i < n; ++i) by_part[next[part[i]]++] = i;
  std::vector<std::int32_t> seen(static_cast<std::size_t>(n), -1);
  for (int k = 0; k < parts; ++k) {
    st.owned[k] = start[k + 1] - start[k];
    for (NodeId r = start[k]; r < start[k + 1]; ++r) {
      const NodeId i = by_part[r];
      st.in_edges[k] += row_ptr[i + 1] - row_ptr[i];
      for (EdgeId s = row_ptr[i]; s < row_ptr[i + 1]; ++s) {
        const NodeId j = src[s];
        if (part[j] == k) continue;
        ++st.edge_cut;
        if (seen[j] != k) {
          seen[j] = k;
          ++st.halo[k];
        }
      }
    }
    st.total_halo += st.halo[k];
  }
  const EdgeId cuttable = st.edges - st.self_loops;
  st.cut_fraction = cuttable > 0 ? double(st.edge_cut) / double(cuttable) : 0.0;
  const double mean_nodes = double(n) / parts;
  const double mean_edges = double(st.edges) / parts;
  st.node_balance = mean_nodes > 0
                        ? double(*std::max_element(st.owned.begin(), st.owned.end())) / mean_nodes
                        : 1.0;
  st.edge_balance =
      mean_edges > 0
          ? double(*std::max_element(st.in_edges.begin(), st.in_edges.end())) / mean_edges
          : 1.0;
  return st;
}

}  // namespace gat
