// Hard attention: one neighbour per node and head. In training the neighbour is sampled from
// the softmax of the scores, with a straight-through gradient (the gradient reaching the one-hot
// sample passes to the softmax it was drawn from; ops/segment_hard.hpp explains the estimator
// and its bias); at inference it is the argmax.

#include "gat/layers/gat_conv.hpp"
#include "gat/ops/segment_hard.hpp"
#include "gat/ops/segment_softmax.hpp"

namespace gat {
namespace {

enum Slot { kSoft, kSlots };  // the softmax the sample was drawn from (E, W)

template <typename T>
void forward(const AlignContext<T>& c, Matrix<T>& a, ScoreSaved<T>& saved) {
  const auto& offsets = c.graph.row_ptr();
  saved.slots.resize(kSlots);
  ops::segment_softmax_forward<T>(offsets, a, a);
  saved.slots[kSoft] = a;
  ops::segment_hard_forward<T>(offsets, saved.slots[kSoft], c.training, c.rng, a);
}

template <typename T>
void backward(const AlignContext<T>& c, const ScoreSaved<T>& saved, const Matrix<T>& /*alpha*/,
              Matrix<T>& grad) {
  const auto& offsets = c.graph.row_ptr();
  ops::segment_hard_backward<T>(offsets, grad, grad);
  ops::segment_softmax_backward<T>(offsets, saved.slots[kSoft], grad, grad);
}

}  // namespace

const AlignVariant& hard_alignment() {
  static const AlignVariant variant = [] {
    AlignVariant v;
    v.name = "hard";
    v.summary = "one neighbour: sampled in training (straight-through), argmax at inference";
    v.f32 = {forward<float>, backward<float>};
    v.f64 = {forward<double>, backward<double>};
    return v;
  }();
  return variant;
}

}  // namespace gat
