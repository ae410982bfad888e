// The GAT paper's score (Veličković et al., ICLR 2018), per head h, with z = x·W and ρ = LeakyReLU:
//   e[j→i, h] = ρ(a_dst[h]·z[i,h] + a_src[h]·z[j,h])
// computed as two node scores s_src = z·a_src, s_dst = z·a_dst (N, H) sampled at the edges,
// so the per-edge work is O(H), never O(H·F). With edge features x_p (E, D) the score gains
// a_edge[h]·(x_p·W_e)[h], folded as x_p·V with V[d, h] = Σ_f W_e[d, h·F+f]·a_edge[h, f]:
// memory per edge stays O(H + D). Multi-dimensional: one score per channel c of head h,
//   e[j→i, c] = ρ(a_dst[c]·z[i,c] + a_src[c]·z[j,c])   (the per-head sums left unsummed).
// Parameters: att_src, att_dst (H, F), Glorot with fan-in F, fan-out 1 (each head's vector maps
// F features to one score). The only score with a dense (N × N) implementation and with edge
// features.

#include "gat/layers/gat_conv.hpp"
#include "gat/ops/edge_score.hpp"
#include "gat/ops/linear.hpp"

namespace gat {
namespace {

enum Slot { kSrc, kDst, kEdge, kEdgeV, kSlots };

// Elementwise per-channel node scores of multi-dimensional attention:
// s[n, c] = z[n, c] · a[c], a (H, F) read as one row of H·F channels.
template <typename T>
void channel_scale(const Matrix<T>& z, const Matrix<T>& a, Matrix<T>& s) {
  const Eigen::Map<const Eigen::Array<T, 1, Eigen::Dynamic>> row(a.data(), a.size());
  s = (z.array().rowwise() * row).matrix();
}

// Backward of channel_scale: grad_z += grad_s ⊙ a, grad_a += Σ_n grad_s[n] ⊙ z[n] (a column
// sum in fixed chunks, so independent of the thread count).
template <typename T>
void channel_scale_backward(const Matrix<T>& z, const Matrix<T>& a, const Matrix<T>& grad_s,
                            Matrix<T>& grad_z, Matrix<T>& grad_a) {
  const Eigen::Map<const Eigen::Array<T, 1, Eigen::Dynamic>> row(a.data(), a.size());
  grad_z.array() += grad_s.array().rowwise() * row;
  const Matrix<T> prod = (grad_s.array() * z.array()).matrix();
  Eigen::Map<Matrix<T>> ga(grad_a.data(), 1, grad_a.size());
  ops::column_sum_backward<T>(prod, ga);
}

std::vector<ParameterSpec> parameters(const GatConvOptions& o) {
  return {{"att_src", o.heads, o.out_features, double(o.out_features), 1.0, 1},
          {"att_dst", o.heads, o.out_features, double(o.out_features), 1.0, 2}};
}

template <typename T>
void forward(const ScoreContext<T>& c, Matrix<T>& scores, ScoreSaved<T>& saved) {
  const auto& o = c.options;
  const Matrix<T>& a_src = c.params[0]->value;
  const Matrix<T>& a_dst = c.params[1]->value;
  const Eigen::Index n = c.graph.num_nodes(), e = c.graph.num_edges(), h = o.heads;
  const T slope = T(o.negative_slope);
  saved.slots.resize(kSlots);
  Matrix<T>& s_src = saved.slots[kSrc];
  Matrix<T>& s_dst = saved.slots[kDst];
  if (o.multi_dim) {
    channel_scale(c.z, a_src, s_src);
    channel_scale(c.z, a_dst, s_dst);
  } else {
    s_src.resize(n, h);
    s_dst.resize(n, h);
    ops::head_dot_forward<T>(c.z, a_src, s_src);
    ops::head_dot_forward<T>(c.z, a_dst, s_dst);
  }
  if (c.edge_input) {
    // s_edge = X_e·V with V = W_e folded with a_edge per head: (D, H), then (E, H).
    Matrix<T>& edge_v = saved.slots[kEdgeV];
    Matrix<T>& s_edge = saved.slots[kEdge];
    edge_v.resize(o.edge_features, h);
    ops::head_dot_forward<T>(c.edge_weight->value, c.att_edge->value, edge_v);
    s_edge.resize(e, h);
    ops::matmul_forward<T>(*c.edge_input, edge_v, s_edge);
    ops::edge_score_forward<T>(c.graph, s_src, s_dst, s_edge, slope, scores);
  } else {
    ops::edge_score_forward<T>(c.graph, s_src, s_dst, slope, scores);
  }
}

template <typename T>
void backward(const ScoreContext<T>& c, const ScoreSaved<T>& saved, MatrixCRef<T> grad_e,
              Matrix<T>& grad_z) {
  const auto& o = c.options;
  Parameter<T>& a_src = *c.params[0];
  Parameter<T>& a_dst = *c.params[1];
  const Eigen::Index n = c.graph.num_nodes(), h = o.heads;
  const Eigen::Index w = o.multi_dim ? h * o.out_features : h;
  const T slope = T(o.negative_slope);
  const Matrix<T>& s_src = saved.slots[kSrc];
  const Matrix<T>& s_dst = saved.slots[kDst];
  Matrix<T> grad_s_src = Matrix<T>::Zero(n, w), grad_s_dst = Matrix<T>::Zero(n, w);
  if (c.edge_input) {
    Matrix<T> grad_s_edge(c.graph.num_edges(), h);
    ops::edge_score_backward<T>(c.graph, s_src, s_dst, saved.slots[kEdge], slope, grad_e,
                                grad_s_src, grad_s_dst, grad_s_edge);
    // s_edge = X_e·V  →  grad_V = X_eᵀ·grad_s_edge, grad_X_e = grad_s_edge·Vᵀ;
    // V = head_dot(W_e, a_edge)  →  grad_W_e, grad_a_edge as for the node scores.
    Matrix<T> grad_edge_v = Matrix<T>::Zero(o.edge_features, h);
    Matrix<T> grad_x_edge;
    if (c.grad_edge_input) grad_x_edge.resize(c.graph.num_edges(), o.edge_features);
    ops::matmul_backward<T>(*c.edge_input, saved.slots[kEdgeV], grad_s_edge, grad_edge_v,
                            c.grad_edge_input ? &grad_x_edge : nullptr);
    if (c.grad_edge_input) *c.grad_edge_input = std::move(grad_x_edge);
    ops::head_dot_backward<T>(c.edge_weight->value, c.att_edge->value, grad_edge_v,
                              c.edge_weight->grad, c.att_edge->grad);
  } else {
    ops::edge_score_backward<T>(c.graph, s_src, s_dst, slope, grad_e, grad_s_src, grad_s_dst);
  }
  // s = z·a per head (or z ⊙ a per channel)  →  grad_z, grad_a.
  if (o.multi_dim) {
    channel_scale_backward(c.z, a_src.value, grad_s_src, grad_z, a_src.grad);
    channel_scale_backward(c.z, a_dst.value, grad_s_dst, grad_z, a_dst.grad);
  } else {
    ops::head_dot_backward<T>(c.z, a_src.value, grad_s_src, grad_z, a_src.grad);
    ops::head_dot_backward<T>(c.z, a_dst.value, grad_s_dst, grad_z, a_dst.grad);
  }
}

}  // namespace

const ScoreVariant& gat_score() {
  static const ScoreVariant variant = [] {
    ScoreVariant v;
    v.name = "gat";
    v.formula = "LeakyReLU(a_dst·z_i + a_src·z_j)";
    v.edge_features = true;
    v.dense = true;
    v.parameters = parameters;
    v.f32 = {forward<float>, backward<float>};
    v.f64 = {forward<double>, backward<double>};
    return v;
  }();
  return variant;
}

}  // namespace gat
