// Local attention: softmax restricted to each node's top_k highest-scoring in-edges (the
// survey's local attention, with the window chosen by score rather than by hops: on a graph a
// k-hop window only grows the neighbourhood, while top-k narrows it). Ties go to the earlier
// slot. All but the top_k scores become −∞, which the softmax turns into weights of exactly 0
// (and gradients of exactly 0), so the backward is the softmax's: the mask's own backward
// (identity on the kept slots) changes nothing more.

#include "gat/core/error.hpp"
#include "gat/layers/gat_conv.hpp"
#include "gat/ops/segment_softmax.hpp"
#include "gat/ops/segment_topk.hpp"

namespace gat {
namespace {

void check(const GatConvOptions& o) {
  GAT_CHECK(o.top_k >= 1, "GatConv: local attention needs top_k >= 1, got " << o.top_k);
}

template <typename T>
void forward(const AlignContext<T>& c, Matrix<T>& a, ScoreSaved<T>& /*saved*/) {
  const auto& offsets = c.graph.row_ptr();
  ops::segment_topk_forward<T>(offsets, c.options.top_k, a, a);
  ops::segment_softmax_forward<T>(offsets, a, a);
}

template <typename T>
void backward(const AlignContext<T>& c, const ScoreSaved<T>& /*saved*/, const Matrix<T>& alpha,
              Matrix<T>& grad) {
  ops::segment_softmax_backward<T>(c.graph.row_ptr(), alpha, grad, grad);
}

}  // namespace

const AlignVariant& local_alignment() {
  static const AlignVariant variant = [] {
    AlignVariant v;
    v.name = "local";
    v.summary = "softmax over the top-k in-edges (--top-k)";
    v.check = check;
    v.f32 = {forward<float>, backward<float>};
    v.f64 = {forward<double>, backward<double>};
    return v;
  }();
  return variant;
}

}  // namespace gat
