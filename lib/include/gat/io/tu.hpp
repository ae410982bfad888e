#pragma once
// Reader for the TU Dortmund graph-classification format (MUTAG, PTC_MR, PROTEINS, ...) into a
// GraphDataset (gat/data/graph_dataset.hpp). The format as accepted is documented in
// datasets/README.md.

#include <string>

#include "gat/data/graph_dataset.hpp"

namespace gat {

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
