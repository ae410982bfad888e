#include "gat/layers/gat_conv.hpp"

#include <cmath>
#include <span>
#include <type_traits>
#include <utility>

#include "gat/core/error.hpp"
#include "gat/core/threads.hpp"
#include "gat/ops/aggregate.hpp"
#include "gat/ops/dense_attention.hpp"
#include "gat/ops/dropout.hpp"
#include "gat/ops/edge_score.hpp"
#include "gat/ops/gat_attention.hpp"
#include "gat/ops/linear.hpp"

namespace gat {

const char* to_string(AttentionMode mode) {
  return mode == AttentionMode::kDense ? "dense" : "sparse";
}

AttentionMode parse_attention_mode(const std::string& name) {
  if (name == "sparse") return AttentionMode::kSparse;
  if (name == "dense") return AttentionMode::kDense;
  GAT_FAIL("unknown attention mode '" << name << "'; choose one of sparse, dense");
}

const char* to_string(AttentionOverride ablation) {
  switch (ablation) {
    case AttentionOverride::kNone:
      return "none";
    case AttentionOverride::kUniform:
      return "uniform";
    case AttentionOverride::kPermute:
      return "permute";
  }
  return "?";
}

AttentionOverride parse_attention_override(const std::string& name) {
  for (const auto v :
       {AttentionOverride::kNone, AttentionOverride::kUniform, AttentionOverride::kPermute}) {
    if (name == to_string(v)) return v;
  }
  GAT_FAIL("unknown attention override '" << name << "'; choose one of none, uniform, permute");
}

namespace {

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
  const ScoreVariant& score = score_variant(o.score);  // unknown names throw here
  const AlignVariant& align = align_variant(o.align);
  if (align.check) align.check(o);
  if (align.uses_scores && score.check) score.check(o);
  const bool dense_ok = score.dense && o.align == Alignment::kSoftmax && !o.multi_dim;
  GAT_CHECK(o.attention == AttentionMode::kSparse || dense_ok,
            "GatConv: dense attention computes the gat score with softmax alignment only; got "
            "score "
                << to_string(o.score) << ", alignment " << to_string(o.align)
                << (o.multi_dim ? ", multi-dimensional" : "") << " (use sparse attention)");
  if (o.edge_features > 0) {
    GAT_CHECK(o.attention == AttentionMode::kSparse,
              "GatConv: edge features need sparse attention (dense attention has no edge slots)");
    GAT_CHECK(score.edge_features && !o.multi_dim && align.uses_scores,
              "GatConv: edge features enter the gat score only (single-dimensional, not uniform); "
              "got score "
                  << to_string(o.score) << ", alignment " << to_string(o.align)
                  << (o.multi_dim ? ", multi-dimensional" : ""));
  }
}

// The layer's parameters for options `o` (checked), in the order of GatConv::parameters(),
// with the number of them that belong to the score function (after `weight`). Streams 0 to 5
// are the layer's own; the score functions use others (see ParameterSpec).
struct LayerSpecs {
  std::vector<ParameterSpec> specs;
  std::size_t score_params = 0;
};

LayerSpecs layer_specs(const GatConvOptions& o) {
  check_options(o);
  const std::int64_t hf = std::int64_t{o.heads} * o.out_features;
  const std::int64_t width = o.concat ? hf : o.out_features;
  LayerSpecs out;
  out.specs.push_back({"weight", o.in_features, hf, double(o.in_features), double(hf), 0});
  if (align_variant(o.align).uses_scores) {
    for (auto& spec : score_variant(o.score).parameters(o)) out.specs.push_back(std::move(spec));
    out.score_params = out.specs.size() - 1;
  }
  if (o.bias) out.specs.push_back({"bias", 1, width, 0.0, 0.0, -1});
  if (o.residual && o.in_features != width) {
    out.specs.push_back(
        {"res_weight", o.in_features, width, double(o.in_features), double(width), 3});
  }
  if (o.edge_features > 0) {
    out.specs.push_back(
        {"edge_weight", o.edge_features, hf, double(o.edge_features), double(hf), 4});
    out.specs.push_back({"att_edge", o.heads, o.out_features, double(o.out_features), 1.0, 5});
  }
  return out;
}

std::string layer_prefix(int layer_index) { return "layers." + std::to_string(layer_index) + "."; }

}  // namespace

template <typename T>
std::vector<ParameterShape> GatConv<T>::parameter_shapes(const GatConvOptions& o, int layer_index) {
  const std::string prefix = layer_prefix(layer_index);
  std::vector<ParameterShape> out;
  for (const auto& spec : layer_specs(o).specs) {
    out.push_back({prefix + spec.name, spec.rows, spec.cols});
  }
  return out;
}

template <typename T>
GatConv<T>::GatConv(const GatConvOptions& options, std::uint64_t seed, int layer_index)
    : options_(options),
      layer_index_(layer_index),
      score_(&score_variant(options.score)),
      align_(&align_variant(options.align)) {
  const LayerSpecs layer = layer_specs(options_);  // checks the options
  const std::string prefix = layer_prefix(layer_index);
  score_params_ = layer.score_params;
  for (const auto& spec : layer.specs) {
    GAT_CHECK(find(prefix + spec.name) == nullptr,
              "GatConv: internal error: two parameters named " << spec.name);
    params_.emplace_back(prefix + spec.name, spec.rows, spec.cols);
    // Each stream keys its own values, so adding a parameter never changes another's.
    if (spec.fan_in > 0) {
      glorot_uniform(params_.back(), spec.fan_in, spec.fan_out, seed, layer_index, spec.stream);
    } else if (spec.constant != 0) {
      params_.back().value.setConstant(T(spec.constant));
    }
  }
  auto index_of = [&](const char* name) {
    const Parameter<T>* p = find(prefix + name);
    return p ? static_cast<int>(p - params_.data()) : -1;
  };
  bias_ = index_of("bias");
  res_weight_ = index_of("res_weight");
  edge_weight_ = index_of("edge_weight");
  att_edge_ = index_of("att_edge");
}

template <typename T>
const Parameter<T>* GatConv<T>::find(const std::string& name) const {
  for (const auto& p : params_) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

template <typename T>
const Parameter<T>& GatConv<T>::parameter(const std::string& name) const {
  const Parameter<T>* p = find(layer_prefix(layer_index_) + name);
  if (!p) {
    std::string names;
    for (const auto& q : params_) names += (names.empty() ? "" : ", ") + q.name;
    GAT_FAIL("GatConv layer " << layer_index_ << " has no parameter '" << name << "'; it has "
                              << names);
  }
  return *p;
}

template <typename T>
Parameter<T>& GatConv<T>::parameter(const std::string& name) {
  return const_cast<Parameter<T>&>(std::as_const(*this).parameter(name));
}

template <typename T>
std::vector<Parameter<T>*> GatConv<T>::parameters() {
  std::vector<Parameter<T>*> out;
  for (auto& p : params_) out.push_back(&p);
  return out;
}

template <typename T>
std::vector<const Parameter<T>*> GatConv<T>::parameters() const {
  std::vector<const Parameter<T>*> out;
  for (const auto& p : params_) out.push_back(&p);
  return out;
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
void GatConv<T>::check_edges(const CsrGraph& graph, const Matrix<T>* edge_features,
                             const HaloExchange* halo) const {
  // A graph without the layer's self-loop policy applied would run, silently attending without
  // (or with several) self loops: refuse it. The summary is counted when the graph is built.
  // A process's part of a split graph has its halo rows without in-edges: one loop per owned row.
  const SelfLoops policy = options_.self_loops;
  GAT_CHECK(policy != SelfLoops::kAdd || halo != nullptr || graph.has_one_self_loop_per_node(),
            "GatConv layer " << layer_index_ << ": the graph has " << graph.num_self_loops()
                             << " self loops on " << graph.num_nodes()
                             << " nodes, but the layer's policy (self_loops=add) wants exactly one "
                                "per node: pass the graph through prepare_graph() first");
  GAT_CHECK(policy != SelfLoops::kAdd || halo == nullptr ||
                graph.num_self_loops() == static_cast<EdgeId>(halo->owned()),
            "GatConv layer " << layer_index_ << ": the part's graph has " << graph.num_self_loops()
                             << " self loops on " << halo->owned()
                             << " owned nodes, but the layer's policy (self_loops=add) wants "
                                "exactly one per owned node");
  GAT_CHECK(policy != SelfLoops::kRemove || graph.num_self_loops() == 0,
            "GatConv layer " << layer_index_ << ": the graph has " << graph.num_self_loops()
                             << " self loops, but the layer's policy (self_loops=remove) wants "
                                "none: pass the graph through prepare_graph() first");
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
  check_edges(graph, edge_features, ctx.halo);
  cache.edge_input = options_.edge_features > 0 ? edge_features : nullptr;
  GAT_CHECK(x.cols() == options_.in_features, "GatConv layer " << layer_index_ << ": input has "
                                                               << x.cols() << " columns, expected "
                                                               << options_.in_features);
  cache.sparse_input = nullptr;
  check_halo(graph, cache, ctx);
  cache.training = ctx.training;
  cache.input_rng = CounterRng(ctx.seed, ctx.step, layer_index_, kStreamInputDropout);
  cache.dense_data = x.data();
  cache.dense_rows = x.rows();
  cache.dense_cols = x.cols();
  cache.dense_stride = x.outerStride();
  cache.input_mask.clear();  // input_dropout() below draws its decisions afresh
  if (const ops::DropoutSpec drop = input_dropout(cache); drop.rate > 0) {
    ops::dropout_mask(x.rows(), x.cols(), drop, cache.input_mask);
  }
  return forward_cached(graph, cache, ctx);
}

template <typename T>
Matrix<T> GatConv<T>::forward(const CsrGraph& graph, const SparseInput<T>& x,
                              GatConvCache<T>& cache, const ForwardContext& ctx,
                              const Matrix<T>* edge_features) const {
  check_graph(graph, x.matrix.rows);
  check_edges(graph, edge_features, ctx.halo);
  cache.edge_input = options_.edge_features > 0 ? edge_features : nullptr;
  GAT_CHECK(x.matrix.cols == options_.in_features,
            "GatConv layer " << layer_index_ << ": input has " << x.matrix.cols
                             << " columns, expected " << options_.in_features);
  cache.sparse_input = &x;
  cache.input_mask.clear();
  cache.dense_data = nullptr;
  check_halo(graph, cache, ctx);
  cache.training = ctx.training;
  cache.input_rng = CounterRng(ctx.seed, ctx.step, layer_index_, kStreamInputDropout);
  // Dropout of a sparse input only touches its non-zeros: a dropped zero is still zero. Each is
  // keyed by its index among the non-zeros (of the whole input, in a distributed run).
  cache.sparse_values = x.matrix.val;
  if (ctx.training) {
    const std::span<const std::int64_t> ids =
        ctx.halo ? ctx.halo->input_ids() : std::span<const std::int64_t>{};
    GAT_CHECK(ids.empty() || static_cast<std::int64_t>(ids.size()) == x.matrix.nnz(),
              "GatConv layer " << layer_index_ << ": the halo exchange places " << ids.size()
                               << " input non-zeros, the input has " << x.matrix.nnz());
    ops::dropout<T>(cache.sparse_values, {options_.input_dropout, cache.input_rng, ids});
  }
  return forward_cached(graph, cache, ctx);
}

template <typename T>
Matrix<T> GatConv<T>::projection_forward(const GatConvCache<T>& cache, const Matrix<T>& w) const {
  if (cache.sparse_input) {
    Matrix<T> y(cache.sparse_input->matrix.rows, w.cols());
    ops::spmm_forward<T>(cache.sparse_input->matrix, cache.sparse_values, w, y);
    return y;
  }
  Matrix<T> y(cache.dense_rows, w.cols());
  ops::matmul_forward<T>(cache.dense_input(), w, y, input_dropout(cache));
  return y;
}

template <typename T>
ops::DropoutSpec GatConv<T>::input_dropout(const GatConvCache<T>& cache) const {
  return {cache.training ? options_.input_dropout : 0.0, cache.input_rng,
          cache.halo ? cache.halo->node_ids() : std::span<const std::int64_t>{}, cache.input_mask};
}

template <typename T>
ops::DropoutSpec GatConv<T>::feature_dropout(const GatConvCache<T>& cache, double rate) const {
  return {rate, cache.feature_rng,
          cache.halo ? cache.halo->node_ids() : std::span<const std::int64_t>{}};
}

template <typename T>
void GatConv<T>::check_halo(const CsrGraph& graph, GatConvCache<T>& cache,
                            const ForwardContext& ctx) const {
  cache.halo = ctx.halo;
  if (!ctx.halo) return;
  GAT_CHECK((std::is_same_v<T, float>),
            "GatConv layer " << layer_index_ << ": distributed passes run in float only");
  GAT_CHECK(fuses(options_) && ctx.attention_override == AttentionOverride::kNone,
            "GatConv layer "
                << layer_index_
                << ": distributed training runs the paper's layer only (sparse attention, gat "
                   "score, softmax alignment, single-dimensional, no edge features)");
  const std::int64_t owned = ctx.halo->owned();
  GAT_CHECK(static_cast<std::int64_t>(ctx.halo->node_ids().size()) == graph.num_nodes() &&
                owned >= 0 && owned <= graph.num_nodes() &&
                static_cast<EdgeId>(ctx.halo->slot_ids().size()) == graph.num_edges(),
            "GatConv layer " << layer_index_ << ": the halo exchange describes "
                             << ctx.halo->node_ids().size() << " rows and "
                             << ctx.halo->slot_ids().size() << " slots, the graph has "
                             << graph.num_nodes() << " nodes and " << graph.num_edges()
                             << " edges");
  // Halo rows only lend their values: their own in-edges would be attended by their owner.
  GAT_CHECK(graph.row_ptr()[owned] == graph.num_edges(),
            "GatConv layer " << layer_index_ << ": halo rows (from " << owned << ") have in-edges");
}

template <typename T>
Matrix<T> GatConv<T>::forward_cached(const CsrGraph& graph, GatConvCache<T>& cache,
                                     const ForwardContext& ctx) const {
  cache.z = projection_forward(cache, weight().value);
  Matrix<T> out = attend(graph, cache, ctx);
  if (options_.residual) {
    if (res_weight_ >= 0) {
      out += projection_forward(cache, at(res_weight_)->value);
    } else if (cache.sparse_input) {  // identity: in = out_width
      const auto& m = cache.sparse_input->matrix;
      for (std::int64_t i = 0; i < m.rows; ++i) {
        for (EdgeId k = m.row_ptr[i]; k < m.row_ptr[i + 1]; ++k) {
          out(i, m.col[k]) += cache.sparse_values[k];
        }
      }
    } else if (const ops::DropoutSpec drop = input_dropout(cache); drop.rate > 0) {
      Matrix<T> x_used = cache.dense_input();  // x_used itself, dropped in a transient copy
      ops::dropout<T>(x_used, drop);
      out += x_used;
    } else {
      out += cache.dense_input();
    }
  }
  if (bias_ >= 0) out.rowwise() += at(bias_)->value.row(0);
  return out;
}

namespace {

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

}  // namespace

template <typename T>
ScoreContext<T> GatConv<T>::score_context(const CsrGraph& graph, const GatConvCache<T>& cache,
                                          const InputProjection<T>& input,
                                          Matrix<T>* grad_edge_features) const {
  // The forward (const) hands the score its parameters as the backward does; a score's
  // forward only reads their values (ScoreContext says so), hence the const_cast.
  auto* self = const_cast<GatConv<T>*>(this);
  std::vector<Parameter<T>*> params;
  for (std::size_t k = 0; k < score_params_; ++k) params.push_back(&self->params_[1 + k]);
  return ScoreContext<T>{options_,
                         graph,
                         cache.z,
                         std::move(params),
                         input,
                         cache.edge_input,
                         self->at(edge_weight_),
                         self->at(att_edge_),
                         grad_edge_features};
}

template <typename T>
AlignContext<T> GatConv<T>::align_context(const CsrGraph& graph,
                                          const GatConvCache<T>& cache) const {
  return AlignContext<T>{options_, graph, cache.training, cache.hard_rng};
}

template <typename T>
void GatConv<T>::attend_dense(const CsrGraph& graph, GatConvCache<T>& cache,
                              const ForwardContext& ctx) const {
  const Eigen::Index n = graph.num_nodes(), h = options_.heads;
  // Only the gat score has a dense form (check_options): its parameters are att_src, att_dst.
  const Matrix<T>& att_src = params_[1].value;
  const Matrix<T>& att_dst = params_[2].value;
  cache.s_src.resize(n, h);
  cache.s_dst.resize(n, h);
  ops::head_dot_forward<T>(cache.z, att_src, cache.s_src);
  ops::head_dot_forward<T>(cache.z, att_dst, cache.s_dst);
  // Refuse before allocating anything N²-sized.
  ops::check_dense_attention_fits(n, h, ctx.training, sizeof(T), options_.dense_memory_limit);
  Matrix<T> adjacency(n, n);
  ops::dense_adjacency<T>(graph, adjacency);
  cache.alpha.resize(h * n, n);
  ops::dense_attention_forward<T>(adjacency, cache.s_src, cache.s_dst, T(options_.negative_slope),
                                  cache.alpha);
}

template <typename T>
bool GatConv<T>::fuses(const GatConvOptions& o) {
  return o.attention == AttentionMode::kSparse && o.score == ScoreFunction::kGat &&
         o.align == Alignment::kSoftmax && !o.multi_dim && o.edge_features == 0;
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
  cache.attention_rng = CounterRng(ctx.seed, ctx.step, layer_index_, kStreamAttentionDropout);
  const bool drop = ctx.training && options_.attention_dropout > 0;
  // The values aggregated may be dropped out; the scores use z as it was.
  cache.feature_rng = CounterRng(ctx.seed, ctx.step, layer_index_, kStreamFeatureDropout);
  if (ctx.training && options_.feature_dropout > 0) {
    cache.z_used = cache.z;
    ops::dropout<T>(cache.z_used, feature_dropout(cache, options_.feature_dropout));
  } else {
    cache.z_used.resize(0, 0);
  }
  const Matrix<T>& values = cache.z_used.size() > 0 ? cache.z_used : cache.z;
  Matrix<T> agg(n, h * f);
  cache.fused = fuses(options_) && ctx.attention_override == AttentionOverride::kNone;
  if (cache.fused) {
    // The paper's layer: node scores, then scores, softmax, dropout and aggregation in one
    // pass per destination row (gat/ops/gat_attention.hpp), the same bits as the steps below.
    cache.s_src.resize(n, h);
    cache.s_dst.resize(n, h);
    ops::head_dot_forward<T>(cache.z, params_[1].value, cache.s_src);
    ops::head_dot_forward<T>(cache.z, params_[2].value, cache.s_dst);
    if constexpr (std::is_same_v<T, float>) {
      // The halo rows' values and source scores are their owners' (check_halo: float only).
      if (cache.halo) {
        cache.halo->fetch(cache.z_used.size() > 0 ? cache.z_used : cache.z, cache.s_src);
      }
    }
    // An inference pass keeps the weights (E, H) for attention() unless told not to; training
    // keeps them for the backward while they are small, and otherwise keeps none (nor the ones
    // of an earlier inference pass): the backward computes them again from the softmax
    // statistics (N, H).
    const auto weight_bytes =
        static_cast<std::uint64_t>(graph.num_edges()) * static_cast<std::uint64_t>(h) * sizeof(T);
    const bool keep =
        ctx.training ? weight_bytes <= options_.keep_weights_bytes : ctx.keep_attention;
    if (!keep) cache.alpha.resize(0, 0);
    cache.alpha_used.resize(0, 0);
    ops::gat_attention_forward<T>(
        graph, cache.s_src, cache.s_dst, T(options_.negative_slope),
        {drop ? options_.attention_dropout : 0.0, cache.attention_rng,
         cache.halo ? cache.halo->slot_ids() : std::span<const std::int64_t>{}},
        values, agg, cache.softmax_stats, cache.attention_mask, keep ? &cache.alpha : nullptr);
    // With feature dropout the values aggregated are z_used, and the backward needs z itself
    // only for the attention vectors' gradient Σ_i grad_s[i, h]·z[i, h, :], which it can take
    // from the input instead (node_scores_backward). Past keep_weights_bytes z is not kept.
    const auto z_bytes = static_cast<std::uint64_t>(cache.z.size()) * sizeof(T);
    if (ctx.training && cache.z_used.size() > 0 && z_bytes > options_.keep_weights_bytes) {
      cache.z.resize(0, 0);
    }
    return mean_heads(std::move(agg));
  }
  if (dense) {
    attend_dense(graph, cache, ctx);
  } else {
    cache.hard_rng = CounterRng(ctx.seed, ctx.step, layer_index_, kStreamHardAttention);
    // Scores (E, W) into cache.alpha, which the alignment turns into weights in place.
    cache.alpha.resize(graph.num_edges(), attention_width());
    if (align_->uses_scores) {
      const InputProjection<T> input{
          [&](const Matrix<T>& w) { return projection_forward(cache, w); }, {}};
      score_->kernels<T>().forward(score_context(graph, cache, input, nullptr), cache.alpha,
                                   cache.score);
    }
    const AlignContext<T> align = align_context(graph, cache);
    align_->kernels<T>().forward(align, cache.alpha, cache.align);
    // Ablations replace the learned weights (inference; backward refuses these caches).
    if (ctx.attention_override == AttentionOverride::kUniform) {
      align_variant(Alignment::kUniform).kernels<T>().forward(align, cache.alpha, cache.align);
    }
    if (ctx.attention_override == AttentionOverride::kPermute) {
      permute_neighbourhoods(graph, CounterRng(ctx.seed, ctx.step, layer_index_, kStreamPermute),
                             cache.alpha);
    }
  }
  if (drop) {
    cache.alpha_used = cache.alpha;
    ops::dropout<T>(cache.alpha_used, options_.attention_dropout, cache.attention_rng);
  } else {
    cache.alpha_used.resize(0, 0);
  }
  const Matrix<T>& used = drop ? cache.alpha_used : cache.alpha;
  if (dense) {
    ops::dense_aggregate_forward<T>(used, values, agg);
  } else if (options_.multi_dim) {
    ops::aggregate_channels_forward<T>(graph, used, values, agg);
  } else {
    ops::aggregate_forward<T>(graph, used, values, agg);
  }
  return mean_heads(std::move(agg));
}

template <typename T>
Matrix<T> GatConv<T>::mean_heads(Matrix<T> agg) const {
  const Eigen::Index h = options_.heads, f = options_.out_features;
  if (options_.concat || h == 1) return agg;
  // Mean over heads: out[i, c] = (1/H) Σ_h agg[i, h·F + c].
  Matrix<T> out = Matrix<T>::Zero(agg.rows(), f);
  for (Eigen::Index k = 0; k < h; ++k) out += agg.middleCols(k * f, f);
  out *= T(1) / T(h);
  return out;
}

template <typename T>
void GatConv<T>::projection_backward(const GatConvCache<T>& cache, const Matrix<T>& w,
                                     Matrix<T>& grad_w, MatrixCRef<T> grad_y, Matrix<T>* grad_input,
                                     bool& input_written) const {
  if (cache.sparse_input) {
    ops::spmm_backward_weight<T>(cache.sparse_input->matrix, cache.sparse_values, grad_y, grad_w);
    return;
  }
  const ops::DropoutSpec drop = input_dropout(cache);
  if (!grad_input || !input_written) {
    // The first contribution goes straight into grad_input: no (N, in) temporary.
    ops::matmul_backward<T>(cache.dense_input(), w, grad_y, grad_w, grad_input, drop);
    input_written = grad_input != nullptr;
    return;
  }
  Matrix<T> gx(grad_y.rows(), options_.in_features);
  ops::matmul_backward<T>(cache.dense_input(), w, grad_y, grad_w, &gx, drop);
  *grad_input += gx;
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
  // grad_input (with respect to x_used, masked at the end) is sized here and written by its
  // first contribution, so that it is never zeroed and then added to.
  if (grad_input) grad_input->resize(n, options_.in_features);
  bool input_written = false;

  // out = agg' + x·W_r + b  →  grad_b = Σ_i grad_out[i], grad_W_r = xᵀ·grad_out.
  if (bias_ >= 0) ops::column_sum_backward<T>(grad_out, at(bias_)->grad);
  if (options_.residual) {
    if (res_weight_ >= 0) {
      Parameter<T>& res = *at(res_weight_);
      projection_backward(cache, res.value, res.grad, grad_out, grad_input, input_written);
    } else if (grad_input) {
      *grad_input = grad_out;
      input_written = true;
    }
  }

  // Mean over heads: each head's slice receives grad_out / H.
  // Concatenated heads pass grad_out through as it is: a view, not an (N, H·F) copy.
  Matrix<T> grad_mean;
  const bool averaged = !(options_.concat || h == 1);
  if (averaged) {
    grad_mean.resize(n, h * f);
    for (Eigen::Index k = 0; k < h; ++k) grad_mean.middleCols(k * f, f) = grad_out / T(h);
  }
  const MatrixCRef<T> grad_agg = averaged ? MatrixCRef<T>(grad_mean) : grad_out;

  // agg = aggregate(α_used, z)  →  grad_α_used and grad_z.
  const bool dense = options_.attention == AttentionMode::kDense;
  Matrix<T> grad_z = Matrix<T>::Zero(n, h * f);
  const bool values_dropped = cache.z_used.size() > 0;
  const Matrix<T>& values = values_dropped ? cache.z_used : cache.z;
  // The aggregation's gradient (with respect to the values) is the first into grad_z. With
  // feature dropout it reaches z through the same mask, applied to grad_z in place while it
  // holds nothing else (no second (N, H·F) matrix); the scores' gradient joins after.
  const auto join_values = [&] {
    if (values_dropped) ops::dropout<T>(grad_z, feature_dropout(cache, options_.feature_dropout));
  };
  // s = z·a per head  →  grad_z, grad_a: the gat score's att_src, att_dst, for the fused and
  // the dense pipelines, which keep the node scores themselves.
  const auto node_scores_backward = [&](const Matrix<T>& grad_s_src, const Matrix<T>& grad_s_dst) {
    Parameter<T>& att_src = params_[1];
    Parameter<T>& att_dst = params_[2];
    if (cache.z.size() > 0) {
      ops::head_dot_backward<T>(cache.z, att_src.value, grad_s_src, grad_z, att_src.grad);
      ops::head_dot_backward<T>(cache.z, att_dst.value, grad_s_dst, grad_z, att_dst.grad);
      return;
    }
    // z = x_used·W was not kept (attend): Σ_i grad_s[i, h]·z[i, h, :] = Σ_k m[k, h]·W[k, h·F ..
    // (h+1)·F) with m = x_usedᵀ·grad_s (in, H), for both vectors in one pass over the input
    // (the same chunked, ordered reduction as the weight gradient); grad_z += grad_s ⊗ a as
    // head_dot_backward adds it, source then destination.
    Matrix<T> grad_s(n, 2 * h);
    grad_s << grad_s_src, grad_s_dst;
    Matrix<T> m = Matrix<T>::Zero(options_.in_features, 2 * h);
    if (cache.sparse_input) {
      ops::spmm_backward_weight<T>(cache.sparse_input->matrix, cache.sparse_values, grad_s, m);
    } else {
      ops::matmul_tn<T>(cache.dense_input(), grad_s, m, input_dropout(cache));
    }
    const Matrix<T>& w = weight().value;
    for (Eigen::Index k = 0; k < h; ++k) {
      att_src.grad.row(k).noalias() += m.col(k).transpose() * w.middleCols(k * f, f);
      att_dst.grad.row(k).noalias() += m.col(h + k).transpose() * w.middleCols(k * f, f);
    }
    const Matrix<T>& a_src = att_src.value;
    const Matrix<T>& a_dst = att_dst.value;
#pragma omp parallel for schedule(static)
    for (Eigen::Index i = 0; i < n; ++i) {
      for (Eigen::Index k = 0; k < h; ++k) {
        grad_z.row(i).segment(k * f, f) += grad_s_src(i, k) * a_src.row(k);
      }
      for (Eigen::Index k = 0; k < h; ++k) {
        grad_z.row(i).segment(k * f, f) += grad_s_dst(i, k) * a_dst.row(k);
      }
    }
  };
  if (cache.fused) {
    // The fused pipeline's backward: the scores' gradients by destination and by source rows,
    // then through the node scores, as the gat score does.
    Matrix<T> grad_s_src = Matrix<T>::Zero(n, h), grad_s_dst = Matrix<T>::Zero(n, h);
    const double rate = cache.attention_mask.empty() ? 0.0 : options_.attention_dropout;
    ops::gat_attention_backward<T>(graph, cache.s_src, cache.s_dst, T(options_.negative_slope),
                                   rate, cache.attention_mask, cache.softmax_stats,
                                   cache.alpha.size() > 0 ? &cache.alpha : nullptr, values,
                                   grad_agg, grad_s_src, grad_s_dst, grad_z);
    if constexpr (std::is_same_v<T, float>) {
      // What the owned rows' attention sent into halo rows belongs to their owners' z (after
      // feature dropout: joined there) and s_src.
      if (cache.halo) cache.halo->give_back(grad_z, grad_s_src);
    }
    join_values();
    node_scores_backward(grad_s_src, grad_s_dst);
  } else {
    const bool dropped = cache.alpha_used.size() > 0;
    const Matrix<T>& used = dropped ? cache.alpha_used : cache.alpha;
    Matrix<T> grad_alpha(cache.alpha.rows(), cache.alpha.cols());
    if (dense) {
      ops::dense_aggregate_backward<T>(used, values, grad_agg, grad_alpha, grad_z);
    } else if (options_.multi_dim) {
      ops::aggregate_channels_backward<T>(graph, used, values, grad_agg, grad_alpha, grad_z);
    } else {
      ops::aggregate_backward<T>(graph, used, values, grad_agg, grad_alpha, grad_z);
    }
    join_values();
    // α_used = dropout(α): the same mask scales the gradient.
    if (dropped) ops::dropout<T>(grad_alpha, options_.attention_dropout, cache.attention_rng);
    if (dense) {
      // α = softmax over neighbours of LeakyReLU(s_dst[i] + s_src[j])  →  grad_s_src, grad_s_dst.
      Matrix<T> grad_s_src = Matrix<T>::Zero(n, h), grad_s_dst = Matrix<T>::Zero(n, h);
      ops::dense_attention_backward<T>(cache.s_src, cache.s_dst, T(options_.negative_slope),
                                       cache.alpha, grad_alpha, grad_s_src, grad_s_dst);
      node_scores_backward(grad_s_src, grad_s_dst);
    } else if (align_->uses_scores) {
      // Weights → scores (in place), then scores → z, the input and the score parameters.
      align_->kernels<T>().backward(align_context(graph, cache), cache.align, cache.alpha,
                                    grad_alpha);
      const InputProjection<T> input{
          {}, [&](const Matrix<T>& w, Matrix<T>& grad_w, MatrixCRef<T> grad_y) {
            projection_backward(cache, w, grad_w, grad_y, grad_input, input_written);
          }};
      score_->kernels<T>().backward(score_context(graph, cache, input, grad_edge_features),
                                    cache.score, grad_alpha, grad_z);
    }
  }
  // z = x·W  →  grad_W (and grad_x for dense input).
  projection_backward(cache, weight().value, weight().grad, grad_z, grad_input, input_written);
  // x_used = dropout(x): the same mask scales the input gradient.
  if (grad_input && cache.training) {
    ops::dropout<T>(*grad_input, input_dropout(cache));
  }
}

template class GatConv<float>;
template class GatConv<double>;

}  // namespace gat
