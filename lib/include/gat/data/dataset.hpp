#pragma once
// Dataset: everything a node-classification run needs, independent of the file format. Readers
// (gat/io/linqs.hpp) and generators (gat/data/synthetic.hpp) produce it, or it is filled in
// memory.

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "gat/core/sparse_matrix.hpp"
#include "gat/data/features.hpp"
#include "gat/graph/csr.hpp"

namespace gat {

/// @brief A node-classification dataset: graph, features (sparse or dense), labels and split.
struct Dataset {
  std::string name;
  // N nodes; undirected (both directions stored), duplicates dropped, self loops as in the data.
  CsrGraph graph;
  SparseMatrix<float> features;  // (N, in); row-normalized unless told otherwise
  // (N, in) dense features, for data that is dense (arrays, embeddings): stored as they are
  // rather than as a sparse matrix twice their size. When it has columns, `features` is unused.
  Matrix<float> dense_features;
  std::vector<std::int32_t> labels;      // (N) class index in [0, C)
  std::vector<std::string> class_names;  // (C) in natural order ("class2" before "class10")
  std::vector<std::string> node_names;   // (N) node ids as written in the files, file order
  std::vector<NodeId> train, val, test;  // node indices of each split, ascending

  NodeId num_nodes() const { return graph.num_nodes(); }
  int num_classes() const { return static_cast<int>(class_names.size()); }
  bool has_dense_features() const { return dense_features.cols() > 0; }
  std::int64_t num_features() const {
    return has_dense_features() ? dense_features.cols() : features.cols;
  }
  /// @brief Stored feature entries: the non-zeros of sparse features, N·in for dense ones.
  std::int64_t feature_entries() const {
    return has_dense_features() ? dense_features.size() : features.nnz();
  }
  /// @brief The features the trainers read: dense_features when set, else features.
  FeatureView feature_view() const {
    return has_dense_features() ? FeatureView(dense_features) : FeatureView(features);
  }
};

/// @brief The dataset with its nodes renumbered (gat/graph/order.hpp): node order[k] becomes
/// node k. The graph (permute_nodes), the feature rows, labels and node_names (when present)
/// move with their nodes; the split lists the same nodes under their new ids, ascending.
/// Results computed on the result map back through `order`: row k belongs to the node that
/// was order[k] (with node_names, to the node named node_names[k]). Takes the dataset by value
/// so that a moved-in one is permuted piece by piece, never held twice whole. Throws
/// gat::Error, before renumbering anything, unless `order` is a permutation of [0, N) and
/// every member has one row per node (empty labels and names are allowed) and every split
/// entry is a node id.
Dataset reorder_nodes(Dataset data, std::span<const NodeId> order);

}  // namespace gat
