// GATv2's score (Brody, Alon & Yahav, ICLR 2022), per head h, with z = x·W and ρ = LeakyReLU:
//   e[j→i, h] = a[h]ᵀ ρ(q[i,h] + z[j,h]),   q = x·W_dst + b
// The nonlinearity sits between the two ends of the edge, so the ranking of neighbours can
// depend on the query node (GAT's score ranks them the same for every i). With share_weights,
// W_dst = W (one projection for both ends, as PyG's share_weights). Multi-dimensional: the sum
// over f is left unsummed, one score per channel. The fused kernels recompute ρ per edge in the
// backward instead of storing (E, H·F).
// Parameters: weight_dst (in, H·F) unless shared, Glorot (in, H·F); att (H, F), Glorot (F, 1);
// score_bias b (1, H·F), zeros as PyG initialises biases.

#include "gat/core/error.hpp"
#include "gat/layers/gat_conv.hpp"
#include "gat/ops/edge_additive.hpp"
#include "gat/ops/linear.hpp"

namespace gat {
namespace {

enum Slot { kQuery, kSlots };

std::vector<ParameterSpec> parameters(const GatConvOptions& o) {
  const std::int64_t hf = std::int64_t{o.heads} * o.out_features;
  std::vector<ParameterSpec> out;
  if (!o.share_weights) {
    out.push_back({"weight_dst", o.in_features, hf, double(o.in_features), double(hf), 6});
  }
  out.push_back({"att", o.heads, o.out_features, double(o.out_features), 1.0, 7});
  out.push_back({"score_bias", 1, hf, 0.0, 0.0, -1});
  return out;
}

template <typename T>
void forward(const ScoreContext<T>& c, Matrix<T>& scores, ScoreSaved<T>& saved) {
  const auto& o = c.options;
  const std::size_t k = o.share_weights ? 0 : 1;  // index of att
  const Matrix<T>& a = c.params[k]->value;
  const Matrix<T>& b = c.params[k + 1]->value;
  saved.slots.resize(kSlots);
  Matrix<T>& q = saved.slots[kQuery];
  q = o.share_weights ? c.z : c.input.forward(c.params[0]->value);
  q.rowwise() += b.row(0);
  const T slope = T(o.negative_slope);
  if (o.multi_dim) {
    ops::edge_additive_multidim_forward<T>(c.graph, q, c.z, a, slope, scores);
  } else {
    ops::edge_additive_forward<T>(c.graph, q, c.z, a, slope, scores);
  }
}

template <typename T>
void backward(const ScoreContext<T>& c, const ScoreSaved<T>& saved, MatrixCRef<T> grad_e,
              Matrix<T>& grad_z) {
  const auto& o = c.options;
  const std::size_t k = o.share_weights ? 0 : 1;
  Parameter<T>& a = *c.params[k];
  Parameter<T>& b = *c.params[k + 1];
  const Matrix<T>& q = saved.slots[kQuery];
  const T slope = T(o.negative_slope);
  // e = aᵀ LeakyReLU(q_i + z_j)  →  grad_q, grad_z, grad_a in one fused pass.
  Matrix<T> grad_q = Matrix<T>::Zero(q.rows(), q.cols());
  if (o.multi_dim) {
    ops::edge_additive_multidim_backward<T>(c.graph, q, c.z, a.value, slope, grad_e, grad_q, grad_z,
                                            a.grad);
  } else {
    ops::edge_additive_backward<T>(c.graph, q, c.z, a.value, slope, grad_e, grad_q, grad_z, a.grad);
  }
  // q = x·W_dst + b (or z + b)  →  grad_b = Σ_i grad_q[i], and grad_W_dst or grad_z.
  ops::column_sum_backward<T>(grad_q, b.grad);
  if (o.share_weights) {
    grad_z += grad_q;
  } else {
    c.input.backward(c.params[0]->value, c.params[0]->grad, grad_q);
  }
}

}  // namespace

const ScoreVariant& gatv2_score() {
  static const ScoreVariant variant = [] {
    ScoreVariant v;
    v.name = "gatv2";
    v.formula = "aᵀ LeakyReLU(W_dst x_i + b + z_j)";
    v.per_edge_channels = 2;
    v.parameters = parameters;
    v.f32 = {forward<float>, backward<float>};
    v.f64 = {forward<double>, backward<double>};
    return v;
  }();
  return variant;
}

}  // namespace gat
