#pragma once
// Reader for the TU Dortmund graph-classification format (MUTAG, PTC_MR, PROTEINS, ...), and
// GraphDataset, the in-memory form of such a collection of small graphs. The format as accepted
// is documented in datasets/README.md.

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
/// made by copying ranges (see make_batch in graph/batch.hpp), never by searching.
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

  std::int64_t num_graphs() const { return static_cast<std::int64_t>(labels.size()); }
  int num_classes() const { return static_cast<int>(class_names.size()); }
  NodeId num_nodes() const { return graph.num_nodes(); }
  EdgeId num_edges() const { return graph.num_edges(); }
  /// Width of a node feature row (one-hot node label columns + node attributes).
  std::int64_t num_features() const { return node_features.cols(); }
  /// D: width of an edge feature row; 0 when the dataset has no edge labels or attributes.
  std::int64_t edge_feature_size() const { return edge_features.cols(); }
  /// Number of nodes of graph g.
  NodeId graph_size(std::int64_t g) const {
    return static_cast<NodeId>(node_offsets[g + 1] - node_offsets[g]);
  }
};

/// @brief Which optional files load_tu reads. A file that is absent is skipped whatever the
/// option says; a file whose option is off is not read at all (nor checked).
struct TuOptions {
  bool node_labels = true;      // NAME_node_labels.txt, one-hot encoded
  bool node_attributes = true;  // NAME_node_attributes.txt
  bool edge_labels = true;      // NAME_edge_labels.txt, one-hot encoded
  bool edge_attributes = true;  // NAME_edge_attributes.txt
};

/// @brief Loads the TU dataset NAME from dir: dir/NAME_A.txt, NAME_graph_indicator.txt and
/// NAME_graph_labels.txt (required), and NAME_node_labels.txt, NAME_node_attributes.txt,
/// NAME_edge_labels.txt, NAME_edge_attributes.txt where present and enabled in options.
///
/// _A.txt line k is the directed edge "row, col" (1-based node ids), stored as row → col:
/// undirected sets list both directions, and both are kept, so nothing is symmetrized here.
/// The CSR is a stable sort of the lines by (col, row): duplicate lines and self loops are
/// kept as written, and edge features follow their line into slot order.
/// Node features: the node label one-hot over the distinct values of the file (ascending), then
/// the attributes. When neither is used, every node gets the single constant feature 1, so that
/// a model still has an input. Edge features likewise, except that no edge data gives D = 0.
/// Graph labels are mapped to class indices 0..C-1 in ascending numeric order.
/// Throws gat::Error naming the file and 1-based line for every malformed input (field count,
/// non-numeric or non-finite value, node id out of range, graph indicator decreasing or skipping
/// a graph, an edge between two graphs, line counts that disagree between files, an empty file),
/// and naming the path for a required file that cannot be opened. CRLF line ends and blank lines
/// at the end of a file are accepted; a blank line before the end is an error, since line k
/// must describe node, edge or graph k.
GraphDataset load_tu(const std::string& dir, const std::string& name,
                     const TuOptions& options = {});

}  // namespace gat
