#include "gat/graph/build.hpp"

#include <algorithm>

#include "gat/core/error.hpp"

namespace gat {
namespace {

// Rows as (dst → list of sources), sorted within each row, then the policies applied.
CsrGraph assemble(NodeId n, std::vector<std::vector<NodeId>>& rows, Duplicates duplicates,
                  SelfLoops self_loops) {
  std::vector<EdgeId> row_ptr(static_cast<std::size_t>(n) + 1, 0);
  std::vector<NodeId> src;
  for (NodeId i = 0; i < n; ++i) {
    auto& row = rows[i];
    if (self_loops != SelfLoops::kKeep) {
      row.erase(std::remove(row.begin(), row.end(), i), row.end());
      if (self_loops == SelfLoops::kAdd) row.push_back(i);
    }
    std::stable_sort(row.begin(), row.end());
    if (duplicates == Duplicates::kDrop) row.erase(std::unique(row.begin(), row.end()), row.end());
    src.insert(src.end(), row.begin(), row.end());
    row_ptr[i + 1] = static_cast<EdgeId>(src.size());
    std::vector<NodeId>().swap(row);
  }
  return CsrGraph(n, std::move(row_ptr), std::move(src));
}

}  // namespace

CsrGraph build_csr(NodeId num_nodes, const std::vector<NodeId>& src, const std::vector<NodeId>& dst,
                   const BuildOptions& options) {
  GAT_CHECK(num_nodes >= 0, "build_csr: node count must be non-negative, got " << num_nodes);
  GAT_CHECK(src.size() == dst.size(), "build_csr: " << src.size() << " sources but " << dst.size()
                                                    << " destinations; they must pair up");
  std::vector<std::vector<NodeId>> rows(num_nodes);
  for (std::size_t k = 0; k < src.size(); ++k) {
    GAT_CHECK(src[k] >= 0 && src[k] < num_nodes && dst[k] >= 0 && dst[k] < num_nodes,
              "build_csr: edge " << k << " (" << src[k] << " -> " << dst[k]
                                 << ") names a node outside [0, " << num_nodes << ")");
    rows[dst[k]].push_back(src[k]);
    if (options.symmetrize && src[k] != dst[k]) rows[src[k]].push_back(dst[k]);
  }
  return assemble(num_nodes, rows, options.duplicates, options.self_loops);
}

CsrGraph apply_self_loops(const CsrGraph& graph, SelfLoops policy) {
  if (policy == SelfLoops::kKeep) return graph;
  const NodeId n = graph.num_nodes();
  std::vector<std::vector<NodeId>> rows(n);
  for (NodeId i = 0; i < n; ++i) {
    rows[i].assign(graph.src().begin() + graph.row_ptr()[i],
                   graph.src().begin() + graph.row_ptr()[i + 1]);
  }
  return assemble(n, rows, Duplicates::kKeep, policy);
}

}  // namespace gat
