#include "gat/graph/order.hpp"

#include <algorithm>
#include <cstddef>
#include <numeric>
#include <utility>

#include "gat/core/error.hpp"

namespace gat {

const char* to_string(NodeOrder order) {
  switch (order) {
    case NodeOrder::kFile:
      return "file";
    case NodeOrder::kRcm:
      return "rcm";
  }
  return "?";
}

NodeOrder parse_node_order(const std::string& name) {
  if (name == "file") return NodeOrder::kFile;
  if (name == "rcm") return NodeOrder::kRcm;
  GAT_FAIL("unknown node order '" << name << "'; choose one of file, rcm");
}

std::vector<NodeId> rcm_order(const CsrGraph& graph) {
  const NodeId n = graph.num_nodes();
  const auto& in_ptr = graph.row_ptr();
  const auto& in_src = graph.src();
  const CsrTranspose& t = graph.transpose();
  // Degree in the symmetrised graph, counted as in + out slots: a repeated edge or a self loop
  // counts more than once, which only shifts ties; the search skips visited nodes anyway.
  std::vector<EdgeId> degree(static_cast<std::size_t>(n));
  for (NodeId i = 0; i < n; ++i) {
    degree[i] = (in_ptr[i + 1] - in_ptr[i]) + (t.row_ptr[i + 1] - t.row_ptr[i]);
  }
  const auto by_degree = [&](NodeId a, NodeId b) {
    return degree[a] != degree[b] ? degree[a] < degree[b] : a < b;
  };
  // Component starts: every node by ascending (degree, id); the first unvisited one starts the
  // next search. A least-degree start sits near the rim of its component, so the levels are
  // many and narrow (what a pseudo-peripheral start achieves, at the cost of one sort).
  std::vector<NodeId> starts(static_cast<std::size_t>(n));
  std::iota(starts.begin(), starts.end(), NodeId{0});
  std::sort(starts.begin(), starts.end(), by_degree);

  // The search's queue is the order itself: order[head..] are visited but not yet expanded.
  std::vector<NodeId> order;
  order.reserve(static_cast<std::size_t>(n));
  std::vector<char> visited(static_cast<std::size_t>(n), 0);
  std::vector<NodeId> found;  // the unvisited neighbours of the node being expanded
  std::size_t head = 0;
  for (const NodeId s : starts) {
    if (visited[s]) continue;
    visited[s] = 1;
    order.push_back(s);
    while (head < order.size()) {
      const NodeId v = order[head++];
      found.clear();
      const auto take = [&](NodeId w) {
        if (!visited[w]) {
          visited[w] = 1;
          found.push_back(w);
        }
      };
      for (EdgeId p = in_ptr[v]; p < in_ptr[v + 1]; ++p) take(in_src[p]);
      for (EdgeId q = t.row_ptr[v]; q < t.row_ptr[v + 1]; ++q) take(t.dst[q]);
      std::sort(found.begin(), found.end(), by_degree);
      order.insert(order.end(), found.begin(), found.end());
    }
  }
  std::reverse(order.begin(), order.end());
  return order;
}

std::vector<NodeId> node_order(const CsrGraph& graph, NodeOrder method) {
  switch (method) {
    case NodeOrder::kRcm:
      return rcm_order(graph);
    case NodeOrder::kFile:
      break;
  }
  std::vector<NodeId> order(static_cast<std::size_t>(graph.num_nodes()));
  std::iota(order.begin(), order.end(), NodeId{0});
  return order;
}

std::vector<NodeId> inverse_order(std::span<const NodeId> order) {
  const auto n = static_cast<NodeId>(order.size());
  std::vector<NodeId> position(order.size(), -1);
  for (NodeId k = 0; k < n; ++k) {
    const NodeId v = order[k];
    GAT_CHECK(v >= 0 && v < n, "node order: entry " << k << " is " << v
                                                    << ", outside the node ids [0, " << n << ")");
    GAT_CHECK(position[v] < 0, "node order: node " << v << " appears twice (entries " << position[v]
                                                   << " and " << k
                                                   << "); an order lists every node once");
    position[v] = k;
  }
  return position;
}

CsrGraph permute_nodes(const CsrGraph& graph, std::span<const NodeId> order) {
  const NodeId n = graph.num_nodes();
  GAT_CHECK(static_cast<NodeId>(order.size()) == n,
            "node order: " << order.size() << " entries for a graph of " << n
                           << " nodes; an order lists every node once");
  const std::vector<NodeId> position = inverse_order(order);
  const auto& row_ptr = graph.row_ptr();
  const auto& src = graph.src();
  std::vector<EdgeId> new_ptr(static_cast<std::size_t>(n) + 1, 0);
  for (NodeId k = 0; k < n; ++k) new_ptr[k + 1] = new_ptr[k] + graph.in_degree(order[k]);
  std::vector<NodeId> new_src(src.size());
  // Rows are independent: each is written and sorted by one thread, so the result is the same
  // at any thread count.
#pragma omp parallel for schedule(dynamic, 1024)
  for (NodeId k = 0; k < n; ++k) {
    const NodeId old = order[k];
    NodeId* out = new_src.data() + new_ptr[k];
    for (EdgeId p = row_ptr[old]; p < row_ptr[old + 1]; ++p) *out++ = position[src[p]];
    std::sort(new_src.data() + new_ptr[k], out);
  }
  return CsrGraph(n, std::move(new_ptr), std::move(new_src));
}

}  // namespace gat
