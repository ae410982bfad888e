#pragma once
// GraphBatch: a mini-batch of small graphs as one disjoint union, the way graph-classification
// models consume them. Layers run on the union as on any graph (no edge crosses graphs, so no
// message leaks between them), and a readout pools each graph's node range
// [node_offsets[b], node_offsets[b+1]), e.g. with ops::segment_softmax_forward.

#include <cstdint>
#include <vector>

#include "gat/core/types.hpp"
#include "gat/data/graph_dataset.hpp"
#include "gat/graph/csr.hpp"

namespace gat {

/// @brief G_b graphs of a GraphDataset, copied into one graph with nodes renumbered 0..N_b-1.
struct GraphBatch {
  CsrGraph graph;                         // N_b nodes, E_b slots; destination-keyed disjoint union
  std::vector<EdgeId> node_offsets{0};    // (G_b + 1) batch graph b owns nodes [off[b], off[b+1])
  Matrix<float> node_features;            // (N_b, in)
  Matrix<float> edge_features;            // (E_b, D) in slot order of `graph`
  std::vector<std::int32_t> labels;       // (G_b) class index of each graph
  std::vector<std::int64_t> graph_index;  // (G_b) index of each graph in the dataset

  std::int64_t num_graphs() const { return static_cast<std::int64_t>(labels.size()); }
};

/// @brief Copies the given graphs of `data`, in the given order, into one GraphBatch.
/// @param data a dataset whose graphs own contiguous node and slot ranges (as load_tu makes).
/// @param graphs (G_b) dataset indices, each in [0, G); at least one. A graph may appear more
///   than once (each appearance is a separate copy).
/// Each graph's nodes and slots are contiguous ranges of the dataset, so the batch is made by
/// copying ranges and shifting node ids: O(N_b + E_b), and the slot order within a graph is kept.
GraphBatch make_batch(const GraphDataset& data, const std::vector<std::int64_t>& graphs);

}  // namespace gat
