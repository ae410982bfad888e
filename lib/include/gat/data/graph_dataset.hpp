#pragma once
// GraphDataset: a graph-classification dataset (a collection of small graphs) in memory,
// independent of the file format. The TU reader (gat/io/tu.hpp) produces it; make_batch
// (gat/data/batch.hpp) cuts mini-batches from it.

#include <cstdint>
#include <string>
#include <vector>

#include "gat/core/types.hpp"
#include "gat/graph/csr.hpp"

namespace gat {

/// @brief A graph-classification dataset: G small graphs stored as one disjoint union.
///
/// Graph g owns the nodes [node_offsets[g], node_offsets[g+1]). Since no edge crosses graphs and
/// the CSR is keyed by destination, graph g also owns one contiguous range of slots,
/// [graph.row_ptr()[node_offsets[g]], graph.row_ptr()[node_offsets[g+1]]): a batch of graphs is
/// made by copying ranges (see make_batch in data/batch.hpp), never by searching.
struct GraphDataset {
  std::string name;
  std::vector<EdgeId> node_offsets{0};  // (G + 1) first node of each graph, then N
  CsrGraph graph;                       // N nodes, E slots; destination-keyed disjoint union
  Matrix<float> node_features;          // (N, in) one-hot node label, then node attributes
  Matrix<float> edge_features;       // (E, D) one-hot edge label, then edge attributes; slot order
  std::vector<std::int32_t> labels;  // (G) class index in [0, C)
  std::vector<std::string> class_names;  // (C) the graph label values as written, ascending
  // The label value behind each one-hot column, ascending; empty when labels are not used.
  std::vector<std::int64_t> node_label_values;  // node_features columns [0, size)
  std::vector<std::int64_t> edge_label_values;  // edge_features columns [0, size)
  // True when node_features is the single column of ones a reader gives nodes that have no
  // data: a placeholder, not an attribute (standardising it would leave zeros, and a sum over
  // a graph's ones is its node count: something to learn from).
  bool constant_node_feature = false;

  std::int64_t num_graphs() const { return static_cast<std::int64_t>(labels.size()); }
  int num_classes() const { return static_cast<int>(class_names.size()); }
  NodeId num_nodes() const { return graph.num_nodes(); }
  EdgeId num_edges() const { return graph.num_edges(); }
  /// Width of a node feature row (one-hot node label columns + node attributes).
  std::int64_t num_features() const { return node_features.cols(); }
  /// D: width of an edge feature row; 0 when the dataset has no edge labels or attributes.
  std::int64_t edge_feature_size() const { return edge_features.cols(); }
  /// Number of continuous attribute columns of node_features (after the one-hot labels); 0
  /// for the constant placeholder.
  std::int64_t num_node_attributes() const {
    if (constant_node_feature) return 0;
    return num_features() - static_cast<std::int64_t>(node_label_values.size());
  }
  /// Number of nodes of graph g.
  NodeId graph_size(std::int64_t g) const {
    return static_cast<NodeId>(node_offsets[g + 1] - node_offsets[g]);
  }
};

/// @brief Standardises the continuous node attributes: each attribute column (those after the
/// one-hot labels) becomes (x - mean) / std over all N nodes of the dataset (a constant column
/// becomes 0). TU attributes come in their own units (ENZYMES has columns near 100 beside
/// columns near 1); summed over a graph's nodes they would swamp the one-hot labels and stall
/// training. The statistics use no graph label, so every graph may contribute; a model trained
/// on standardised features is applied to features standardised the same way.
void standardize_node_attributes(GraphDataset& data);

/// @brief Appends max_degree + 1 columns to node_features: a one-hot of each node's number of
/// neighbours (in-edges other than a self loop), capped at max_degree. Softmax attention
/// averages its neighbours and so cannot count them (Xu et al., ICLR 2019); the count given as
/// a feature restores what the structure says about a node (an atom's valence in a molecule).
/// max_degree ≥ 1, else gat::Error.
void add_degree_features(GraphDataset& data, int max_degree);

}  // namespace gat
