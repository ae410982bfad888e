// The dot-product scores of the attention survey, per head h, with z = x·W the keys and values:
//   dot          e[j→i, h] = (W_q x_i)[h] · z[j,h]
//   scaled-dot   e[j→i, h] = (W_q x_i)[h] · z[j,h] / √F
// Keys are the values (W_k = W), so a dot score adds one projection, not two. Scaling by 1/√F
// (Vaswani et al.) keeps the scores' variance near 1 as F grows; with multi_dim each channel
// keeps its own product and scaled-dot keeps the 1/√F factor (one definition for both modes).
// Parameter: weight_query W_q (in, H·F), Glorot (in, H·F).

#include <cmath>

#include "multiplicative.hpp"

namespace gat {
namespace {

enum Slot { kQuery, kSlots };

std::vector<ParameterSpec> parameters(const GatConvOptions& o) {
  const std::int64_t hf = std::int64_t{o.heads} * o.out_features;
  return {{"weight_query", o.in_features, hf, double(o.in_features), double(hf), 8}};
}

template <typename T, bool kScaled>
T scale(const GatConvOptions& o) {
  return kScaled ? T(1) / std::sqrt(T(o.out_features)) : T(1);
}

template <typename T, bool kScaled>
void forward(const ScoreContext<T>& c, Matrix<T>& scores, ScoreSaved<T>& saved) {
  saved.slots.resize(kSlots);
  saved.slots[kQuery] = c.input.forward(c.params[0]->value);
  scores::sample_dot(c, saved.slots[kQuery], c.z, scale<T, kScaled>(c.options), scores);
}

template <typename T, bool kScaled>
void backward(const ScoreContext<T>& c, const ScoreSaved<T>& saved, MatrixCRef<T> grad_e,
              Matrix<T>& grad_z) {
  const Matrix<T>& q = saved.slots[kQuery];
  // e = scale · q_i · z_j  →  grad_q, grad_z; q = x·W_q  →  grad_W_q (and the input's).
  Matrix<T> grad_q = Matrix<T>::Zero(q.rows(), q.cols());
  scores::sample_dot_backward(c, q, c.z, scale<T, kScaled>(c.options), grad_e, grad_q, grad_z);
  c.input.backward(c.params[0]->value, c.params[0]->grad, grad_q);
}

template <bool kScaled>
ScoreVariant make(const char* name, const char* formula) {
  ScoreVariant v;
  v.name = name;
  v.formula = formula;
  v.parameters = parameters;
  v.f32 = {forward<float, kScaled>, backward<float, kScaled>};
  v.f64 = {forward<double, kScaled>, backward<double, kScaled>};
  return v;
}

}  // namespace

const ScoreVariant& dot_score() {
  static const ScoreVariant variant = make<false>("dot", "(W_q x_i)·z_j");
  return variant;
}

const ScoreVariant& scaled_dot_score() {
  static const ScoreVariant variant = make<true>("scaled-dot", "(W_q x_i)·z_j / sqrt(F)");
  return variant;
}

}  // namespace gat
