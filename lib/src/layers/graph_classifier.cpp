#include "gat/layers/graph_classifier.hpp"

#include <string>

#include "gat/core/error.hpp"
#include "gat/core/random.hpp"
#include "gat/ops/activation.hpp"
#include "gat/ops/dropout.hpp"
#include "gat/ops/finite.hpp"

namespace gat {
namespace {

GatConvOptions conv_options(const GraphClassifierOptions& o, int layer) {
  GatConvOptions c;
  c.in_features = layer == 0 ? o.in_features : std::int64_t{o.heads} * o.hidden;
  c.out_features = o.hidden;
  c.heads = o.heads;
  c.concat = true;
  c.negative_slope = o.negative_slope;
  c.score = o.score;
  c.align = o.align;
  c.input_dropout = o.dropout;
  c.attention_dropout = o.attention_dropout;
  c.residual = o.residual;
  c.self_loops = o.self_loops;
  c.edge_features = o.edge_features;
  c.edge_fill = o.edge_fill;
  return c;
}

// Generator keys (layer indices of CounterRng): GAT layer l has l; readout k has L + k; the
// head has L + R (R readouts), its Linears ordinals 0 (classifier) and 1 (mlp). Without jumping
// knowledge or an mlp these are the keys of the model before either existed.
std::uint64_t head_index(const GraphClassifierOptions& o) {
  return static_cast<std::uint64_t>(o.layers) + (o.jumping_knowledge ? o.layers + 1 : 1);
}

// Width of h_l: the input for l = 0, then H·F.
std::int64_t width_of(const GraphClassifierOptions& o, int l) {
  return l == 0 ? o.in_features : std::int64_t{o.heads} * o.hidden;
}

// The pools: of h_L alone, or of every h_0 .. h_L with jumping knowledge.
template <typename T>
std::vector<GraphPool<T>> make_pools(const GraphClassifierOptions& o, std::uint64_t seed) {
  std::vector<GraphPool<T>> pools;
  const int first = o.jumping_knowledge ? 0 : o.layers;
  for (int l = first; l <= o.layers; ++l) {
    AttentionPoolOptions p;
    p.in_features = width_of(o, l);
    p.gate_hidden = o.gate_hidden;
    p.layer_index = static_cast<std::uint64_t>(o.layers) + static_cast<std::uint64_t>(l - first);
    pools.emplace_back(o.pool, p, seed,
                       o.jumping_knowledge ? "pools." + std::to_string(l) : std::string("pool"));
  }
  return pools;
}

template <typename T>
std::int64_t pools_width(const std::vector<GraphPool<T>>& pools) {
  std::int64_t w = 0;
  for (const auto& p : pools) w += p.out_width();
  return w;
}

// ReLU in place, and its backward from the output: grad ← grad · [y > 0].
template <typename T>
void relu_forward(Matrix<T>& y) {
  y = y.cwiseMax(T(0));
}
template <typename T>
void relu_backward(const Matrix<T>& y, Matrix<T>& grad) {
  grad = (y.array() > T(0)).select(grad, T(0));
}

const GraphClassifierOptions& checked(const GraphClassifierOptions& o) {
  GAT_CHECK(o.in_features > 0,
            "GraphClassifier: in_features must be positive, got " << o.in_features);
  GAT_CHECK(o.num_classes >= 2, "GraphClassifier: need at least 2 classes, got " << o.num_classes);
  GAT_CHECK(o.layers >= 0, "GraphClassifier: layers must be 0 or more, got " << o.layers);
  GAT_CHECK(o.hidden > 0 && o.heads > 0, "GraphClassifier: hidden and heads must be positive, got "
                                             << o.hidden << " and " << o.heads);
  GAT_CHECK(o.mlp_hidden >= 0, "GraphClassifier: mlp_hidden must be 0 (a linear head) or "
                                   << "positive, got " << o.mlp_hidden);
  GAT_CHECK(o.mlp_dropout >= 0 && o.mlp_dropout < 1,
            "GraphClassifier: mlp_dropout must be in [0, 1), got " << o.mlp_dropout);
  return o;
}

}  // namespace

template <typename T>
GraphClassifier<T>::GraphClassifier(const GraphClassifierOptions& options, std::uint64_t seed)
    : options_(checked(options)),
      pools_(make_pools<T>(options, seed)),
      classifier_(options.mlp_hidden > 0 ? options.mlp_hidden : pools_width(pools_),
                  options.num_classes, true, seed, head_index(options), 0, "classifier") {
  for (int l = 0; l < options_.layers; ++l)
    layers_.emplace_back(conv_options(options_, l), seed, l);
  if (options_.mlp_hidden > 0) {
    mlp_.emplace(pools_width(pools_), options_.mlp_hidden, true, seed, head_index(options_), 1,
                 "mlp");
  }
}

template <typename T>
std::int64_t GraphClassifier<T>::readout_width() const {
  return pools_width(pools_);
}

template <typename T>
LayerGraph<T> GraphClassifier<T>::prepare_graph(const CsrGraph& graph,
                                                MatrixCRef<T> edge_features) const {
  // Without GAT layers the graph only delimits the graphs (node_offsets do): keep it as given.
  if (layers_.empty()) return {graph, Matrix<T>(edge_features)};
  return layers_.front().prepare_graph(graph, edge_features);
}

template <typename T>
Matrix<T> GraphClassifier<T>::forward(const LayerGraph<T>& g, MatrixCRef<T> x,
                                      const std::vector<EdgeId>& node_offsets,
                                      GraphClassifierCache<T>& cache,
                                      const ForwardContext& ctx) const {
  GAT_CHECK(!node_offsets.empty() && node_offsets.back() == g.graph.num_nodes(),
            "GraphClassifier: node offsets end at "
                << (node_offsets.empty() ? -1 : node_offsets.back()) << " but the batch has "
                << g.graph.num_nodes() << " nodes");
  const std::size_t l_count = layers_.size();
  cache.layers.resize(l_count);
  cache.hidden.resize(l_count);
  const Matrix<T>* edges = options_.edge_features > 0 ? &g.edge_features : nullptr;
  // At inference a NaN or infinity is an error naming where it first appears (see
  // GatModel::forward); in training the trainer's loss check reports divergence.
  auto check = [&](const Matrix<T>& out, const std::string& where) {
    GAT_CHECK(ctx.training || ops::all_finite<T>(out),
              where << " produced non-finite values (NaN or Inf): the weights may be too large "
                       "(a corrupted or diverged checkpoint?)");
  };
  for (std::size_t l = 0; l < l_count; ++l) {
    const Matrix<T> pre =
        l == 0 ? layers_[l].forward(g.graph, x, cache.layers[l], ctx, edges)
               : layers_[l].forward(g.graph, cache.hidden[l - 1], cache.layers[l], ctx, edges);
    check(pre, "layer " + std::to_string(l + 1) + " of " + std::to_string(l_count));
    cache.hidden[l].resize(pre.rows(), pre.cols());
    ops::elu_forward<T>(pre, cache.hidden[l]);
  }
  // Readouts of h_first .. h_L side by side.
  const int first = options_.jumping_knowledge ? 0 : options_.layers;
  cache.pools.resize(pools_.size());
  cache.pooled.resize(static_cast<Eigen::Index>(node_offsets.size()) - 1, readout_width());
  Eigen::Index col = 0;
  for (std::size_t k = 0; k < pools_.size(); ++k) {
    const int l = first + static_cast<int>(k);
    const Matrix<T> p = l == 0
                            ? pools_[k].forward(node_offsets, x, cache.pools[k])
                            : pools_[k].forward(node_offsets, cache.hidden[l - 1], cache.pools[k]);
    cache.pooled.middleCols(col, p.cols()) = p;
    col += p.cols();
  }
  check(cache.pooled, "the readout");
  // Head: [Linear → ReLU] → dropout → Linear.
  cache.training = ctx.training;
  cache.seed = ctx.seed;
  cache.step = ctx.step;
  if (mlp_) {
    cache.mlp = mlp_->forward(cache.pooled);
    relu_forward(cache.mlp);
    cache.head_input = cache.mlp;
  } else {
    cache.head_input = cache.pooled;
  }
  if (ctx.training && options_.mlp_dropout > 0) {
    ops::dropout<T>(cache.head_input, options_.mlp_dropout,
                    CounterRng(ctx.seed, ctx.step, head_index(options_), kStreamInputDropout));
  }
  Matrix<T> logits = classifier_.forward(cache.head_input);
  check(logits, "the classifier");
  return logits;
}

template <typename T>
void GraphClassifier<T>::backward(const LayerGraph<T>& g, const std::vector<EdgeId>& node_offsets,
                                  const GraphClassifierCache<T>& cache, MatrixCRef<T> grad_logits,
                                  Matrix<T>* grad_input) {
  // logits = u·W + b with u = dropout(a) → grad_u; dropout is linear, so grad_a is the same
  // mask applied to grad_u; a = ReLU(pooled·W_m + b_m) → grad_pooled.
  Matrix<T> grad_u, grad_pooled;
  classifier_.backward(cache.head_input, grad_logits, &grad_u);
  if (cache.training && options_.mlp_dropout > 0) {
    ops::dropout<T>(grad_u, options_.mlp_dropout,
                    CounterRng(cache.seed, cache.step, head_index(options_), kStreamInputDropout));
  }
  if (mlp_) {
    relu_backward(cache.mlp, grad_u);
    mlp_->backward(cache.pooled, grad_u, &grad_pooled);
  } else {
    grad_pooled = std::move(grad_u);
  }
  // pooled = [pool_first(h_first) | … | pool_L(h_L)]: each readout's columns go back to its h.
  const int first = options_.jumping_knowledge ? 0 : options_.layers;
  std::vector<Eigen::Index> col(pools_.size() + 1, 0);
  for (std::size_t k = 0; k < pools_.size(); ++k) col[k + 1] = col[k] + pools_[k].out_width();
  auto pool_backward = [&](int l, Matrix<T>* grad_h) {
    const auto k = static_cast<std::size_t>(l - first);
    const Matrix<T> grad_k = grad_pooled.middleCols(col[k], col[k + 1] - col[k]);
    pools_[k].backward(node_offsets, cache.pools[k], grad_k, grad_h);
  };
  auto add_pool_backward = [&](int l, Matrix<T>& grad_h) {  // grad_h += readout l's gradient
    Matrix<T> more;
    pool_backward(l, &more);
    grad_h += more;
  };
  const int last = options_.layers;
  Matrix<T> grad_h;
  if (last == 0) {
    pool_backward(0, grad_input);
    return;
  }
  pool_backward(last, &grad_h);
  for (int l = last; l-- > 0;) {
    // h_{l+1} = ELU(pre)  →  grad_pre, computed from the ELU output itself.
    Matrix<T> grad_pre(grad_h.rows(), grad_h.cols());
    ops::elu_backward<T>(cache.hidden[static_cast<std::size_t>(l)], grad_h, grad_pre);
    // Below layer l: h_l, read by layer l and (with jumping knowledge) by its own readout.
    const auto li = static_cast<std::size_t>(l);
    Matrix<T>* into = l > 0 ? &grad_h : grad_input;
    Matrix<T> next;
    layers_[li].backward(g.graph, cache.layers[li], grad_pre, into ? &next : nullptr);
    if (l >= first) {  // h_l is read out too (jumping knowledge)
      if (into) {
        add_pool_backward(l, next);
      } else {
        pool_backward(l, nullptr);  // its parameters' gradients only
      }
    }
    if (into) *into = std::move(next);
  }
}

template <typename T>
std::vector<Parameter<T>*> GraphClassifier<T>::parameters() {
  std::vector<Parameter<T>*> out;
  for (auto& layer : layers_) {
    for (auto* p : layer.parameters()) out.push_back(p);
  }
  for (auto& pool : pools_) {
    for (auto* p : pool.parameters()) out.push_back(p);
  }
  if (mlp_) {
    for (auto* p : mlp_->parameters()) out.push_back(p);
  }
  for (auto* p : classifier_.parameters()) out.push_back(p);
  return out;
}

template class GraphClassifier<float>;
template class GraphClassifier<double>;

}  // namespace gat
