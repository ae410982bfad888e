#include "gat/data/dataset.hpp"

#include <algorithm>
#include <cstddef>
#include <type_traits>
#include <utility>

#include "gat/core/error.hpp"
#include "gat/graph/order.hpp"

namespace gat {
namespace {

// Row k of the result is row order[k] of m; columns and values of each row as they were.
SparseMatrix<float> permute_rows(const SparseMatrix<float>& m, std::span<const NodeId> order) {
  SparseMatrix<float> out;
  out.rows = m.rows;
  out.cols = m.cols;
  out.row_ptr.assign(static_cast<std::size_t>(m.rows) + 1, 0);
  for (std::int64_t k = 0; k < m.rows; ++k) {
    const NodeId r = order[k];
    out.row_ptr[k + 1] = out.row_ptr[k] + (m.row_ptr[r + 1] - m.row_ptr[r]);
  }
  out.col.resize(m.col.size());
  out.val.resize(m.val.size());
#pragma omp parallel for schedule(static, 1024)
  for (std::int64_t k = 0; k < m.rows; ++k) {
    const NodeId r = order[k];
    std::copy(m.col.begin() + m.row_ptr[r], m.col.begin() + m.row_ptr[r + 1],
              out.col.begin() + out.row_ptr[k]);
    std::copy(m.val.begin() + m.row_ptr[r], m.val.begin() + m.row_ptr[r + 1],
              out.val.begin() + out.row_ptr[k]);
  }
  return out;
}

// The same nodes under their new ids, ascending (the order every split is kept in).
void renumber(std::vector<NodeId>& nodes, const std::vector<NodeId>& position) {
  for (NodeId& v : nodes) v = position[v];
  std::sort(nodes.begin(), nodes.end());
}

}  // namespace

Dataset reorder_nodes(Dataset data, std::span<const NodeId> order) {
  const NodeId n = data.num_nodes();
  GAT_CHECK(static_cast<NodeId>(order.size()) == n,
            "reorder_nodes: " << order.size() << " entries in the order for a dataset of " << n
                              << " nodes; an order lists every node once");
  const std::vector<NodeId> position = inverse_order(order);
  // Everything is checked before anything is renumbered, so an error leaves no half-renumbered
  // dataset behind (the caller's own, when it passed a copy, is untouched either way).
  const auto check_rows = [&](std::int64_t rows, const char* what) {
    GAT_CHECK(rows == n, "reorder_nodes: " << what << " has " << rows << " rows for " << n
                                           << " nodes; one row per node");
  };
  if (data.has_dense_features()) check_rows(data.dense_features.rows(), "dense_features");
  if (data.features.rows > 0 || data.features.nnz() > 0) {
    check_rows(data.features.rows, "features");
    validate(data.features);  // its offsets are followed below
  }
  if (!data.labels.empty()) check_rows(static_cast<std::int64_t>(data.labels.size()), "labels");
  if (!data.node_names.empty()) {
    check_rows(static_cast<std::int64_t>(data.node_names.size()), "node_names");
  }
  for (const std::vector<NodeId>* split : {&data.train, &data.val, &data.test}) {
    for (const NodeId v : *split) {
      GAT_CHECK(v >= 0 && v < n,
                "reorder_nodes: split node " << v << " is outside the node ids [0, " << n << ")");
    }
  }
  data.graph = permute_nodes(data.graph, order);
  if (data.has_dense_features()) {
    Matrix<float> dense(data.dense_features.rows(), data.dense_features.cols());
#pragma omp parallel for schedule(static, 1024)
    for (NodeId k = 0; k < n; ++k) dense.row(k) = data.dense_features.row(order[k]);
    data.dense_features = std::move(dense);
  }
  if (data.features.rows > 0 || data.features.nnz() > 0) {
    data.features = permute_rows(data.features, order);
  }
  const auto permute = [&](auto& values) {
    if (values.empty()) return;
    std::remove_reference_t<decltype(values)> out(values.size());
    for (NodeId k = 0; k < n; ++k) out[k] = std::move(values[order[k]]);
    values = std::move(out);
  };
  permute(data.labels);
  permute(data.node_names);
  renumber(data.train, position);
  renumber(data.val, position);
  renumber(data.test, position);
  return data;
}

}  // namespace gat
