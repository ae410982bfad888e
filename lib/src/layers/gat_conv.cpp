#include "gat/layers/gat_conv.hpp"

#include <cmath>
#include <utility>

#include "gat/core/error.hpp"
#include "gat/core/threads.hpp"
#include "gat/ops/activation.hpp"
#include "gat/ops/aggregate.hpp"
#include "gat/ops/dense_attention.hpp"
#include "gat/ops/dropout.hpp"
#include "gat/ops/edge_additive.hpp"
#include "gat/ops/edge_dot.hpp"
#include "gat/ops/edge_score.hpp"
#include "gat/ops/linear.hpp"
#include "gat/ops/segment_hard.hpp"
#include "gat/ops/segment_softmax.hpp"
#include "gat/ops/segment_sparsemax.hpp"
#include "gat/ops/segment_topk.hpp"

namespace gat {

namespace {

constexpr ScoreFunction kScores[] = {ScoreFunction::kGat,
                                     ScoreFunction::kGatV2,
                                     ScoreFunction::kDot,
                                     ScoreFunction::kScaledDot,
                                     ScoreFunction::kGeneral,
                                     ScoreFunction::kBiasedGeneral,
                                     ScoreFunction::kActivatedGeneral};
constexpr Alignment kAlignments[] = {Alignment::kSoftmax, Alignment::kSparsemax, Alignment::kHard,
                                     Alignment::kLocal, Alignment::kUniform};

template <typename Enum, std::size_t K>
std::string list_names(const Enum (&values)[K]) {
  std::string out;
  for (std::size_t k = 0; k < K; ++k) out += (k ? ", " : "") + std::string(to_string(values[k]));
  return out;
}

bool is_general(ScoreFunction s) {
  return s == ScoreFunction::kGeneral || s == ScoreFunction::kBiasedGeneral ||
         s == ScoreFunction::kActivatedGeneral;
}

// Which parameters a score function adds beyond W (see ScoreFunction), for options `o`.
bool has_att_pair(const GatConvOptions& o) {
  return o.align != Alignment::kUniform && o.score == ScoreFunction::kGat;
}
bool has_gatv2(const GatConvOptions& o) {
  return o.align != Alignment::kUniform && o.score == ScoreFunction::kGatV2;
}
bool has_query(const GatConvOptions& o) {
  return o.align != Alignment::kUniform &&
         (o.score == ScoreFunction::kDot || o.score == ScoreFunction::kScaledDot);
}
bool has_matrix(const GatConvOptions& o) {
  return o.align != Alignment::kUniform && is_general(o.score);
}
bool has_score_bias(const GatConvOptions& o) {
  return o.align != Alignment::kUniform &&
         (o.score == ScoreFunction::kGatV2 || o.score == ScoreFunction::kBiasedGeneral ||
          o.score == ScoreFunction::kActivatedGeneral);
}

void check_options(const GatConvOptions& o) {
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
  GAT_CHECK(o.edge_features >= 0,
            "GatConv: edge_features must be non-negative, got " << o.edge_features);
  GAT_CHECK(o.align != Alignment::kLocal || o.top_k >= 1,
            "GatConv: local attention needs top_k >= 1, got " << o.top_k);
  const bool variant =
      o.score != ScoreFunction::kGat || o.align != Alignment::kSoftmax || o.multi_dim;
  GAT_CHECK(o.attention == AttentionMode::kSparse || !variant,
            "GatConv: dense attention computes the gat score with softmax alignment only; got "
            "score "
                << to_string(o.score) << ", alignment " << to_string(o.align)
                << (o.multi_dim ? ", multi-dimensional" : "") << " (use sparse attention)");
  if (o.edge_features > 0) {
    GAT_CHECK(o.attention == AttentionMode::kSparse,
              "GatConv: edge features need sparse attention (dense attention has no edge slots)");
    GAT_CHECK(o.score == ScoreFunction::kGat && !o.multi_dim && o.align != Alignment::kUniform,
              "GatConv: edge features enter the gat score only (single-dimensional, not uniform); "
              "got score "
                  << to_string(o.score) << ", alignment " << to_string(o.align)
                  << (o.multi_dim ? ", multi-dimensional" : ""));
  }
}

}  // namespace

const char* to_string(ScoreFunction score) {
  switch (score) {
    case ScoreFunction::kGat:
      return "gat";
    case ScoreFunction::kGatV2:
      return "gatv2";
    case ScoreFunction::kDot:
      return "dot";
    case ScoreFunction::kScaledDot:
      return "scaled-dot";
    case ScoreFunction::kGeneral:
      return "general";
    case ScoreFunction::kBiasedGeneral:
      return "biased-general";
    case ScoreFunction::kActivatedGeneral:
      return "activated-general";
  }
  return "?";
}

const char* to_string(Alignment align) {
  switch (align) {
    case Alignment::kSoftmax:
      return "softmax";
    case Alignment::kSparsemax:
      return "sparsemax";
    case Alignment::kHard:
      return "hard";
    case Alignment::kLocal:
      return "local";
    case Alignment::kUniform:
      return "uniform";
  }
  return "?";
}

ScoreFunction parse_score_function(const std::string& name) {
  for (const auto s : kScores) {
    if (name == to_string(s)) return s;
  }
  GAT_FAIL("unknown score function '" << name << "'; choose one of " << list_names(kScores));
}

Alignment parse_alignment(const std::string& name) {
  for (const auto a : kAlignments) {
    if (name == to_string(a)) return a;
  }
  GAT_FAIL("unknown alignment '" << name << "'; choose one of " << list_names(kAlignments));
}

template <typename T>
std::vector<ParameterShape> GatConv<T>::parameter_shapes(const GatConvOptions& o, int layer_index) {
  check_options(o);
  const std::int64_t hf = std::int64_t{o.heads} * o.out_features;
  const std::int64_t width = o.concat ? hf : o.out_features;
  const std::int64_t w = o.multi_dim ? hf : o.heads;
  const std::string prefix = "layers." + std::to_string(layer_index) + ".";
  std::vector<ParameterShape> out{{prefix + "weight", o.in_features, hf}};
  if (has_att_pair(o)) {
    out.push_back({prefix + "att_src", o.heads, o.out_features});
    out.push_back({prefix + "att_dst", o.heads, o.out_features});
  }
  if (has_gatv2(o)) {
    if (!o.share_weights) out.push_back({prefix + "weight_dst", o.in_features, hf});
    out.push_back({prefix + "att", o.heads, o.out_features});
  }
  if (has_query(o)) out.push_back({prefix + "weight_query", o.in_features, hf});
  if (has_matrix(o)) out.push_back({prefix + "att_matrix", hf, o.out_features});
  if (has_score_bias(o)) out.push_back({prefix + "score_bias", 1, has_gatv2(o) ? hf : w});
  if (o.bias) out.push_back({prefix + "bias", 1, width});
  if (o.residual && o.in_features != width) {
    out.push_back({prefix + "res_weight", o.in_features, width});
  }
  if (o.edge_features > 0) {
    out.push_back({prefix + "edge_weight", o.edge_features, hf});
    out.push_back({prefix + "att_edge", o.heads, o.out_features});
  }
  return out;
}

template <typename T>
GatConv<T>::GatConv(const GatConvOptions& options, std::uint64_t seed, int layer_index)
    : options_(options), layer_index_(layer_index) {
  const auto& o = options_;
  const auto shapes = parameter_shapes(o, layer_index);  // checks the options
  const std::int64_t hf = std::int64_t{o.heads} * o.out_features;
  const std::string prefix = "layers." + std::to_string(layer_index) + ".";
  weight = Parameter<T>(prefix + "weight", o.in_features, hf);
  glorot_uniform(weight, double(o.in_features), double(hf), seed, layer_index, 0);
  // Each head's attention vector maps its F features to one score: fan-in F, fan-out 1.
  if (has_att_pair(o)) {
    att_src = Parameter<T>(prefix + "att_src", o.heads, o.out_features);
    att_dst = Parameter<T>(prefix + "att_dst", o.heads, o.out_features);
    glorot_uniform(att_src, double(o.out_features), 1.0, seed, layer_index, 1);
    glorot_uniform(att_dst, double(o.out_features), 1.0, seed, layer_index, 2);
  }
  if (o.bias) bias = Parameter<T>(prefix + "bias", 1, out_width());
  if (o.residual && o.in_features != out_width()) {
    res_weight = Parameter<T>(prefix + "res_weight", o.in_features, out_width());
    glorot_uniform(res_weight, double(o.in_features), double(out_width()), seed, layer_index, 3);
  }
  if (o.edge_features > 0) {
    edge_weight = Parameter<T>(prefix + "edge_weight", o.edge_features, hf);
    att_edge = Parameter<T>(prefix + "att_edge", o.heads, o.out_features);
    glorot_uniform(edge_weight, double(o.edge_features), double(hf), seed, layer_index, 4);
    glorot_uniform(att_edge, double(o.out_features), 1.0, seed, layer_index, 5);
  }
  if (has_gatv2(o)) {
    if (!o.share_weights) {
      weight_dst = Parameter<T>(prefix + "weight_dst", o.in_features, hf);
      glorot_uniform(weight_dst, double(o.in_features), double(hf), seed, layer_index, 6);
    }
    att = Parameter<T>(prefix + "att", o.heads, o.out_features);
    glorot_uniform(att, double(o.out_features), 1.0, seed, layer_index, 7);
  }
  if (has_query(o)) {
    weight_query = Parameter<T>(prefix + "weight_query", o.in_features, hf);
    glorot_uniform(weight_query, double(o.in_features), double(hf), seed, layer_index, 8);
  }
  if (has_matrix(o)) {
    // M_h maps F features to F: fan-in F, fan-out F.
    att_matrix = Parameter<T>(prefix + "att_matrix", hf, o.out_features);
    glorot_uniform(att_matrix, double(o.out_features), double(o.out_features), seed, layer_index,
                   9);
  }
  if (has_score_bias(o)) {  // starts at zero, as PyG initialises biases
    score_bias = Parameter<T>(prefix + "score_bias", 1, has_gatv2(o) ? hf : attention_width());
  }
  // The one list of parameters is parameter_shapes; the layer must agree with it.
  const auto params = parameters();
  GAT_CHECK(params.size() == shapes.size(), "GatConv: internal error: parameter list mismatch");
  for (std::size_t k = 0; k < shapes.size(); ++k) {
    GAT_CHECK(params[k]->name == shapes[k].name && params[k]->value.rows() == shapes[k].rows &&
                  params[k]->value.cols() == shapes[k].cols,
              "GatConv: internal error: parameter " << params[k]->name << " differs from "
                                                    << shapes[k].name);
  }
}

template <typename T>
std::int64_t GatConv<T>::out_width() const {
  return options_.concat ? std::int64_t{options_.heads} * options_.out_features
                         : options_.out_features;
}

template <typename T>
std::int64_t GatConv<T>::attention_width() const {
  return options_.multi_dim ? std::int64_t{options_.heads} * options_.out_features : options_.heads;
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
  const auto& o = options_;
  std::vector<Parameter<T>*> out{&weight};
  if (has_att_pair(o)) {
    out.push_back(&att_src);
    out.push_back(&att_dst);
  }
  if (has_gatv2(o)) {
    if (!o.share_weights) out.push_back(&weight_dst);
    out.push_back(&att);
  }
  if (has_query(o)) out.push_back(&weight_query);
  if (has_matrix(o)) out.push_back(&att_matrix);
  if (has_score_bias(o)) out.push_back(&score_bias);
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

namespace {

// α[p, ·] = 1 / deg(i) for every slot p = (j → i): uniform attention (mean aggregation).
template <typename T>
void fill_uniform(const CsrGraph& graph, Matrix<T>& alpha) {
  const auto& row_ptr = graph.row_ptr();
  const NodeId n = graph.num_nodes();
#pragma omp parallel for schedule(static)
  for (NodeId i = 0; i < n; ++i) {
    const EdgeId begin = row_ptr[i], end = row_ptr[i + 1];
    if (begin < end) alpha.middleRows(begin, end - begin).setConstant(T(1) / T(end - begin));
  }
}

// Permutes the slots of each node's neighbourhood (rows of α, all columns together) with a
// Fisher–Yates shuffle whose t-th draw is rng.uniform(begin + t): a pure function of the rng's
// key and the slot, so the permutation does not depend on the thread count.
template <typename T>
void permute_neighbourhoods(const CsrGraph& graph, const CounterRng& rng, Matrix<T>& alpha) {
  const auto& row_ptr = graph.row_ptr();
  const NodeId n = graph.num_nodes();
#pragma omp parallel for schedule(dynamic, 64)
  for (NodeId i = 0; i < n; ++i) {
    const EdgeId begin = row_ptr[i], deg = row_ptr[i + 1] - begin;
    for (EdgeId t = deg - 1; t > 0; --t) {
      // Swap slot t with a slot drawn uniformly from [0, t].
      const auto u = static_cast<EdgeId>(rng.uniform(static_cast<std::uint64_t>(begin + t)) *
                                         static_cast<double>(t + 1));
      const EdgeId k = u > t ? t : u;
      if (k != t) alpha.row(begin + t).swap(alpha.row(begin + k));
    }
  }
}

// Elementwise per-channel node scores of multi-dimensional gat attention:
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

}  // namespace

template <typename T>
void GatConv<T>::score_forward(const CsrGraph& graph, GatConvCache<T>& cache) const {
  const auto& o = options_;
  const Eigen::Index n = graph.num_nodes(), e = graph.num_edges(), h = o.heads;
  const Eigen::Index f = o.out_features, w = attention_width();
  const T slope = T(o.negative_slope);
  Matrix<T>& scores = cache.alpha;  // (E, W), turned into weights in place by the alignment
  scores.resize(e, w);
  switch (o.score) {
    case ScoreFunction::kGat: {
      // e = LeakyReLU(s_dst[i] + s_src[j] (+ s_edge[p])) with s = z·a per head, or per channel
      // (s = z ⊙ a) when multi-dimensional: the per-head sums left unsummed.
      if (o.multi_dim) {
        channel_scale(cache.z, att_src.value, cache.s_src);
        channel_scale(cache.z, att_dst.value, cache.s_dst);
      } else {
        cache.s_src.resize(n, h);
        cache.s_dst.resize(n, h);
        ops::head_dot_forward<T>(cache.z, att_src.value, cache.s_src);
        ops::head_dot_forward<T>(cache.z, att_dst.value, cache.s_dst);
      }
      if (cache.edge_input) {
        // s_edge = X_e·V with V = W_e folded with a_edge per head: (D, H), then (E, H).
        cache.edge_v.resize(o.edge_features, h);
        ops::head_dot_forward<T>(edge_weight.value, att_edge.value, cache.edge_v);
        cache.s_edge.resize(e, h);
        ops::matmul_forward<T>(*cache.edge_input, cache.edge_v, cache.s_edge);
        ops::edge_score_forward<T>(graph, cache.s_src, cache.s_dst, cache.s_edge, slope, scores);
      } else {
        ops::edge_score_forward<T>(graph, cache.s_src, cache.s_dst, slope, scores);
      }
      return;
    }
    case ScoreFunction::kGatV2: {
      // e = aᵀ LeakyReLU(q_i + z_j) with q = x·W_dst + b (W_dst = W when shared).
      cache.q = o.share_weights ? cache.z : projection_forward(cache, weight_dst);
      cache.q.rowwise() += score_bias.value.row(0);
      if (o.multi_dim) {
        ops::edge_additive_multidim_forward<T>(graph, cache.q, cache.z, att.value, slope, scores);
      } else {
        ops::edge_additive_forward<T>(graph, cache.q, cache.z, att.value, slope, scores);
      }
      return;
    }
    case ScoreFunction::kDot:
    case ScoreFunction::kScaledDot:
    case ScoreFunction::kGeneral:
    case ScoreFunction::kBiasedGeneral:
    case ScoreFunction::kActivatedGeneral: {
      // Every multiplicative score is q_i · z_j sampled at the edges: q = x·W_q for dot, and
      // q_h = z_h·M_hᵀ per head for the general family, since z_jᵀ M z_i = (z_i Mᵀ)·z_j.
      if (is_general(o.score)) {
        cache.q.resize(n, h * f);
        for (Eigen::Index k = 0; k < h; ++k) {
          ops::matmul_forward<T>(cache.z.middleCols(k * f, f),
                                 att_matrix.value.middleRows(k * f, f),
                                 cache.q.middleCols(k * f, f));
        }
      } else {
        cache.q = projection_forward(cache, weight_query);
      }
      const T scale = o.score == ScoreFunction::kScaledDot ? T(1) / std::sqrt(T(f)) : T(1);
      if (o.multi_dim) {
        ops::edge_dot_multidim_forward<T>(graph, cache.q, cache.z, scale, scores);
      } else {
        ops::edge_dot_forward<T>(graph, cache.q, cache.z, scale, scores);
      }
      if (o.score == ScoreFunction::kBiasedGeneral || o.score == ScoreFunction::kActivatedGeneral) {
        scores.rowwise() += score_bias.value.row(0);
      }
      if (o.score == ScoreFunction::kActivatedGeneral) {
        ops::tanh_forward<T>(scores, scores);
        cache.scores = scores;  // tanh' = 1 − y² needs the output after the alignment ran
      }
      return;
    }
  }
}

template <typename T>
void GatConv<T>::score_backward(const CsrGraph& graph, const GatConvCache<T>& cache,
                                MatrixCRef<T> grad_e_in, Matrix<T>& grad_z, Matrix<T>* grad_input,
                                Matrix<T>* grad_edge_features) {
  const auto& o = options_;
  const Eigen::Index n = graph.num_nodes(), h = o.heads, f = o.out_features;
  const T slope = T(o.negative_slope);
  switch (o.score) {
    case ScoreFunction::kGat: {
      const Eigen::Index w = attention_width();
      Matrix<T> grad_s_src = Matrix<T>::Zero(n, w), grad_s_dst = Matrix<T>::Zero(n, w);
      if (cache.edge_input) {
        Matrix<T> grad_s_edge(graph.num_edges(), h);
        ops::edge_score_backward<T>(graph, cache.s_src, cache.s_dst, cache.s_edge, slope, grad_e_in,
                                    grad_s_src, grad_s_dst, grad_s_edge);
        // s_edge = X_e·V  →  grad_V = X_eᵀ·grad_s_edge, grad_X_e = grad_s_edge·Vᵀ;
        // V = head_dot(W_e, a_edge)  →  grad_W_e, grad_a_edge as for the node scores.
        Matrix<T> grad_edge_v = Matrix<T>::Zero(o.edge_features, h);
        Matrix<T> grad_x_edge;
        if (grad_edge_features) grad_x_edge.resize(graph.num_edges(), o.edge_features);
        ops::matmul_backward<T>(*cache.edge_input, cache.edge_v, grad_s_edge, grad_edge_v,
                                grad_edge_features ? &grad_x_edge : nullptr);
        if (grad_edge_features) *grad_edge_features = std::move(grad_x_edge);
        ops::head_dot_backward<T>(edge_weight.value, att_edge.value, grad_edge_v, edge_weight.grad,
                                  att_edge.grad);
      } else {
        ops::edge_score_backward<T>(graph, cache.s_src, cache.s_dst, slope, grad_e_in, grad_s_src,
                                    grad_s_dst);
      }
      // s = z·a per head (or z ⊙ a per channel)  →  grad_z, grad_a.
      if (o.multi_dim) {
        channel_scale_backward(cache.z, att_src.value, grad_s_src, grad_z, att_src.grad);
        channel_scale_backward(cache.z, att_dst.value, grad_s_dst, grad_z, att_dst.grad);
      } else {
        ops::head_dot_backward<T>(cache.z, att_src.value, grad_s_src, grad_z, att_src.grad);
        ops::head_dot_backward<T>(cache.z, att_dst.value, grad_s_dst, grad_z, att_dst.grad);
      }
      return;
    }
    case ScoreFunction::kGatV2: {
      // e = aᵀ LeakyReLU(q_i + z_j)  →  grad_q, grad_z, grad_a in one fused pass.
      Matrix<T> grad_q = Matrix<T>::Zero(n, h * f);
      if (o.multi_dim) {
        ops::edge_additive_multidim_backward<T>(graph, cache.q, cache.z, att.value, slope,
                                                grad_e_in, grad_q, grad_z, att.grad);
      } else {
        ops::edge_additive_backward<T>(graph, cache.q, cache.z, att.value, slope, grad_e_in, grad_q,
                                       grad_z, att.grad);
      }
      // q = x·W_dst + b (or z + b)  →  grad_b = Σ_i grad_q[i], and grad_W_dst or grad_z.
      ops::column_sum_backward<T>(grad_q, score_bias.grad);
      if (o.share_weights) {
        grad_z += grad_q;
      } else {
        projection_backward(cache, weight_dst, grad_q, grad_input);
      }
      return;
    }
    case ScoreFunction::kDot:
    case ScoreFunction::kScaledDot:
    case ScoreFunction::kGeneral:
    case ScoreFunction::kBiasedGeneral:
    case ScoreFunction::kActivatedGeneral: {
      // e = tanh(s + b) (activated) or s + b (biased)  →  grad_s, grad_b = Σ_p grad_s[p].
      const bool activated = o.score == ScoreFunction::kActivatedGeneral;
      Matrix<T> grad_pre;
      if (activated) {
        grad_pre.resize(grad_e_in.rows(), grad_e_in.cols());
        ops::tanh_backward<T>(cache.scores, grad_e_in, grad_pre);
      }
      const MatrixCRef<T> grad_s = activated ? MatrixCRef<T>(grad_pre) : grad_e_in;
      if (o.score == ScoreFunction::kBiasedGeneral || o.score == ScoreFunction::kActivatedGeneral) {
        ops::column_sum_backward<T>(grad_s, score_bias.grad);
      }
      // s = scale · q_i · z_j  →  grad_q, grad_z.
      const T scale = o.score == ScoreFunction::kScaledDot ? T(1) / std::sqrt(T(f)) : T(1);
      Matrix<T> grad_q = Matrix<T>::Zero(n, h * f);
      if (o.multi_dim) {
        ops::edge_dot_multidim_backward<T>(graph, cache.q, cache.z, scale, grad_s, grad_q, grad_z);
      } else {
        ops::edge_dot_backward<T>(graph, cache.q, cache.z, scale, grad_s, grad_q, grad_z);
      }
      if (is_general(o.score)) {
        // q_h = z_h·P_h with P_h = M_hᵀ  →  grad_P_h += z_hᵀ·grad_q_h, grad_z_h += grad_q_h·P_hᵀ.
        Matrix<T> grad_zh(n, f);  // matmul_backward writes into a matrix of this shape
        for (Eigen::Index k = 0; k < h; ++k) {
          ops::matmul_backward<T>(
              cache.z.middleCols(k * f, f), att_matrix.value.middleRows(k * f, f),
              grad_q.middleCols(k * f, f), att_matrix.grad.middleRows(k * f, f), &grad_zh);
          grad_z.middleCols(k * f, f) += grad_zh;
        }
      } else {
        projection_backward(cache, weight_query, grad_q, grad_input);
      }
      return;
    }
  }
}

template <typename T>
void GatConv<T>::align_forward(const CsrGraph& graph, GatConvCache<T>& cache,
                               const ForwardContext& ctx) const {
  const auto& offsets = graph.row_ptr();
  Matrix<T>& a = cache.alpha;  // scores in, weights out
  switch (options_.align) {
    case Alignment::kSoftmax:
      ops::segment_softmax_forward<T>(offsets, a, a);
      return;
    case Alignment::kSparsemax:
      ops::segment_sparsemax_forward<T>(offsets, a, a);
      return;
    case Alignment::kLocal:
      // All but the top_k scores of each neighbourhood become −∞, which the softmax turns into
      // weights of exactly 0 (and gradients of exactly 0).
      ops::segment_topk_forward<T>(offsets, options_.top_k, a, a);
      ops::segment_softmax_forward<T>(offsets, a, a);
      return;
    case Alignment::kHard:
      ops::segment_softmax_forward<T>(offsets, a, a);
      cache.alpha_soft = a;
      ops::segment_hard_forward<T>(offsets, cache.alpha_soft, ctx.training, cache.hard_rng, a);
      return;
    case Alignment::kUniform:
      fill_uniform(graph, a);
      return;
  }
}

template <typename T>
void GatConv<T>::align_backward(const CsrGraph& graph, const GatConvCache<T>& cache,
                                Matrix<T>& grad) const {
  const auto& offsets = graph.row_ptr();
  switch (options_.align) {
    case Alignment::kSoftmax:
      ops::segment_softmax_backward<T>(offsets, cache.alpha, grad, grad);
      return;
    case Alignment::kSparsemax:
      ops::segment_sparsemax_backward<T>(offsets, cache.alpha, grad, grad);
      return;
    case Alignment::kLocal:
      // The softmax gives masked slots α = 0 exactly, so its backward already gives them a zero
      // gradient; the top-k mask's own backward (identity on kept slots) changes nothing more.
      ops::segment_softmax_backward<T>(offsets, cache.alpha, grad, grad);
      return;
    case Alignment::kHard:
      // Straight-through: the gradient reaching the one-hot sample passes to the softmax it was
      // drawn from (ops/segment_hard.hpp explains the estimator and its bias).
      ops::segment_hard_backward<T>(offsets, grad, grad);
      ops::segment_softmax_backward<T>(offsets, cache.alpha_soft, grad, grad);
      return;
    case Alignment::kUniform:
      return;  // no score, nothing to differentiate
  }
}

template <typename T>
Matrix<T> GatConv<T>::attend(const CsrGraph& graph, GatConvCache<T>& cache,
                             const ForwardContext& ctx) const {
  const Eigen::Index n = graph.num_nodes(), h = options_.heads;
  const Eigen::Index f = options_.out_features;
  const bool dense = options_.attention == AttentionMode::kDense;
  GAT_CHECK(!dense || ctx.attention_override == AttentionOverride::kNone,
            "GatConv layer " << layer_index_ << ": attention overrides need sparse attention");
  cache.attention_override = ctx.attention_override;
  if (dense) {
    cache.s_src.resize(n, h);
    cache.s_dst.resize(n, h);
    ops::head_dot_forward<T>(cache.z, att_src.value, cache.s_src);
    ops::head_dot_forward<T>(cache.z, att_dst.value, cache.s_dst);
    // Refuse before allocating anything N²-sized.
    ops::check_dense_attention_fits(n, h, ctx.training, sizeof(T), options_.dense_memory_limit);
    Matrix<T> adjacency(n, n);
    ops::dense_adjacency<T>(graph, adjacency);
    cache.alpha.resize(h * n, n);
    ops::dense_attention_forward<T>(adjacency, cache.s_src, cache.s_dst, T(options_.negative_slope),
                                    cache.alpha);
  } else {
    cache.hard_rng = CounterRng(ctx.seed, ctx.step, layer_index_, kStreamHardAttention);
    if (options_.align == Alignment::kUniform) {
      cache.alpha.resize(graph.num_edges(), attention_width());
    } else {
      score_forward(graph, cache);  // scores into cache.alpha (E, W)
    }
    align_forward(graph, cache, ctx);
    // Ablations replace the learned weights (inference; backward refuses these caches).
    if (ctx.attention_override == AttentionOverride::kUniform) fill_uniform(graph, cache.alpha);
    if (ctx.attention_override == AttentionOverride::kPermute) {
      permute_neighbourhoods(graph, CounterRng(ctx.seed, ctx.step, layer_index_, kStreamPermute),
                             cache.alpha);
    }
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
  } else if (options_.multi_dim) {
    ops::aggregate_channels_forward<T>(graph, used, values, agg);
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
  GAT_CHECK(cache.attention_override == AttentionOverride::kNone,
            "GatConv layer " << layer_index_
                             << ": the forward pass replaced the attention weights (an ablation "
                                "override); there is no gradient through them");
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
  } else if (options_.multi_dim) {
    ops::aggregate_channels_backward<T>(graph, used, values, grad_agg, grad_alpha, grad_v);
  } else {
    ops::aggregate_backward<T>(graph, used, values, grad_agg, grad_alpha, grad_v);
  }
  if (values_dropped) {
    ops::dropout<T>(grad_values, options_.feature_dropout, cache.feature_rng);
    grad_z += grad_values;
  }
  // α_used = dropout(α): the same mask scales the gradient.
  if (dropped) ops::dropout<T>(grad_alpha, options_.attention_dropout, cache.attention_rng);
  if (dense) {
    // α = softmax over neighbours of LeakyReLU(s_dst[i] + s_src[j])  →  grad_s_src, grad_s_dst.
    Matrix<T> grad_s_src = Matrix<T>::Zero(n, h), grad_s_dst = Matrix<T>::Zero(n, h);
    ops::dense_attention_backward<T>(cache.s_src, cache.s_dst, T(options_.negative_slope),
                                     cache.alpha, grad_alpha, grad_s_src, grad_s_dst);
    // s = z·a per head  →  grad_z, grad_a.
    ops::head_dot_backward<T>(cache.z, att_src.value, grad_s_src, grad_z, att_src.grad);
    ops::head_dot_backward<T>(cache.z, att_dst.value, grad_s_dst, grad_z, att_dst.grad);
  } else if (options_.align != Alignment::kUniform) {
    // Weights → scores (in place), then scores → z, the input and the score parameters.
    align_backward(graph, cache, grad_alpha);
    score_backward(graph, cache, grad_alpha, grad_z, grad_input, grad_edge_features);
  }
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
