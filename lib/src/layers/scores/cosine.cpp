// The survey's similarity score: cosine similarity over a learned temperature, per head h,
//   e[j→i, h] = β[h] · cos(q[i,h], z[j,h]),   q = x·W_q,   β = 1/τ learned
// (as AGNN, Thekumparampil et al. 2018, scales the cosine of hidden states). The cosine is
// bounded, so the scores cannot blow up with the feature scale as dot products do; the
// temperature decides how sharp the softmax over [-β, β] can get. Normalising by
// max(‖v‖, ε), ε = 1e-12, keeps an all-zero row finite (its cosine is 0).
// Backward, with v̂ = v / ‖v‖ and c = q̂_i·ẑ_j:
//   grad_β[h] = Σ_p grad_e[p,h] · c[p,h],   grad_c = β ⊙ grad_e,
//   grad_v = (grad_v̂ − v̂ (v̂·grad_v̂)) / ‖v‖   (or grad_v̂ / ε below ε).
// Parameters: weight_query W_q (in, H·F), Glorot (in, H·F); inv_temperature β (1, H), starting
// at 1/τ₀ = 5 so that the initial attention is neither uniform nor one-hot. Not multi-
// dimensional: the cosine of a single channel is only its sign.

#include <cmath>

#include "gat/core/error.hpp"
#include "gat/ops/linear.hpp"
#include "multiplicative.hpp"

namespace gat {
namespace {

enum Slot { kQueryUnit, kKeyUnit, kQueryNorm, kKeyNorm, kCosine, kSlots };
constexpr double kEps = 1e-12;

void check(const GatConvOptions& o) {
  GAT_CHECK(!o.multi_dim,
            "GatConv: the cosine score needs single-dimensional attention (the cosine of one "
            "channel is only its sign); drop multi_dim");
}

std::vector<ParameterSpec> parameters(const GatConvOptions& o) {
  const std::int64_t hf = std::int64_t{o.heads} * o.out_features;
  return {{"weight_query", o.in_features, hf, double(o.in_features), double(hf), 10},
          {"inv_temperature", 1, o.heads, 0.0, 0.0, -1, 5.0}};
}

// unit[n, h·F + f] = v[n, h·F + f] / max(‖v[n, h]‖, ε) per node and head; norm (N, H) keeps the
// divisor.
template <typename T>
void normalise(const Matrix<T>& v, Eigen::Index heads, Matrix<T>& unit, Matrix<T>& norm) {
  const Eigen::Index n = v.rows(), f = v.cols() / heads;
  unit.resize(n, v.cols());
  norm.resize(n, heads);
#pragma omp parallel for schedule(static)
  for (Eigen::Index i = 0; i < n; ++i) {
    for (Eigen::Index h = 0; h < heads; ++h) {
      const T d = std::max(v.row(i).segment(h * f, f).norm(), T(kEps));
      norm(i, h) = d;
      unit.row(i).segment(h * f, f) = v.row(i).segment(h * f, f) / d;
    }
  }
}

// Backward of normalise: adds into grad_v.
template <typename T>
void normalise_backward(const Matrix<T>& unit, const Matrix<T>& norm, const Matrix<T>& grad_unit,
                        Matrix<T>& grad_v) {
  const Eigen::Index n = unit.rows(), heads = norm.cols(), f = unit.cols() / heads;
#pragma omp parallel for schedule(static)
  for (Eigen::Index i = 0; i < n; ++i) {
    for (Eigen::Index h = 0; h < heads; ++h) {
      const auto u = unit.row(i).segment(h * f, f);
      const auto g = grad_unit.row(i).segment(h * f, f);
      const T d = norm(i, h);
      if (d > T(kEps)) {
        grad_v.row(i).segment(h * f, f) += (g - u * u.dot(g)) / d;
      } else {
        grad_v.row(i).segment(h * f, f) += g / d;
      }
    }
  }
}

template <typename T>
void forward(const ScoreContext<T>& c, Matrix<T>& scores, ScoreSaved<T>& saved) {
  const Eigen::Index h = c.options.heads;
  saved.slots.resize(kSlots);
  const Matrix<T> q = c.input.forward(c.params[0]->value);
  normalise(q, h, saved.slots[kQueryUnit], saved.slots[kQueryNorm]);
  normalise(c.z, h, saved.slots[kKeyUnit], saved.slots[kKeyNorm]);
  scores::sample_dot(c, saved.slots[kQueryUnit], saved.slots[kKeyUnit], T(1), scores);
  saved.slots[kCosine] = scores;
  scores.array().rowwise() *= c.params[1]->value.row(0).array();
}

template <typename T>
void backward(const ScoreContext<T>& c, const ScoreSaved<T>& saved, MatrixCRef<T> grad_e,
              Matrix<T>& grad_z) {
  Parameter<T>& w_q = *c.params[0];
  Parameter<T>& beta = *c.params[1];
  const Matrix<T>& cosine = saved.slots[kCosine];
  // e = β ⊙ c  →  grad_β = Σ_p grad_e ⊙ c (fixed-order column sum), grad_c = β ⊙ grad_e.
  const Matrix<T> prod = (grad_e.array() * cosine.array()).matrix();
  ops::column_sum_backward<T>(prod, beta.grad);
  const Matrix<T> grad_c = (grad_e.array().rowwise() * beta.value.row(0).array()).matrix();
  // c = q̂_i·ẑ_j  →  grad_q̂, grad_ẑ; then through the normalisations to q and z.
  const Matrix<T>& q_unit = saved.slots[kQueryUnit];
  const Matrix<T>& k_unit = saved.slots[kKeyUnit];
  Matrix<T> grad_q_unit = Matrix<T>::Zero(q_unit.rows(), q_unit.cols());
  Matrix<T> grad_k_unit = Matrix<T>::Zero(k_unit.rows(), k_unit.cols());
  scores::sample_dot_backward<T>(c, q_unit, k_unit, T(1), grad_c, grad_q_unit, grad_k_unit);
  Matrix<T> grad_q = Matrix<T>::Zero(q_unit.rows(), q_unit.cols());
  normalise_backward(q_unit, saved.slots[kQueryNorm], grad_q_unit, grad_q);
  normalise_backward(k_unit, saved.slots[kKeyNorm], grad_k_unit, grad_z);
  // q = x·W_q  →  grad_W_q (and the input's).
  c.input.backward(w_q.value, w_q.grad, grad_q);
}

}  // namespace

const ScoreVariant& cosine_score() {
  static const ScoreVariant variant = [] {
    ScoreVariant v;
    v.name = "cosine";
    v.formula = "cos(W_q x_i, z_j) / temperature (learned)";
    v.parameters = parameters;
    v.check = check;
    v.f32 = {forward<float>, backward<float>};
    v.f64 = {forward<double>, backward<double>};
    return v;
  }();
  return variant;
}

}  // namespace gat
