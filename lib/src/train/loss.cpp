#include "gat/train/loss.hpp"

#include <cmath>

#include "gat/core/error.hpp"

namespace gat {

template <typename T>
double nll_loss(MatrixCRef<T> logits, const std::vector<std::int32_t>& labels,
                const std::vector<std::int32_t>& nodes, Matrix<T>* grad) {
  const Eigen::Index c = logits.cols();
  if (grad) grad->setZero(logits.rows(), c);
  if (nodes.empty()) return 0.0;
  const double inv = 1.0 / double(nodes.size());
  double total = 0.0;
  // Sequential over the (few) labelled nodes: a fixed summation order.
  for (const auto i : nodes) {
    GAT_CHECK(i >= 0 && i < logits.rows(),
              "nll_loss: node " << i << " outside [0, " << logits.rows() << ")");
    const auto y = labels[i];
    GAT_CHECK(y >= 0 && y < c,
              "nll_loss: node " << i << " has label " << y << ", outside [0, " << c << ")");
    // log softmax with the row maximum subtracted: log Σ exp(l - m) is finite.
    const double m = double(logits.row(i).maxCoeff());
    double sum = 0.0;
    for (Eigen::Index k = 0; k < c; ++k) sum += std::exp(double(logits(i, k)) - m);
    const double log_z = m + std::log(sum);
    total += log_z - double(logits(i, y));
    if (grad) {
      for (Eigen::Index k = 0; k < c; ++k) {
        const double p = std::exp(double(logits(i, k)) - log_z);
        (*grad)(i, k) = T((p - (k == y ? 1.0 : 0.0)) * inv);
      }
    }
  }
  return total * inv;
}

#define GAT_INSTANTIATE(T)                                                     \
  template double nll_loss<T>(MatrixCRef<T>, const std::vector<std::int32_t>&, \
                              const std::vector<std::int32_t>&, Matrix<T>*);
GAT_INSTANTIATE(float)
GAT_INSTANTIATE(double)
#undef GAT_INSTANTIATE

}  // namespace gat
