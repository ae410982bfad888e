#include "gat/layers/gat_model.hpp"

#include "gat/core/error.hpp"
#include "gat/ops/activation.hpp"

namespace gat {

template <typename T>
GatModel<T>::GatModel(const GatModelOptions& options, std::uint64_t seed) : options_(options) {
  const auto& o = options_;
  GAT_CHECK(o.layers >= 1, "GatModel: need at least one layer, got " << o.layers);
  GAT_CHECK(o.num_classes >= 1, "GatModel: need at least one class, got " << o.num_classes);
  std::int64_t in = o.in_features;
  for (int l = 0; l < o.layers; ++l) {
    layers_.emplace_back(layer_options(o, l, in), seed, l);
    in = layers_.back().out_width();
  }
}

template <typename T>
GatConvOptions GatModel<T>::layer_options(const GatModelOptions& o, int layer,
                                          std::int64_t in_features) {
  const bool last = layer + 1 == o.layers;
  GatConvOptions c;
  c.in_features = in_features;
  c.out_features = last ? o.num_classes : o.hidden;
  c.heads = last ? o.out_heads : o.heads;
  c.concat = !last;
  c.negative_slope = o.negative_slope;
  c.input_dropout = o.dropout;
  c.attention_dropout = o.attention_dropout;
  c.feature_dropout = o.feature_dropout;
  c.bias = o.bias;
  c.residual = o.residual;
  c.self_loops = o.self_loops;
  c.attention = o.attention;
  c.dense_memory_limit = o.dense_memory_limit;
  c.score = o.score;
  c.share_weights = o.share_weights;
  c.align = o.align;
  c.top_k = o.top_k;
  c.multi_dim = o.multi_dim;
  return c;
}

template <typename T>
CsrGraph GatModel<T>::prepare_graph(const CsrGraph& graph) const {
  return layers_.front().prepare_graph(graph);
}

template <typename T>
template <typename Input>
Matrix<T> GatModel<T>::forward_impl(const CsrGraph& graph, const Input& x, GatModelCache<T>& cache,
                                    const ForwardContext& ctx) const {
  const std::size_t count = layers_.size();
  cache.layers.resize(count);
  cache.hidden.resize(count - 1);
  Matrix<T> h = layers_[0].forward(graph, x, cache.layers[0], ctx);
  for (std::size_t l = 1; l < count; ++l) {
    auto& act = cache.hidden[l - 1];
    act.resize(h.rows(), h.cols());
    ops::elu_forward<T>(h, act);
    h = layers_[l].forward(graph, act, cache.layers[l], ctx);
  }
  return h;
}

template <typename T>
Matrix<T> GatModel<T>::forward(const CsrGraph& graph, const SparseInput<T>& x,
                               GatModelCache<T>& cache, const ForwardContext& ctx) const {
  return forward_impl(graph, x, cache, ctx);
}

template <typename T>
Matrix<T> GatModel<T>::forward(const CsrGraph& graph, MatrixCRef<T> x, GatModelCache<T>& cache,
                               const ForwardContext& ctx) const {
  return forward_impl(graph, x, cache, ctx);
}

template <typename T>
void GatModel<T>::backward(const CsrGraph& graph, const GatModelCache<T>& cache,
                           MatrixCRef<T> grad_logits, Matrix<T>* grad_input) {
  GAT_CHECK(cache.layers.size() == layers_.size(),
            "GatModel::backward: the cache does not come from a forward pass of this model");
  Matrix<T> grad = grad_logits;
  for (std::size_t l = layers_.size(); l-- > 1;) {
    Matrix<T> grad_act;
    layers_[l].backward(graph, cache.layers[l], grad, &grad_act);
    // act = ELU(h)  →  grad_h from the stored ELU output.
    grad.resize(grad_act.rows(), grad_act.cols());
    ops::elu_backward<T>(cache.hidden[l - 1], grad_act, grad);
  }
  layers_[0].backward(graph, cache.layers[0], grad, grad_input);
}

template <typename T>
std::vector<Parameter<T>*> GatModel<T>::parameters() {
  std::vector<Parameter<T>*> out;
  for (auto& layer : layers_) {
    for (auto* p : layer.parameters()) out.push_back(p);
  }
  return out;
}

template class GatModel<float>;
template class GatModel<double>;

}  // namespace gat
