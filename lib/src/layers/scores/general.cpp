// The survey's general (bilinear) family, per head h with M_h an F × F matrix:
//   general            e[j→i, h] = z_jᵀ M_h z_i
//   biased-general     e[j→i, h] = z_jᵀ M_h z_i + b
//   activated-general  e[j→i, h] = tanh(z_jᵀ M_h z_i + b)
// computed as a dot score with the query q_h = z_h·M_hᵀ, since z_jᵀ M z_i = (z_i Mᵀ)·z_j:
// one (N, H·F) product, then O(H·F) per edge. b is (1, W): one per head, or per channel with
// multi_dim.
// Parameters: att_matrix (H·F, F), rows [h·F, h·F+F) hold M_hᵀ, Glorot (F, F); score_bias
// (biased and activated) zeros, as PyG initialises biases.

#include "gat/ops/activation.hpp"
#include "gat/ops/linear.hpp"
#include "multiplicative.hpp"

namespace gat {
namespace {

enum Slot { kQuery, kActivated, kSlots };
enum class Kind { kPlain, kBiased, kActivated };

template <Kind kKind>
std::vector<ParameterSpec> parameters(const GatConvOptions& o) {
  const std::int64_t hf = std::int64_t{o.heads} * o.out_features;
  std::vector<ParameterSpec> out{
      {"att_matrix", hf, o.out_features, double(o.out_features), double(o.out_features), 9}};
  if (kKind != Kind::kPlain) {
    out.push_back({"score_bias", 1, o.multi_dim ? hf : o.heads, 0.0, 0.0, -1});
  }
  return out;
}

template <typename T, Kind kKind>
void forward(const ScoreContext<T>& c, Matrix<T>& scores, ScoreSaved<T>& saved) {
  const Eigen::Index h = c.options.heads, f = c.options.out_features;
  const Matrix<T>& m = c.params[0]->value;
  saved.slots.resize(kSlots);
  Matrix<T>& q = saved.slots[kQuery];
  q.resize(c.z.rows(), h * f);
  for (Eigen::Index k = 0; k < h; ++k) {
    ops::matmul_forward<T>(c.z.middleCols(k * f, f), m.middleRows(k * f, f),
                           q.middleCols(k * f, f));
  }
  scores::sample_dot(c, q, c.z, T(1), scores);
  if (kKind != Kind::kPlain) scores.rowwise() += c.params[1]->value.row(0);
  if (kKind == Kind::kActivated) {
    ops::tanh_forward<T>(scores, scores);
    saved.slots[kActivated] = scores;  // tanh' = 1 − y² needs y; the alignment overwrites scores
  }
}

template <typename T, Kind kKind>
void backward(const ScoreContext<T>& c, const ScoreSaved<T>& saved, MatrixCRef<T> grad_e,
              Matrix<T>& grad_z) {
  const Eigen::Index h = c.options.heads, f = c.options.out_features;
  Parameter<T>& m = *c.params[0];
  // e = tanh(s + b) (activated) or s + b (biased)  →  grad_s, grad_b = Σ_p grad_s[p].
  Matrix<T> grad_pre;
  if (kKind == Kind::kActivated) {
    grad_pre.resize(grad_e.rows(), grad_e.cols());
    ops::tanh_backward<T>(saved.slots[kActivated], grad_e, grad_pre);
  }
  const MatrixCRef<T> grad_s = kKind == Kind::kActivated ? MatrixCRef<T>(grad_pre) : grad_e;
  if (kKind != Kind::kPlain) ops::column_sum_backward<T>(grad_s, c.params[1]->grad);
  // s = q_i · z_j  →  grad_q, grad_z.
  const Matrix<T>& q = saved.slots[kQuery];
  Matrix<T> grad_q = Matrix<T>::Zero(q.rows(), q.cols());
  scores::sample_dot_backward(c, q, c.z, T(1), grad_s, grad_q, grad_z);
  // q_h = z_h·P_h with P_h = M_hᵀ  →  grad_P_h += z_hᵀ·grad_q_h, grad_z_h += grad_q_h·P_hᵀ.
  Matrix<T> grad_zh(c.z.rows(), f);  // matmul_backward writes into a matrix of this shape
  for (Eigen::Index k = 0; k < h; ++k) {
    ops::matmul_backward<T>(c.z.middleCols(k * f, f), m.value.middleRows(k * f, f),
                            grad_q.middleCols(k * f, f), m.grad.middleRows(k * f, f), &grad_zh);
    grad_z.middleCols(k * f, f) += grad_zh;
  }
}

template <Kind kKind>
ScoreVariant make(const char* name, const char* formula) {
  ScoreVariant v;
  v.name = name;
  v.formula = formula;
  v.parameters = parameters<kKind>;
  v.f32 = {forward<float, kKind>, backward<float, kKind>};
  v.f64 = {forward<double, kKind>, backward<double, kKind>};
  return v;
}

}  // namespace

const ScoreVariant& general_score() {
  static const ScoreVariant variant = make<Kind::kPlain>("general", "z_jᵀ M z_i");
  return variant;
}

const ScoreVariant& biased_general_score() {
  static const ScoreVariant variant = make<Kind::kBiased>("biased-general", "z_jᵀ M z_i + b");
  return variant;
}

const ScoreVariant& activated_general_score() {
  static const ScoreVariant variant =
      make<Kind::kActivated>("activated-general", "tanh(z_jᵀ M z_i + b)");
  return variant;
}

}  // namespace gat
