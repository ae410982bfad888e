#pragma once
// GraphPart: one part of a partitioned node-classification dataset, all that one process of a
// distributed run holds (gat/train/dist_trainer.hpp). The whole graph's nodes are split among
// P parts (gat/graph/partition.hpp); part k owns its nodes' rows: their in-edges (the sources
// given by global id), features, labels and split. Sources owned by another part form the
// part's halo: the rows a layer receives from their owners before it attends over the owned
// rows' in-edges. No part holds the whole graph.
//
// Distributed training must draw the single-process run's dropout masks, which are keyed by
// position in the whole graph: a node's row, an edge's slot in the destination-keyed CSR after
// the model's self-loop policy, a feature's index among the non-zeros. The part keeps what it
// takes to compute those positions for its own rows (row_start, loops_before, feature_start)
// without the rest of the graph.

#include <cstdint>
#include <string>
#include <vector>

#include "gat/core/sparse_matrix.hpp"
#include "gat/core/types.hpp"

namespace gat {

/// @brief One part of a partitioned dataset; n = owned.size() nodes.
struct GraphPart {
  std::string name;        // the dataset's name
  int part = 0;            // k, in [0, parts)
  int parts = 1;           // P
  NodeId total_nodes = 0;  // N of the whole graph
  EdgeId total_edges = 0;  // E of the whole graph as built (before any self-loop policy)
  int num_classes = 0;
  std::int64_t num_features = 0;          // in
  NodeId train_total = 0, val_total = 0;  // split sizes over all parts
  NodeId test_total = 0;

  std::vector<NodeId> owned;  // (n) global ids of the owned nodes, ascending
  // In-edges of the owned nodes, row r for owned[r], its sources (global ids) in the order of
  // the whole graph's CSR row (self loops included, as built).
  std::vector<EdgeId> row_ptr{0};    // (n + 1)
  std::vector<NodeId> src;           // (row_ptr[n]) global ids
  std::vector<EdgeId> row_start;     // (n) slot of row r's first in-edge in the whole graph's CSR
  std::vector<EdgeId> loops_before;  // (n) self-loop slots in the whole graph's rows < owned[r]

  std::vector<NodeId> halo;             // sources owned by other parts, ascending global ids
  std::vector<std::int32_t> halo_part;  // (halo) the part that owns each
  std::vector<NodeId> halo_index;       // (halo) its row in that part's `owned`

  // Features of the owned rows: sparse (n, in) with feature_start (n), the index of row r's
  // first non-zero among the whole sparse matrix's non-zeros; or dense (n, in) when
  // dense_features has columns (then `features` is unused).
  SparseMatrix<float> features;
  std::vector<EdgeId> feature_start;
  Matrix<float> dense_features;

  std::vector<std::int32_t> labels;      // (n) class of each owned node (-1: none)
  std::vector<NodeId> train, val, test;  // rows of owned nodes in each split, ascending

  NodeId num_owned() const { return static_cast<NodeId>(owned.size()); }
  bool has_dense_features() const { return dense_features.cols() > 0; }
};

}  // namespace gat
