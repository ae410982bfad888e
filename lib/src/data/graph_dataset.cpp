#include "gat/data/graph_dataset.hpp"

#include <algorithm>
#include <cmath>

#include "gat/core/error.hpp"

namespace gat {

void standardize_node_attributes(GraphDataset& data) {
  const auto first = static_cast<Eigen::Index>(data.node_label_values.size());
  const Eigen::Index n = data.node_features.rows();
  if (n == 0) return;
  const Eigen::Index end = first + data.num_node_attributes();
  for (Eigen::Index c = first; c < end; ++c) {
    auto col = data.node_features.col(c);
    // Two passes in double: the mean, then the (population) variance about it.
    double mean = 0;
    for (Eigen::Index i = 0; i < n; ++i) mean += col(i);
    mean /= double(n);
    double var = 0;
    for (Eigen::Index i = 0; i < n; ++i) var += (col(i) - mean) * (col(i) - mean);
    const double sd = std::sqrt(var / double(n));
    for (Eigen::Index i = 0; i < n; ++i) {
      col(i) = static_cast<float>(sd > 0 ? (col(i) - mean) / sd : 0.0);
    }
  }
}

void add_degree_features(GraphDataset& data, int max_degree) {
  GAT_CHECK(max_degree >= 1, "degree features: the cap must be at least 1, got " << max_degree);
  const Eigen::Index n = data.node_features.rows();
  const Eigen::Index old_cols = data.node_features.cols();
  Matrix<float> x = Matrix<float>::Zero(n, old_cols + max_degree + 1);
  x.leftCols(old_cols) = data.node_features;
  const auto& row_ptr = data.graph.row_ptr();
  const auto& src = data.graph.src();
  for (Eigen::Index i = 0; i < n; ++i) {
    const auto r = static_cast<std::size_t>(i);
    EdgeId degree = 0;
    for (EdgeId k = row_ptr[r]; k < row_ptr[r + 1]; ++k) {
      degree += src[static_cast<std::size_t>(k)] != static_cast<NodeId>(i);
    }
    x(i, old_cols + std::min<EdgeId>(degree, max_degree)) = 1.0f;
  }
  data.node_features = std::move(x);
}

}  // namespace gat
