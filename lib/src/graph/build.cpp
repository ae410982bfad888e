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

// The CSR arrays of a graph under construction, before CsrGraph validates them and builds the
// transpose.
struct Rows {
  std::vector<EdgeId> row_ptr;  // (N + 1)
  std::vector<NodeId> src;      // (E')
};

// Builds the rows by counting sort, in O(N + E) besides the per-row sorts and with no per-node
// allocation: count the in-degree of each destination, prefix-sum into row_ptr, scatter every
// source into its row, then sort each row and apply the policies while compacting in place.
// The peak is the input plus 4 B per stored edge plus 8 B per node for the scatter cursors,
// so that loading a 10M-edge list costs little more than the graph it becomes.
// `for_each_edge(f)` calls f(src, dst) for every input edge, in order, after ids are checked.
template <typename ForEachEdge>
Rows build_rows(NodeId n, const ForEachEdge& for_each_edge, const BuildOptions& options) {
  const bool drop_loops = options.self_loops != SelfLoops::kKeep;
  const bool add_loops = options.self_loops == SelfLoops::kAdd;
  Rows r;
  r.row_ptr.assign(static_cast<std::size_t>(n) + 1, 0);
  for_each_edge([&](NodeId j, NodeId i) {
    if (drop_loops && i == j) return;
    ++r.row_ptr[static_cast<std::size_t>(i) + 1];
    if (options.symmetrize && i != j) ++r.row_ptr[static_cast<std::size_t>(j) + 1];
  });
  for (NodeId i = 0; i < n; ++i) r.row_ptr[i + 1] += r.row_ptr[i] + (add_loops ? 1 : 0);
  r.src.resize(static_cast<std::size_t>(r.row_ptr[n]));
  {
    std::vector<EdgeId> next(r.row_ptr.begin(), r.row_ptr.end() - 1);
    for_each_edge([&](NodeId j, NodeId i) {
      if (drop_loops && i == j) return;
      r.src[next[i]++] = j;
      if (options.symmetrize && i != j) r.src[next[j]++] = i;
    });
    if (add_loops) {
      for (NodeId i = 0; i < n; ++i) r.src[next[i]++] = i;
    }
  }
  // Sources ascending within each row, so the result does not depend on the input's edge order
  // (equal sources are indistinguishable, so an unstable sort is as stable as needed). Rows are
  // independent: the sorts run in parallel with the same result at any thread count.
#pragma omp parallel for schedule(dynamic, 1024)
  for (NodeId i = 0; i < n; ++i)
    std::sort(r.src.begin() + r.row_ptr[i], r.src.begin() + r.row_ptr[i + 1]);
  if (options.duplicates == Duplicates::kDrop) {
    EdgeId w = 0;
    EdgeId begin = 0;
    for (NodeId i = 0; i < n; ++i) {
      const EdgeId end = r.row_ptr[i + 1];
      for (EdgeId p = begin; p < end; ++p) {
        if (p == begin || r.src[p] != r.src[p - 1]) r.src[w++] = r.src[p];
      }
      begin = end;
      r.row_ptr[i + 1] = w;
    }
    if (w < static_cast<EdgeId>(r.src.size())) {
      r.src.resize(static_cast<std::size_t>(w));
      r.src.shrink_to_fit();
    }
  }
  return r;
}

void check_edge_arrays(NodeId num_nodes, std::size_t sources, std::size_t destinations) {
  GAT_CHECK(num_nodes >= 0, "build_csr: node count must be non-negative, got " << num_nodes);
  GAT_CHECK(sources == destinations, "build_csr: " << sources << " sources but " << destinations
                                                   << " destinations; they must pair up");
}

Rows rows_from_edges(NodeId num_nodes, std::span<const NodeId> src, std::span<const NodeId> dst,
                     const BuildOptions& options) {
  check_edge_arrays(num_nodes, src.size(), dst.size());
  for (std::size_t k = 0; k < src.size(); ++k) {
    GAT_CHECK(src[k] >= 0 && src[k] < num_nodes && dst[k] >= 0 && dst[k] < num_nodes,
              "build_csr: edge " << k << " (" << src[k] << " -> " << dst[k]
                                 << ") names a node outside [0, " << num_nodes << ")");
  }
  return build_rows(
      num_nodes,
      [&](const auto& f) {
        for (std::size_t k = 0; k < src.size(); ++k) f(src[k], dst[k]);
      },
      options);
}

}  // namespace

CsrGraph build_csr(NodeId num_nodes, std::span<const NodeId> src, std::span<const NodeId> dst,
                   const BuildOptions& options) {
  Rows r = rows_from_edges(num_nodes, src, dst, options);
  return CsrGraph(num_nodes, std::move(r.row_ptr), std::move(r.src));
}

CsrGraph build_csr(NodeId num_nodes, std::vector<NodeId>&& src, std::vector<NodeId>&& dst,
                   const BuildOptions& options) {
  Rows r = rows_from_edges(num_nodes, src, dst, options);
  // The edge list is freed before CsrGraph builds its transpose, so the two never coexist.
  std::vector<NodeId>().swap(src);
  std::vector<NodeId>().swap(dst);
  return CsrGraph(num_nodes, std::move(r.row_ptr), std::move(r.src));
}

CsrGraph build_csr_from_sources(NodeId num_nodes, std::span<const EdgeId> row_ptr,
                                std::span<const NodeId> dst, const BuildOptions& options) {
  GAT_CHECK(num_nodes >= 0,
            "build_csr_from_sources: node count must be non-negative, got " << num_nodes);
  GAT_CHECK(row_ptr.size() == static_cast<std::size_t>(num_nodes) + 1,
            "build_csr_from_sources: row_ptr must have N + 1 = "
                << num_nodes + 1 << " entries, got " << row_ptr.size());
  GAT_CHECK(row_ptr.front() == 0 && row_ptr.back() == static_cast<EdgeId>(dst.size()),
            "build_csr_from_sources: row_ptr must run from 0 to the number of destinations ("
                << dst.size() << "), got " << row_ptr.front() << " .. " << row_ptr.back());
  for (NodeId j = 0; j < num_nodes; ++j) {
    GAT_CHECK(row_ptr[j] <= row_ptr[j + 1],
              "build_csr_from_sources: row_ptr must be "
              "non-decreasing, but row_ptr["
                  << j << "] = " << row_ptr[j] << " > row_ptr[" << j + 1
                  << "] = " << row_ptr[j + 1]);
  }
  for (std::size_t p = 0; p < dst.size(); ++p) {
    GAT_CHECK(dst[p] >= 0 && dst[p] < num_nodes, "build_csr_from_sources: destination "
                                                     << dst[p] << " at slot " << p
                                                     << " is outside [0, " << num_nodes << ")");
  }
  Rows r = build_rows(
      num_nodes,
      [&](const auto& f) {
        for (NodeId j = 0; j < num_nodes; ++j) {
          for (EdgeId p = row_ptr[j]; p < row_ptr[j + 1]; ++p) f(j, dst[p]);
        }
      },
      options);
  return CsrGraph(num_nodes, std::move(r.row_ptr), std::move(r.src));
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
