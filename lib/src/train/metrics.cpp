#include "gat/train/metrics.hpp"

namespace gat {
namespace {

// Arg-max of row i; ties go to the lowest class so that predictions are reproducible.
template <typename T>
std::int32_t argmax_row(const MatrixCRef<T>& logits, Eigen::Index i) {
  Eigen::Index best = 0;
  for (Eigen::Index k = 1; k < logits.cols(); ++k) {
    if (logits(i, k) > logits(i, best)) best = k;
  }
  return static_cast<std::int32_t>(best);
}

}  // namespace

template <typename T>
std::vector<std::int32_t> predict(MatrixCRef<T> logits) {
  std::vector<std::int32_t> out(logits.rows());
  for (Eigen::Index i = 0; i < logits.rows(); ++i) out[i] = argmax_row(logits, i);
  return out;
}

template <typename T>
double accuracy(MatrixCRef<T> logits, const std::vector<std::int32_t>& labels,
                const std::vector<std::int32_t>& nodes) {
  if (nodes.empty()) return 0.0;
  long correct = 0;
  for (const auto i : nodes) correct += argmax_row(logits, i) == labels[i];
  return double(correct) / double(nodes.size());
}

#define GAT_INSTANTIATE(T)                                                     \
  template std::vector<std::int32_t> predict<T>(MatrixCRef<T>);                \
  template double accuracy<T>(MatrixCRef<T>, const std::vector<std::int32_t>&, \
                              const std::vector<std::int32_t>&);
GAT_INSTANTIATE(float)
GAT_INSTANTIATE(double)
#undef GAT_INSTANTIATE

}  // namespace gat
