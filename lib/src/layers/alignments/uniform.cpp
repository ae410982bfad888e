// Uniform alignment: every in-edge of node i gets α[j→i, ·] = 1 / deg(i), i.e. mean
// aggregation with no score at all: the ablation baseline. The layer then computes no score and
// has no score parameters; there is nothing to differentiate.

#include "gat/layers/gat_conv.hpp"

namespace gat {
namespace {

template <typename T>
void forward(const AlignContext<T>& c, Matrix<T>& a, ScoreSaved<T>& /*saved*/) {
  const auto& row_ptr = c.graph.row_ptr();
  const NodeId n = c.graph.num_nodes();
#pragma omp parallel for schedule(static)
  for (NodeId i = 0; i < n; ++i) {
    const EdgeId begin = row_ptr[i], end = row_ptr[i + 1];
    if (begin < end) a.middleRows(begin, end - begin).setConstant(T(1) / T(end - begin));
  }
}

template <typename T>
void backward(const AlignContext<T>& /*c*/, const ScoreSaved<T>& /*saved*/,
              const Matrix<T>& /*alpha*/, Matrix<T>& /*grad*/) {}

}  // namespace

const AlignVariant& uniform_alignment() {
  static const AlignVariant variant = [] {
    AlignVariant v;
    v.name = "uniform";
    v.summary = "1/deg(i): mean aggregation, no score (the ablation baseline)";
    v.uses_scores = false;
    v.f32 = {forward<float>, backward<float>};
    v.f64 = {forward<double>, backward<double>};
    return v;
  }();
  return variant;
}

}  // namespace gat
