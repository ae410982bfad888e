#pragma once
// CsrGraph: adjacency keyed by destination. Row i lists the sources j of the edges j→i,
// so a softmax over i's neighbourhood and the aggregation into i are contiguous row
// segments, parallel over rows with no atomics. Per-edge data (E, H) is stored in this
// slot order. Backward passes into source nodes run over the transpose (row j lists the
// destinations of j's out-edges), built once at construction with the permutation back
// to slot order.

#include <cstddef>
#include <memory>
#include <vector>

#include "gat/core/types.hpp"

namespace gat {

/// @brief The transposed adjacency: row j lists destinations i of edges j→i, ascending.
struct CsrTranspose {
  std::vector<EdgeId> row_ptr;  // (N + 1)
  std::vector<NodeId> dst;      // (E) destination of each transposed slot
  std::vector<EdgeId> slot;     // (E) slot of the same edge in the destination-keyed CSR
};

/// @brief Destination-keyed CSR graph with a cached transpose. Immutable after construction.
class CsrGraph {
 public:
  /// @brief The empty graph (no nodes).
  CsrGraph();

  /// @brief Takes a CSR by destination and validates it.
  /// @param num_nodes N
  /// @param row_ptr (N + 1) non-decreasing offsets, row_ptr[0] = 0, row_ptr[N] = E
  /// @param src (E) source node of each slot, each in [0, N)
  /// Throws gat::Error on any violation. Sources within a row keep the given order.
  CsrGraph(NodeId num_nodes, std::vector<EdgeId> row_ptr, std::vector<NodeId> src);

  NodeId num_nodes() const { return num_nodes_; }
  EdgeId num_edges() const { return static_cast<EdgeId>(src_.size()); }

  /// (N + 1) row offsets: the in-edges of node i are slots [row_ptr[i], row_ptr[i+1]).
  const std::vector<EdgeId>& row_ptr() const { return row_ptr_; }
  /// (E) source node of each slot.
  const std::vector<NodeId>& src() const { return src_; }
  /// Cached transpose, for backward passes into source nodes.
  const CsrTranspose& transpose() const { return *transpose_; }

  /// @brief Number of edges into i (its neighbourhood size).
  EdgeId in_degree(NodeId i) const { return row_ptr_[i + 1] - row_ptr_[i]; }
  /// @brief Number of edges out of j.
  EdgeId out_degree(NodeId j) const { return transpose_->row_ptr[j + 1] - transpose_->row_ptr[j]; }
  /// @brief (N) in-degrees of all nodes.
  std::vector<EdgeId> in_degrees() const;
  /// @brief (N) out-degrees of all nodes.
  std::vector<EdgeId> out_degrees() const;
  /// @brief Number of slots whose source equals their destination.
  EdgeId num_self_loops() const { return self_loops_; }
  /// @brief Whether every node has exactly one self loop (what SelfLoops::kAdd produces).
  bool has_one_self_loop_per_node() const {
    return nodes_with_one_loop_ == num_nodes_ && self_loops_ == num_nodes_;
  }
  /// @brief Destination of each slot (E); the inverse of row_ptr, for edge-wise loops.
  std::vector<NodeId> dst() const;
  /// @brief Bytes the graph holds: both row-offset arrays and, per edge, its source, its
  /// transposed destination and slot (16 B per node and 16 B per edge).
  std::size_t memory_bytes() const;

 private:
  NodeId num_nodes_ = 0;
  std::vector<EdgeId> row_ptr_;
  std::vector<NodeId> src_;
  EdgeId self_loops_ = 0;           // slots i→i
  NodeId nodes_with_one_loop_ = 0;  // nodes with exactly one slot i→i
  // Shared so that copies of a graph share one transpose; it is never mutated.
  std::shared_ptr<const CsrTranspose> transpose_;
};

}  // namespace gat
