#include "gat/graph/build.hpp"

#include <algorithm>

#include "gat/core/error.hpp"

namespace gat {

const char* to_string(SelfLoops policy) {
  switch (policy) {
    case SelfLoops::kKeep:
      return "keep";
    case SelfLoops::kRemove:
      return "remove";
    case SelfLoops::kAdd:
      return "add";
  }
  return "?";
}

SelfLoops parse_self_loops(const std::string& name) {
  for (const auto v : {SelfLoops::kAdd, SelfLoops::kKeep, SelfLoops::kRemove}) {
    if (name == to_string(v)) return v;
  }
  GAT_FAIL("unknown self-loop policy '" << name << "'; choose one of add, keep, remove");
}

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
  return apply_self_loops(graph, policy, nullptr);
}

CsrGraph apply_self_loops(const CsrGraph& graph, SelfLoops policy, std::vector<EdgeId>* origin) {
  const NodeId n = graph.num_nodes();
  if (policy == SelfLoops::kKeep) {
    if (origin) {
      origin->resize(static_cast<std::size_t>(graph.num_edges()));
      for (EdgeId p = 0; p < graph.num_edges(); ++p) (*origin)[p] = p;
    }
    return graph;
  }
  // Each row as (source, old slot) pairs: loops removed, one added with old slot -1 for kAdd,
  // then stably sorted by source, as build_csr orders rows.
  std::vector<EdgeId> row_ptr(static_cast<std::size_t>(n) + 1, 0);
  std::vector<NodeId> src;
  std::vector<EdgeId> from;
  std::vector<std::pair<NodeId, EdgeId>> row;
  for (NodeId i = 0; i < n; ++i) {
    row.clear();
    for (EdgeId p = graph.row_ptr()[i]; p < graph.row_ptr()[i + 1]; ++p) {
      if (graph.src()[p] != i) row.emplace_back(graph.src()[p], p);
    }
    if (policy == SelfLoops::kAdd) row.emplace_back(i, EdgeId{-1});
    std::stable_sort(row.begin(), row.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    for (const auto& [j, p] : row) {
      src.push_back(j);
      from.push_back(p);
    }
    row_ptr[i + 1] = static_cast<EdgeId>(src.size());
  }
  if (origin) *origin = std::move(from);
  return CsrGraph(n, std::move(row_ptr), std::move(src));
}

template <typename T>
Matrix<T> carry_edge_features(const CsrGraph& from, const CsrGraph& to,
                              const std::vector<EdgeId>& origin, MatrixCRef<T> features,
                              const EdgeFillOptions& fill) {
  GAT_CHECK(features.rows() == from.num_edges(),
            "edge features have " << features.rows() << " rows but the graph has "
                                  << from.num_edges() << " edges; they must be in slot order");
  GAT_CHECK(
      static_cast<EdgeId>(origin.size()) == to.num_edges() && from.num_nodes() == to.num_nodes(),
      "carry_edge_features: origin does not describe the new graph");
  const Eigen::Index d = features.cols();
  Matrix<T> out(to.num_edges(), d);
  Matrix<T> mean(1, d);
  for (NodeId i = 0; i < to.num_nodes(); ++i) {
    for (EdgeId q = to.row_ptr()[i]; q < to.row_ptr()[i + 1]; ++q) {
      const EdgeId p = origin[q];
      if (p >= 0) {
        out.row(q) = features.row(p);
      } else if (fill.kind == EdgeFill::kConstant) {
        out.row(q).setConstant(T(fill.value));
      } else {
        // Mean of i's incoming non-loop edges (PyG's fill_value='mean'); zero when none.
        mean.setZero();
        EdgeId count = 0;
        for (EdgeId r = from.row_ptr()[i]; r < from.row_ptr()[i + 1]; ++r) {
          if (from.src()[r] == i) continue;
          mean += features.row(r);
          ++count;
        }
        if (count > 0) mean /= T(count);
        out.row(q) = mean;
      }
    }
  }
  return out;
}

template Matrix<float> carry_edge_features<float>(const CsrGraph&, const CsrGraph&,
                                                  const std::vector<EdgeId>&, MatrixCRef<float>,
                                                  const EdgeFillOptions&);
template Matrix<double> carry_edge_features<double>(const CsrGraph&, const CsrGraph&,
                                                    const std::vector<EdgeId>&, MatrixCRef<double>,
                                                    const EdgeFillOptions&);

}  // namespace gat
