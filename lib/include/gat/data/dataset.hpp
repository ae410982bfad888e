#pragma once
// Dataset: everything a node-classification run needs, independent of the file format. Readers
// (gat/io/linqs.hpp) and generators (gat/data/synthetic.hpp) produce it, or it is filled in
// memory.

#include <cstdint>
#include <string>
#include <vector>

#include "gat/core/sparse_matrix.hpp"
#include "gat/graph/csr.hpp"

namespace gat {

/// @brief A node-classification dataset: graph, sparse features, labels and split.
struct Dataset {
  std::string name;
  // N nodes; undirected (both directions stored), duplicates dropped, self loops as in the data.
  CsrGraph graph;
  SparseMatrix<float> features;          // (N, in); row-normalized unless told otherwise
  std::vector<std::int32_t> labels;      // (N) class index in [0, C)
  std::vector<std::string> class_names;  // (C) in natural order ("class2" before "class10")
  std::vector<std::string> node_names;   // (N) node ids as written in the files, file order
  std::vector<NodeId> train, val, test;  // node indices of each split, ascending

  NodeId num_nodes() const { return graph.num_nodes(); }
  int num_classes() const { return static_cast<int>(class_names.size()); }
  std::int64_t num_features() const { return features.cols; }
};

}  // namespace gat
