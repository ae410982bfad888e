#include "gat/data/graph_dataset.hpp"

#include <cmath>

namespace gat {

void standardize_node_attributes(GraphDataset& data) {
  const auto first = static_cast<Eigen::Index>(data.node_label_values.size());
  const Eigen::Index n = data.node_features.rows();
  if (n == 0) return;
  for (Eigen::Index c = first; c < data.node_features.cols(); ++c) {
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

}  // namespace gat
