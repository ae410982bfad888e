#include "gat/layers/gat_conv.hpp"

#include <cmath>

#include "gat/core/error.hpp"
#include "gat/ops/aggregate.hpp"
#include "gat/ops/dense_attention.hpp"
#include "gat/ops/dropout.hpp"
#include "gat/ops/edge_score.hpp"
#include "gat/ops/linear.hpp"
#include "gat/ops/segment_softmax.hpp"

namespace gat {

template <typename T>
GatConv<T>::GatConv(const GatConvOptions& options, std::uint64_t seed, int layer_index)
    : options_(options), layer_index_(layer_index) {
  const auto& o = options_;
  GAT_CHECK(o.in_features > 0, "GatConv: in_features must be positive, got " << o.in_features);
  GAT_CHECK(o.out_features > 0, "GatConv: out_features must be positive, got " << o.out_features);
  GAT_CHECK(o.heads > 0, "GatConv: heads must be positive, got " << o.heads);
  GAT_CHECK(o.input_dropout >= 0 && o.input_dropout < 1,
            "GatConv: input dropout must lie in [0, 1), got " << o.input_dropout);
  GAT_CHECK(o.attention_dropout >= 0 && o.attention_dropout < 1,
            "GatConv: attention dropout must lie in [0, 1), got " << o.attention_dropout);
  GAT_CHECK(o.feature_dropout >= 0 && o.feature_dropout < 1,
            "GatConv: feature dropout must lie in [0, 1), got " << o.feature_dropout);
  GAT_CHECK(std::isfinite(o.negative_slope) && o.negative_slope >= 0,
            "GatConv: negative slope must be finite and non-negative, got " << o.negative_slope);
  const std::int64_t hf = std::int64_t{o.heads} * o.out_features;
  const std::string prefix = "layers." + std::to_string(layer_index) + ".";
  weight = Parameter<T>(prefix + "weight", o.in_features, hf);
  att_src = Parameter<T>(prefix + "att_src", o.heads, o.out_features);
  att_dst = Parameter<T>(prefix + "att_dst", o.heads, o.out_features);
  glorot_uniform(weight, double(o.in_features), double(hf), seed, layer_index, 0);
  // Each head's attention vector maps its F features to one score: fan-in F, fan-out 1.
  glorot_uniform(att_src, double(o.out_features), 1.0, seed, layer_index, 1);
  glorot_uniform(att_dst, double(o.out_features), 1.0, seed, layer_index, 2);
  if (o.bias) bias = Parameter<T>(prefix + "bias", 1, out_width());
  if (o.residual && o.in_features != out_width()) {
    res_weight = Parameter<T>(prefix + "res_weight", o.in_features, out_width());
    glorot_uniform(res_weight, double(o.in_features), double(out_width()), seed, layer_index, 3);
  }
  GAT_CHECK(o.edge_features >= 0,
            "GatConv: edge_features must be non-negative, got " << o.edge_features);
  if (o.edge_features > 0) {
    GAT_CHECK(o.attention == AttentionMode::kSparse,
              "GatConv: edge features need sparse attention (dense attention has no edge slots)");
    edge_weight = Parameter<T>(prefix + "edge_weight", o.edge_features, hf);
    att_edge = Parameter<T>(prefix + "att_edge", o.heads, o.out_features);
    glorot_uniform(edge_weight, double(o.edge_features), double(hf), seed, layer_index, 4);
    glorot_uniform(att_edge, double(o.out_features), 1.0, seed, layer_index, 5);
  }
}

template <typename T>
std::int64_t GatConv<T>::out_width() const {
  return options_.concat ? std::int64_t{options_.heads} * options_.out_features
                         : options_.out_features;
}

template <typename T>
CsrGraph GatConv<T>::prepare_graph(const CsrGraph& graph) const {
  return apply_self_loops(graph, options_.self_loops);
}

template <typename T>
LayerGraph<T> GatConv<T>::prepare_graph(const CsrGraph& graph, MatrixCRef<T> edge_features) const {
  GAT_CHECK(edge_features.cols() == options_.edge_features,
            "GatConv layer " << layer_index_ << ": edge features have " << edge_features.cols()
                             << " columns, expected " << options_.edge_features);
  LayerGraph<T> out;
  std::vector<EdgeId> origin;
  out.graph = apply_self_loops(graph, options_.self_loops, &origin);
  out.edge_features =
      carry_edge_features<T>(graph, out.graph, origin, edge_features, options_.edge_fill);
  return out;
}

template <typename T>
std::vector<Parameter<T>*> GatConv<T>::parameters() {
  std::vector<Parameter<T>*> out{&weight, &att_src, &att_dst};
  if (options_.bias) out.push_back(&bias);
  if (res_weight.value.size() > 0) out.push_back(&res_weight);
  if (options_.edge_features > 0) {
    out.push_back(&edge_weight);
    out.push_back(&att_edge);
  }
  return out;
}

template <typename T>
void GatConv<T>::check_edges(const CsrGraph& graph, const Matrix<T>* edge_features) const {
  if (options_.edge_features == 0) return;
  GAT_CHECK(edge_features != nullptr, "GatConv layer " << layer_index_ << ": built for "
                                                       << options_.edge_features
                                                       << " edge features but none were given");
  GAT_CHECK(
      edge_features->rows() == graph.num_edges() && edge_features->cols() == options_.edge_features,
      "GatConv layer " << layer_index_ << ": edge features have shape (" << edge_features->rows()
                       << ", " << edge_features->cols() << "), expected (" << graph.num_edges()
                       << ", " << options_.edge_features << ") in the prepared graph's slot order");
}

template <typename T>
void GatConv<T>::check_graph(const CsrGraph& graph, std::int64_t rows) const {
  GAT_CHECK(rows == graph.num_nodes(), "GatConv layer " << layer_index_ << ": input has " << rows
                                                        << " rows but the graph has "
                                                        << graph.num_nodes() << " nodes");
}

template <typename T>
Matrix<T> GatConv<T>::forward(const CsrGraph& graph, MatrixCRef<T> x, GatConvCache<T>& cache,
                              const ForwardContext& ctx, const Matrix<T>* edge_features) const {
  check_graph(graph, x.rows());
  check_edges(graph, edge_features);
  cache.edge_input = options_.edge_features > 0 ? edge_features : nullptr;
  GAT_CHECK(x.cols() == options_.in_features, "GatConv layer " << layer_index_ << ": input has "
                                                               << x.cols() << " columns, expected "
                                                               << options_.in_features);
  cache.sparse_input = nullptr;
  cache.training = ctx.training;
  cache.input_rng = CounterRng(ctx.seed, ctx.step, layer_index_, kStreamInputDropout);
  cache.dense_input = x;
  if (ctx.training) ops::dropout<T>(cache.dense_input, options_.input_dropout, cache.input_rng);
  return forward_cached(graph, cache, ctx);
}

template <typename T>
Matrix<T> GatConv<T>::forward(const CsrGraph& graph, const SparseInput<T>& x,
                              GatConvCache<T>& cache, const ForwardContext& ctx,
                              const Matrix<T>* edge_features) const {
  check_graph(graph, x.matrix.rows);
  check_edges(graph, edge_features);
  cache.edge_input = options_.edge_features > 0 ? edge_features : nullptr;
  GAT_CHECK(x.matrix.cols == options_.in_features,
            "GatConv layer " << layer_index_ << ": input has " << x.matrix.cols
                             << " columns, expected " << options_.in_features);
  cache.sparse_input = &x;
  cache.dense_input.resize(0, 0);
  cache.training = ctx.training;
  cache.input_rng = CounterRng(ctx.seed, ctx.step, layer_index_, kStreamInputDropout);
  // Dropout of a sparse input only touches its non-zeros: a dropped zero is still zero.
  cache.sparse_values = x.matrix.val;
  if (ctx.training) ops::dropout<T>(cache.sparse_values, options_.input_dropout, cache.input_rng);
  return forward_cached(graph, cache, ctx);
}

template <typename T>
Matrix<T> GatConv<T>::projection_forward(const GatConvCache<T>& cache,
                                         const Parameter<T>& w) const {
  if (cache.sparse_input) {
    Matrix<T> y(cache.sparse_input->matrix.rows, w.value.cols());
    ops::spmm_forward<T>(cache.sparse_input->matrix, cache.sparse_values, w.value, y);
    return y;
  }
  Matrix<T> y(cache.dense_input.rows(), w.value.cols());
  ops::matmul_forward<T>(cache.dense_input, w.value, y);
  return y;
}

template <typename T>
Matrix<T> GatConv<T>::forward_cached(const CsrGraph& graph, GatConvCache<T>& cache,
                                     const ForwardContext& ctx) const {
  cache.z = projection_forward(cache, weight);
  Matrix<T> out = attend(graph, cache, ctx);
  if (options_.residual) {
    if (res_weight.value.size() > 0) {
      out += projection_forward(cache, res_weight);
    } else if (cache.sparse_input) {  // identity: in = out_width
      const auto& m = cache.sparse_input->matrix;
      for (std::int64_t i = 0; i < m.rows; ++i) {
        for (EdgeId k = m.row_ptr[i]; k < m.row_ptr[i + 1]; ++k) {
          out(i, m.col[k]) += cache.sparse_values[k];
        }
      }
    } else {
      out += cache.dense_input;
    }
  }
  if (options_.bias) out.rowwise() += bias.value.row(0);
  return out;
}

template <typename T>
Matrix<T> GatConv<T>::attend(const CsrGraph& graph, GatConvCache<T>& cache,
                             const ForwardContext& ctx) const {
  const Eigen::Index n = graph.num_nodes(), e = graph.num_edges(), h = options_.heads;
  const Eigen::Index f = options_.out_features;
  cache.s_src.resize(n, h);
  cache.s_dst.resize(n, h);
  ops::head_dot_forward<T>(cache.z, att_src.value, cache.s_src);
  ops::head_dot_forward<T>(cache.z, att_dst.value, cache.s_dst);
  const bool dense = options_.attention == AttentionMode::kDense;
  if (dense) {
    // Refuse before allocating anything N²-sized.
    ops::check_dense_attention_fits(n, h, ctx.training, sizeof(T), options_.dense_memory_limit);
    Matrix<T> adjacency(n, n);
    ops::dense_adjacency<T>(graph, adjacency);
    cache.alpha.resize(h * n, n);
    ops::dense_attention_forward<T>(adjacency, cache.s_src, cache.s_dst, T(options_.negative_slope),
                                    cache.alpha);
  } else {
    // Scores and softmax share one (E, H) buffer: the softmax runs in place.
    cache.alpha.resize(e, h);
    if (cache.edge_input) {
      // s_edge = X_e·V with V = W_e folded with a_edge per head: (D, H), then (E, H).
      cache.edge_v.resize(options_.edge_features, h);
      ops::head_dot_forward<T>(edge_weight.value, att_edge.value, cache.edge_v);
      cache.s_edge.resize(e, h);
      ops::matmul_forward<T>(*cache.edge_input, cache.edge_v, cache.s_edge);
      ops::edge_score_forward<T>(graph, cache.s_src, cache.s_dst, cache.s_edge,
                                 T(options_.negative_slope), cache.alpha);
    } else {
      ops::edge_score_forward<T>(graph, cache.s_src, cache.s_dst, T(options_.negative_slope),
                                 cache.alpha);
    }
    ops::segment_softmax_forward<T>(graph.row_ptr(), cache.alpha, cache.alpha);
  }
  cache.attention_rng = CounterRng(ctx.seed, ctx.step, layer_index_, kStreamAttentionDropout);
  const bool drop = ctx.training && options_.attention_dropout > 0;
  if (drop) {
    cache.alpha_used = cache.alpha;
    ops::dropout<T>(cache.alpha_used, options_.attention_dropout, cache.attention_rng);
  } else {
    cache.alpha_used.resize(0, 0);
  }
  const Matrix<T>& used = drop ? cache.alpha_used : cache.alpha;
  // The values aggregated may be dropped out; the scores above used z as it was.
  cache.feature_rng = CounterRng(ctx.seed, ctx.step, layer_index_, kStreamFeatureDropout);
  if (ctx.training && options_.feature_dropout > 0) {
    cache.z_used = cache.z;
    ops::dropout<T>(cache.z_used, options_.feature_dropout, cache.feature_rng);
  } else {
    cache.z_used.resize(0, 0);
  }
  const Matrix<T>& values = cache.z_used.size() > 0 ? cache.z_used : cache.z;
  Matrix<T> agg(n, h * f);
  if (dense) {
    ops::dense_aggregate_forward<T>(used, values, agg);
  } else {
    ops::aggregate_forward<T>(graph, used, values, agg);
  }
  if (options_.concat || h == 1) return agg;
  // Mean over heads: out[i, c] = (1/H) Σ_h agg[i, h·F + c].
  Matrix<T> out = Matrix<T>::Zero(n, f);
  for (Eigen::Index k = 0; k < h; ++k) out += agg.middleCols(k * f, f);
  out *= T(1) / T(h);
  return out;
}

template <typename T>
void GatConv<T>::projection_backward(const GatConvCache<T>& cache, Parameter<T>& w,
                                     MatrixCRef<T> grad_y, Matrix<T>* grad_input) const {
  if (cache.sparse_input) {
    ops::spmm_backward_weight<T>(cache.sparse_input->transposed, cache.sparse_values, grad_y,
                                 w.grad);
    return;
  }
  Matrix<T> gx(grad_y.rows(), options_.in_features);
  ops::matmul_backward<T>(cache.dense_input, w.value, grad_y, w.grad, grad_input ? &gx : nullptr);
  if (grad_input) *grad_input += gx;
}

template <typename T>
void GatConv<T>::backward(const CsrGraph& graph, const GatConvCache<T>& cache,
                          MatrixCRef<T> grad_out, Matrix<T>* grad_input,
                          Matrix<T>* grad_edge_features) {
  const Eigen::Index n = graph.num_nodes(), h = options_.heads;
  const Eigen::Index f = options_.out_features;
  GAT_CHECK(grad_out.rows() == n && grad_out.cols() == out_width(),
            "GatConv layer " << layer_index_ << ": gradient has shape (" << grad_out.rows() << ", "
                             << grad_out.cols() << "), expected (" << n << ", " << out_width()
                             << ")");
  const bool sparse = cache.sparse_input != nullptr;
  GAT_CHECK(!(sparse && grad_input),
            "GatConv layer " << layer_index_ << ": no input gradient is computed for sparse input");
  if (grad_input) grad_input->setZero(n, options_.in_features);

  // out = agg' + x·W_r + b  →  grad_b = Σ_i grad_out[i], grad_W_r = xᵀ·grad_out.
  if (options_.bias) ops::column_sum_backward<T>(grad_out, bias.grad);
  if (options_.residual) {
    if (res_weight.value.size() > 0) {
      projection_backward(cache, res_weight, grad_out, grad_input);
    } else if (grad_input) {
      *grad_input += grad_out;
    }
  }

  // Mean over heads: each head's slice receives grad_out / H.
  Matrix<T> grad_agg;
  if (options_.concat || h == 1) {
    grad_agg = grad_out;
  } else {
    grad_agg.resize(n, h * f);
    for (Eigen::Index k = 0; k < h; ++k) grad_agg.middleCols(k * f, f) = grad_out / T(h);
  }

  // agg = aggregate(α_used, z)  →  grad_α_used and grad_z.
  const bool dense = options_.attention == AttentionMode::kDense;
  const bool dropped = cache.alpha_used.size() > 0;
  const Matrix<T>& used = dropped ? cache.alpha_used : cache.alpha;
  Matrix<T> grad_alpha(cache.alpha.rows(), cache.alpha.cols());
  Matrix<T> grad_z = Matrix<T>::Zero(n, h * f);
  const bool values_dropped = cache.z_used.size() > 0;
  const Matrix<T>& values = values_dropped ? cache.z_used : cache.z;
  // With feature dropout the aggregation's gradient reaches z through the same mask, so it
  // is collected apart and masked before joining the gradient through the scores.
  Matrix<T> grad_values;
  if (values_dropped) grad_values = Matrix<T>::Zero(n, h * f);
  Matrix<T>& grad_v = values_dropped ? grad_values : grad_z;
  if (dense) {
    ops::dense_aggregate_backward<T>(used, values, grad_agg, grad_alpha, grad_v);
  } else {
    ops::aggregate_backward<T>(graph, used, values, grad_agg, grad_alpha, grad_v);
  }
  if (values_dropped) {
    ops::dropout<T>(grad_values, options_.feature_dropout, cache.feature_rng);
    grad_z += grad_values;
  }
  // α_used = dropout(α): the same mask scales the gradient.
  if (dropped) ops::dropout<T>(grad_alpha, options_.attention_dropout, cache.attention_rng);
  // α = softmax over neighbours of LeakyReLU(s_dst[i] + s_src[j])  →  grad_s_src, grad_s_dst.
  Matrix<T> grad_s_src = Matrix<T>::Zero(n, h), grad_s_dst = Matrix<T>::Zero(n, h);
  const T slope = T(options_.negative_slope);
  if (dense) {
    ops::dense_attention_backward<T>(cache.s_src, cache.s_dst, slope, cache.alpha, grad_alpha,
                                     grad_s_src, grad_s_dst);
  } else {
    // Softmax backward in place (grad_α becomes grad_e), then the edge scores.
    ops::segment_softmax_backward<T>(graph.row_ptr(), cache.alpha, grad_alpha, grad_alpha);
    if (cache.edge_input) {
      Matrix<T> grad_s_edge(graph.num_edges(), h);
      ops::edge_score_backward<T>(graph, cache.s_src, cache.s_dst, cache.s_edge, slope, grad_alpha,
                                  grad_s_src, grad_s_dst, grad_s_edge);
      // s_edge = X_e·V  →  grad_V = X_eᵀ·grad_s_edge, grad_X_e = grad_s_edge·Vᵀ;
      // V = head_dot(W_e, a_edge)  →  grad_W_e, grad_a_edge as for the node scores.
      Matrix<T> grad_edge_v = Matrix<T>::Zero(options_.edge_features, h);
      Matrix<T> grad_x_edge;
      if (grad_edge_features) grad_x_edge.resize(graph.num_edges(), options_.edge_features);
      ops::matmul_backward<T>(*cache.edge_input, cache.edge_v, grad_s_edge, grad_edge_v,
                              grad_edge_features ? &grad_x_edge : nullptr);
      if (grad_edge_features) *grad_edge_features = std::move(grad_x_edge);
      ops::head_dot_backward<T>(edge_weight.value, att_edge.value, grad_edge_v, edge_weight.grad,
                                att_edge.grad);
    } else {
      ops::edge_score_backward<T>(graph, cache.s_src, cache.s_dst, slope, grad_alpha, grad_s_src,
                                  grad_s_dst);
    }
  }
  // s = z·a per head  →  grad_z, grad_a.
  ops::head_dot_backward<T>(cache.z, att_src.value, grad_s_src, grad_z, att_src.grad);
  ops::head_dot_backward<T>(cache.z, att_dst.value, grad_s_dst, grad_z, att_dst.grad);
  // z = x·W  →  grad_W (and grad_x for dense input).
  projection_backward(cache, weight, grad_z, grad_input);
  // x_used = dropout(x): the same mask scales the input gradient.
  if (grad_input && cache.training) {
    ops::dropout<T>(*grad_input, options_.input_dropout, cache.input_rng);
  }
}

template class GatConv<float>;
template class GatConv<double>;

}  // namespace gat
