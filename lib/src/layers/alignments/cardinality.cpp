// Cardinality-preserving alignment: the softmax over node i's in-edges scaled by their number,
//   α[j→i, h] = deg(i) · exp(e[j→i, h]) / Σ_{k→i} exp(e[k→i, h])
// The weights sum to deg(i) instead of 1, so with equal scores the layer sums its neighbours
// instead of averaging them. A softmax layer sees a neighbourhood as a distribution: it cannot
// tell one neighbour from three copies of it, and on molecules counting is much of the signal
// (GIN's sum aggregation, Xu et al., ICLR 2019). This is the "scaled" cardinality-preserved
// attention of Zhang & Xie (2020) with the degree itself as the scale.
//
// Backward, with s = softmax and α = d·s on a segment of d in-edges and g the gradient of α:
//   ∂L/∂e_k = Σ_j g_j · d·s_j·(δ_jk − s_k) = α_k · (g_k − (1/d) Σ_j α_j g_j)
// computed from α alone (nothing is kept beside it).

#include "gat/layers/gat_conv.hpp"
#include "gat/ops/segment_softmax.hpp"

namespace gat {
namespace {

template <typename T>
void forward(const AlignContext<T>& c, Matrix<T>& a, ScoreSaved<T>& /*saved*/) {
  const auto& row_ptr = c.graph.row_ptr();
  ops::segment_softmax_forward<T>(row_ptr, a, a);
  const NodeId n = c.graph.num_nodes();
#pragma omp parallel for schedule(static)
  for (NodeId i = 0; i < n; ++i) {
    const EdgeId begin = row_ptr[i], end = row_ptr[i + 1];
    if (end - begin > 1) a.middleRows(begin, end - begin) *= T(end - begin);
  }
}

template <typename T>
void backward(const AlignContext<T>& c, const ScoreSaved<T>& /*saved*/, const Matrix<T>& alpha,
              Matrix<T>& grad) {
  const auto& row_ptr = c.graph.row_ptr();
  const NodeId n = c.graph.num_nodes();
  const Eigen::Index w = alpha.cols();
#pragma omp parallel for schedule(dynamic, 64)
  for (NodeId i = 0; i < n; ++i) {
    const EdgeId begin = row_ptr[i], end = row_ptr[i + 1];
    if (begin == end) continue;
    const T inv_d = T(1) / T(end - begin);
    for (Eigen::Index h = 0; h < w; ++h) {
      T dot = 0;  // Σ_j α_j g_j, in slot order
      for (EdgeId p = begin; p < end; ++p) dot += alpha(p, h) * grad(p, h);
      const T mean = dot * inv_d;
      for (EdgeId p = begin; p < end; ++p) grad(p, h) = alpha(p, h) * (grad(p, h) - mean);
    }
  }
}

}  // namespace

const AlignVariant& cardinality_alignment() {
  static const AlignVariant variant = [] {
    AlignVariant v;
    v.name = "cardinality";
    v.summary = "deg(i) · softmax: weights sum to the in-degree, so a layer can count";
    v.f32 = {forward<float>, backward<float>};
    v.f64 = {forward<double>, backward<double>};
    return v;
  }();
  return variant;
}

}  // namespace gat
