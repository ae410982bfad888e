#include "gat/data/batch.hpp"

#include <cassert>
#include <limits>
#include <utility>

#include "gat/core/error.hpp"

namespace gat {

GraphBatch make_batch(const GraphDataset& data, const std::vector<std::int64_t>& graphs) {
  const std::int64_t num_graphs = data.num_graphs();
  const auto& offsets = data.node_offsets;
  const auto& row_ptr = data.graph.row_ptr();
  const auto& src = data.graph.src();
  GAT_CHECK(!graphs.empty(), "make_batch: no graphs given; a batch needs at least one graph");
  GAT_CHECK(static_cast<std::int64_t>(offsets.size()) == num_graphs + 1 && offsets.front() == 0 &&
                offsets.back() == data.num_nodes(),
            "make_batch: dataset '" << data.name << "' is inconsistent: " << offsets.size()
                                    << " node offsets for " << num_graphs << " graphs and "
                                    << data.num_nodes() << " nodes");
  GAT_CHECK(data.node_features.rows() == data.num_nodes() &&
                data.edge_features.rows() == data.num_edges(),
            "make_batch: dataset '" << data.name << "' has " << data.node_features.rows()
                                    << " node feature rows for " << data.num_nodes()
                                    << " nodes and " << data.edge_features.rows()
                                    << " edge feature rows for " << data.num_edges() << " edges");

  // Sizes first, so that every output is allocated once.
  std::int64_t total_nodes = 0;
  EdgeId total_edges = 0;
  for (std::size_t b = 0; b < graphs.size(); ++b) {
    const std::int64_t g = graphs[b];
    GAT_CHECK(g >= 0 && g < num_graphs, "make_batch: graph index "
                                            << g << " (entry " << b << " of the batch) is out of "
                                            << "range [0, " << num_graphs << ")");
    total_nodes += offsets[g + 1] - offsets[g];
    total_edges += row_ptr[offsets[g + 1]] - row_ptr[offsets[g]];
  }
  GAT_CHECK(total_nodes <= std::numeric_limits<NodeId>::max(),
            "make_batch: the batch would hold " << total_nodes << " nodes, beyond the 32-bit "
                                                << "node id limit; use fewer graphs per batch");

  GraphBatch batch;
  batch.node_offsets.assign(1, 0);
  batch.node_offsets.reserve(graphs.size() + 1);
  batch.labels.reserve(graphs.size());
  batch.graph_index = graphs;
  batch.node_features.resize(total_nodes, data.node_features.cols());
  batch.edge_features.resize(total_edges, data.edge_features.cols());
  std::vector<EdgeId> batch_row_ptr(static_cast<std::size_t>(total_nodes) + 1);
  std::vector<NodeId> batch_src(static_cast<std::size_t>(total_edges));
  batch_row_ptr[0] = 0;

  std::int64_t node_base = 0;  // first batch node of the current graph
  EdgeId slot_base = 0;        // first batch slot of the current graph
  for (const std::int64_t g : graphs) {
    const EdgeId first_node = offsets[g];
    const std::int64_t count = offsets[g + 1] - first_node;
    const EdgeId first_slot = row_ptr[first_node];
    const EdgeId slots = row_ptr[first_node + count] - first_slot;

    // Row offsets and sources move by the same amount for the whole graph: its slots shift by
    // slot_base - first_slot and its node ids by node_base - first_node.
    for (std::int64_t i = 0; i < count; ++i) {
      batch_row_ptr[node_base + i + 1] = row_ptr[first_node + i + 1] - first_slot + slot_base;
    }
    const auto shift = static_cast<NodeId>(node_base - first_node);
    for (EdgeId p = 0; p < slots; ++p) {
      const NodeId j = src[first_slot + p];
      assert(j >= first_node && j < first_node + count);  // no edge crosses graphs
      batch_src[slot_base + p] = j + shift;
    }
    batch.node_features.middleRows(node_base, count) =
        data.node_features.middleRows(first_node, count);
    batch.edge_features.middleRows(slot_base, slots) =
        data.edge_features.middleRows(first_slot, slots);

    batch.labels.push_back(data.labels[g]);
    node_base += count;
    slot_base += slots;
    batch.node_offsets.push_back(node_base);
  }
  batch.graph =
      CsrGraph(static_cast<NodeId>(total_nodes), std::move(batch_row_ptr), std::move(batch_src));
  return batch;
}

}  // namespace gat
