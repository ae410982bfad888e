// Softmax alignment (the default), per node i, head (or channel) h, over i's in-edges:
//   α[j→i, h] = exp(e[j→i, h]) / Σ_{k→i} exp(e[k→i, h])
// Dense weights that sum to 1 over each neighbourhood.

#include "gat/layers/gat_conv.hpp"
#include "gat/ops/segment_softmax.hpp"

namespace gat {
namespace {

template <typename T>
void forward(const AlignContext<T>& c, Matrix<T>& a, ScoreSaved<T>& /*saved*/) {
  ops::segment_softmax_forward<T>(c.graph.row_ptr(), a, a);
}

template <typename T>
void backward(const AlignContext<T>& c, const ScoreSaved<T>& /*saved*/, const Matrix<T>& alpha,
              Matrix<T>& grad) {
  ops::segment_softmax_backward<T>(c.graph.row_ptr(), alpha, grad, grad);
}

}  // namespace

const AlignVariant& softmax_alignment() {
  static const AlignVariant variant = [] {
    AlignVariant v;
    v.name = "softmax";
    v.summary = "softmax over each node's in-edges";
    v.f32 = {forward<float>, backward<float>};
    v.f64 = {forward<double>, backward<double>};
    return v;
  }();
  return variant;
}

}  // namespace gat
