#include "gat/layers/graph_classifier.hpp"

#include <string>

#include "gat/core/error.hpp"
#include "gat/ops/activation.hpp"
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
  c.input_dropout = o.dropout;
  c.attention_dropout = o.attention_dropout;
  c.residual = o.residual;
  c.self_loops = o.self_loops;
  c.edge_features = o.edge_features;
  c.edge_fill = o.edge_fill;
  return c;
}

AttentionPoolOptions pool_options(const GraphClassifierOptions& o) {
  AttentionPoolOptions p;
  p.in_features = std::int64_t{o.heads} * o.hidden;
  p.gate_hidden = o.gate_hidden;
  p.layer_index = o.layers;  // its own generator keys, after the GAT layers'
  return p;
}

const GraphClassifierOptions& checked(const GraphClassifierOptions& o) {
  GAT_CHECK(o.in_features > 0,
            "GraphClassifier: in_features must be positive, got " << o.in_features);
  GAT_CHECK(o.num_classes >= 2, "GraphClassifier: need at least 2 classes, got " << o.num_classes);
  GAT_CHECK(o.layers >= 1, "GraphClassifier: need at least one GAT layer, got " << o.layers);
  GAT_CHECK(o.hidden > 0 && o.heads > 0, "GraphClassifier: hidden and heads must be positive, got "
                                             << o.hidden << " and " << o.heads);
  return o;
}

}  // namespace

template <typename T>
GraphClassifier<T>::GraphClassifier(const GraphClassifierOptions& options, std::uint64_t seed)
    : options_(checked(options)),
      pool_(options.pool, pool_options(options), seed, "pool"),
      classifier_(pool_.out_width(), options.num_classes, true, seed,
                  static_cast<std::uint64_t>(options.layers) + 1, 0, "classifier") {
  for (int l = 0; l < options_.layers; ++l)
    layers_.emplace_back(conv_options(options_, l), seed, l);
}

template <typename T>
LayerGraph<T> GraphClassifier<T>::prepare_graph(const CsrGraph& graph,
                                                MatrixCRef<T> edge_features) const {
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
  cache.pooled = pool_.forward(node_offsets, cache.hidden.back(), cache.pool);
  check(cache.pooled, "the attention pooling");
  Matrix<T> logits = classifier_.forward(cache.pooled);
  check(logits, "the classifier");
  return logits;
}

template <typename T>
void GraphClassifier<T>::backward(const LayerGraph<T>& g, const std::vector<EdgeId>& node_offsets,
                                  const GraphClassifierCache<T>& cache, MatrixCRef<T> grad_logits,
                                  Matrix<T>* grad_input) {
  // logits = pooled·W + b  →  grad_pooled; pooled = pool(h_L)  →  grad_h_L.
  Matrix<T> grad_pooled, grad_h;
  classifier_.backward(cache.pooled, grad_logits, &grad_pooled);
  pool_.backward(node_offsets, cache.pool, grad_pooled, &grad_h);
  for (std::size_t l = layers_.size(); l-- > 0;) {
    // h_l = ELU(pre_l)  →  grad_pre_l, computed from the ELU output itself.
    Matrix<T> grad_pre(grad_h.rows(), grad_h.cols());
    ops::elu_backward<T>(cache.hidden[l], grad_h, grad_pre);
    Matrix<T>* into = l > 0 ? &grad_h : grad_input;
    Matrix<T> next;
    layers_[l].backward(g.graph, cache.layers[l], grad_pre, into ? &next : nullptr);
    if (into) *into = std::move(next);
  }
}

template <typename T>
std::vector<Parameter<T>*> GraphClassifier<T>::parameters() {
  std::vector<Parameter<T>*> out;
  for (auto& layer : layers_) {
    for (auto* p : layer.parameters()) out.push_back(p);
  }
  for (auto* p : pool_.parameters()) out.push_back(p);
  for (auto* p : classifier_.parameters()) out.push_back(p);
  return out;
}

template class GraphClassifier<float>;
template class GraphClassifier<double>;

}  // namespace gat
