// Sparsemax alignment (Martins & Astudillo, ICML 2016): the Euclidean projection of each
// neighbourhood's scores onto the probability simplex,
//   α = argmin_{p ∈ Δ} ‖p − e‖²  =  max(e − τ, 0)  with τ chosen so that Σ α = 1,
// which gives exact zeros to low-scoring neighbours.

#include "gat/layers/gat_conv.hpp"
#include "gat/ops/segment_sparsemax.hpp"

namespace gat {
namespace {

template <typename T>
void forward(const AlignContext<T>& c, Matrix<T>& a, ScoreSaved<T>& /*saved*/) {
  ops::segment_sparsemax_forward<T>(c.graph.row_ptr(), a, a);
}

template <typename T>
void backward(const AlignContext<T>& c, const ScoreSaved<T>& /*saved*/, const Matrix<T>& alpha,
              Matrix<T>& grad) {
  ops::segment_sparsemax_backward<T>(c.graph.row_ptr(), alpha, grad, grad);
}

}  // namespace

const AlignVariant& sparsemax_alignment() {
  static const AlignVariant variant = [] {
    AlignVariant v;
    v.name = "sparsemax";
    v.summary = "projection onto the simplex: exact zeros";
    v.f32 = {forward<float>, backward<float>};
    v.f64 = {forward<double>, backward<double>};
    return v;
  }();
  return variant;
}

}  // namespace gat
