#include "gat/graph/csr.hpp"

#include <utility>

#include "gat/core/error.hpp"

namespace gat {
namespace {

// Counting sort of the slots by source: transposed row j gets the slots whose source is j,
// in ascending slot order, hence ascending destination order. O(N + E), deterministic.
std::shared_ptr<const CsrTranspose> build_transpose(NodeId n, const std::vector<EdgeId>& row_ptr,
                                                    const std::vector<NodeId>& src) {
  auto t = std::make_shared<CsrTranspose>();
  const auto e = static_cast<EdgeId>(src.size());
  t->row_ptr.assign(static_cast<std::size_t>(n) + 1, 0);
  for (NodeId j : src) ++t->row_ptr[j + 1];
  for (NodeId j = 0; j < n; ++j) t->row_ptr[j + 1] += t->row_ptr[j];
  t->dst.resize(e);
  t->slot.resize(e);
  std::vector<EdgeId> next(t->row_ptr.begin(), t->row_ptr.end() - 1);
  for (NodeId i = 0; i < n; ++i) {
    for (EdgeId p = row_ptr[i]; p < row_ptr[i + 1]; ++p) {
      const EdgeId q = next[src[p]]++;
      t->dst[q] = i;
      t->slot[q] = p;
    }
  }
  return t;
}

}  // namespace

CsrGraph::CsrGraph() : row_ptr_{0}, transpose_(build_transpose(0, row_ptr_, src_)) {}

CsrGraph::CsrGraph(NodeId num_nodes, std::vector<EdgeId> row_ptr, std::vector<NodeId> src)
    : num_nodes_(num_nodes), row_ptr_(std::move(row_ptr)), src_(std::move(src)) {
  GAT_CHECK(num_nodes_ >= 0, "CsrGraph: node count must be non-negative, got " << num_nodes_);
  GAT_CHECK(row_ptr_.size() == static_cast<std::size_t>(num_nodes_) + 1,
            "CsrGraph: row_ptr must have N + 1 = " << num_nodes_ + 1 << " entries, got "
                                                   << row_ptr_.size());
  GAT_CHECK(row_ptr_.front() == 0, "CsrGraph: row_ptr[0] must be 0, got " << row_ptr_.front());
  GAT_CHECK(row_ptr_.back() == static_cast<EdgeId>(src_.size()),
            "CsrGraph: row_ptr[N] = " << row_ptr_.back() << " must equal the number of sources "
                                      << src_.size());
  for (NodeId i = 0; i < num_nodes_; ++i) {
    GAT_CHECK(row_ptr_[i] <= row_ptr_[i + 1],
              "CsrGraph: row_ptr must be non-decreasing, but row_ptr["
                  << i << "] = " << row_ptr_[i] << " > row_ptr[" << i + 1
                  << "] = " << row_ptr_[i + 1]);
  }
  // Validation and the self-loop summary in one pass: a model checks the summary before every
  // forward pass (is its self-loop policy applied?), so it is counted once, here.
  for (NodeId i = 0; i < num_nodes_; ++i) {
    EdgeId loops = 0;
    for (EdgeId p = row_ptr_[i]; p < row_ptr_[i + 1]; ++p) {
      GAT_CHECK(src_[p] >= 0 && src_[p] < num_nodes_,
                "CsrGraph: source node " << src_[p] << " at slot " << p << " is out of range [0, "
                                         << num_nodes_ << ")");
      loops += src_[p] == i;
    }
    self_loops_ += loops;
    nodes_with_one_loop_ += loops == 1;
  }
  transpose_ = build_transpose(num_nodes_, row_ptr_, src_);
}

std::vector<EdgeId> CsrGraph::in_degrees() const {
  std::vector<EdgeId> d(num_nodes_);
  for (NodeId i = 0; i < num_nodes_; ++i) d[i] = in_degree(i);
  return d;
}

std::vector<EdgeId> CsrGraph::out_degrees() const {
  std::vector<EdgeId> d(num_nodes_);
  for (NodeId j = 0; j < num_nodes_; ++j) d[j] = out_degree(j);
  return d;
}

std::vector<NodeId> CsrGraph::dst() const {
  std::vector<NodeId> d(src_.size());
  for (NodeId i = 0; i < num_nodes_; ++i) {
    for (EdgeId p = row_ptr_[i]; p < row_ptr_[i + 1]; ++p) d[p] = i;
  }
  return d;
}

std::size_t CsrGraph::memory_bytes() const {
  std::size_t bytes = row_ptr_.capacity() * sizeof(EdgeId) + src_.capacity() * sizeof(NodeId);
  if (transpose_) {
    bytes += transpose_->row_ptr.capacity() * sizeof(EdgeId) +
             transpose_->dst.capacity() * sizeof(NodeId) +
             transpose_->slot.capacity() * sizeof(EdgeId);
  }
  return bytes;
}

}  // namespace gat
