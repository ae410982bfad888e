#include "gat/layers/gat_model.hpp"

#include <cmath>
#include <limits>
#include <sstream>

#include "gat/core/error.hpp"
#include "gat/core/memory.hpp"
#include "gat/ops/activation.hpp"
#include "gat/ops/dense_attention.hpp"
#include "gat/ops/finite.hpp"

namespace gat {
namespace {

// Arithmetic of sizes that saturates at the largest uint64 instead of wrapping: an absurd
// model must come out as "too large", never as a small number.
constexpr std::uint64_t kHuge = std::numeric_limits<std::uint64_t>::max();
std::uint64_t mul(std::uint64_t a, std::uint64_t b) {
  std::uint64_t r = 0;
  return __builtin_mul_overflow(a, b, &r) ? kHuge : r;
}
std::uint64_t add(std::uint64_t a, std::uint64_t b) {
  std::uint64_t r = 0;
  return __builtin_add_overflow(a, b, &r) ? kHuge : r;
}
std::uint64_t nonneg(std::int64_t v) { return v > 0 ? static_cast<std::uint64_t>(v) : 0; }

}  // namespace

template <typename T>
std::uint64_t GatModel<T>::parameter_count(const GatModelOptions& o) {
  GAT_CHECK(o.layers >= 1, "GatModel: need at least one layer, got " << o.layers);
  GAT_CHECK(o.num_classes >= 1, "GatModel: need at least one class, got " << o.num_classes);
  std::uint64_t count = 0;
  std::int64_t in = o.in_features;
  for (int l = 0; l < o.layers; ++l) {
    const GatConvOptions c = layer_options(o, l, in);
    for (const auto& shape : GatConv<T>::parameter_shapes(c, l)) {
      count = add(count, mul(nonneg(shape.rows), nonneg(shape.cols)));
    }
    in = c.concat ? std::int64_t{c.heads} * c.out_features : c.out_features;
  }
  return count;
}

template <typename T>
std::uint64_t GatModel<T>::estimate_training_bytes(const GatModelOptions& o, std::int64_t nodes,
                                                   std::int64_t edges, std::int64_t nnz_features,
                                                   bool dense_features) {
  const std::uint64_t n = nonneg(nodes);
  const std::uint64_t e = add(nonneg(edges), n);  // room for the self loops "add" puts in
  std::uint64_t scalars = mul(4, parameter_count(o));
  std::uint64_t extra_bytes = 0;
  std::int64_t in = o.in_features;
  for (int l = 0; l < o.layers; ++l) {
    const GatConvOptions c = layer_options(o, l, in);
    const std::uint64_t hf = mul(nonneg(c.heads), nonneg(c.out_features));
    const std::uint64_t out = c.concat ? hf : nonneg(c.out_features);
    const std::uint64_t att = c.multi_dim ? hf : nonneg(c.heads);
    scalars = add(scalars, mul(mul(c.feature_dropout > 0 ? 3 : 2, n), hf));
    scalars = add(scalars, mul(mul(2, n), out));
    // With up to four heads the fused backward lays a destination's terms side by side in
    // one (N, 4H) row (three more (N, H) copies than its row sums alone).
    const bool packs = 4 * nonneg(c.heads) * sizeof(T) <= 64;
    scalars = add(scalars, mul(mul(packs ? 10 : 7, n), nonneg(c.heads)));
    // A dense input's dropout decisions, drawn once per step as bits.
    if (c.input_dropout > 0 && (l > 0 || dense_features)) {
      extra_bytes = add(extra_bytes, mul(n, (nonneg(in) + 7) / 8));
    }
    if (GatConv<T>::fuses(c)) {
      extra_bytes = add(extra_bytes, mul(e, (nonneg(c.heads) + 7) / 8));  // dropout mask bits
      // Decided on the edges before self loops (the layer decides on its prepared graph, which
      // has at least as many unless the policy removes loops): near the limit the estimate
      // counts the kept matrices rather than miss them.
      // Kept: the weights, and in the backward α' and the score gradients in the transpose's
      // order with each slot's position there (8 bytes).
      const std::uint64_t weights = mul(mul(nonneg(edges), nonneg(c.heads)), sizeof(T));
      if (weights <= c.keep_weights_bytes) {
        scalars = add(scalars, mul(mul(3, e), att));
        extra_bytes = add(extra_bytes, mul(8, e));
      }
    } else {
      scalars = add(scalars, mul(mul(5, e), att));
    }
    const int extra = score_variant(c.score).per_edge_channels;  // e.g. gatv2's (E, H·F)
    if (extra > 0) scalars = add(scalars, mul(mul(nonneg(extra), e), hf));
    if (c.attention == AttentionMode::kDense) {
      extra_bytes = add(extra_bytes, ops::dense_attention_bytes(nodes, c.heads, true, sizeof(T)));
    }
    in = static_cast<std::int64_t>(std::min<std::uint64_t>(
        out, static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())));
  }
  std::uint64_t bytes = add(mul(scalars, sizeof(T)), extra_bytes);
  // Sparse features: the matrix (a value and a column index per entry) and the step's dropped
  // copy of its values, counted at 8 bytes of index each.
  bytes = add(bytes, dense_features ? mul(nonneg(nnz_features), sizeof(T))
                                    : mul(mul(2, nonneg(nnz_features)), sizeof(T) + 8));
  bytes = add(bytes, mul(2, add(mul(8, n), mul(12, e))));
  return bytes;
}

template <typename T>
GatModel<T>::GatModel(const GatModelOptions& options, std::uint64_t seed) : options_(options) {
  const auto& o = options_;
  GAT_CHECK(o.layers >= 1, "GatModel: need at least one layer, got " << o.layers);
  GAT_CHECK(o.num_classes >= 1, "GatModel: need at least one class, got " << o.num_classes);
  // Each parameter holds its value and its gradient; checked before the first allocation, so
  // --hidden 4096 --heads 64 is an error naming sizes, not minutes of swapping and bad_alloc.
  const std::uint64_t count = parameter_count(o);
  std::ostringstream what;
  what << "the model's " << count << " parameters (with their gradients)";
  check_memory(mul(mul(count, 2), sizeof(T)), what.str());
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
  // At inference a non-finite output is an error naming the layer where it first appears
  // (finite but huge checkpoint weights overflow there); in training the trainer's loss check
  // reports divergence in its own words. One pass over (N, H·F) values is nothing beside the
  // layer that produced them.
  auto check = [&](const Matrix<T>& out, std::size_t l) {
    GAT_CHECK(ctx.training || ops::all_finite<T>(out),
              "layer " << l + 1 << " of " << count
                       << " produced non-finite values (NaN or Inf): the weights may be too "
                          "large (a corrupted or diverged checkpoint?)");
  };
  Matrix<T> h = layers_[0].forward(graph, x, cache.layers[0], ctx);
  check(h, 0);
  for (std::size_t l = 1; l < count; ++l) {
    auto& act = cache.hidden[l - 1];
    act.resize(h.rows(), h.cols());
    ops::elu_forward<T>(h, act);
    h.resize(0, 0);  // freed before the next layer allocates: only act is needed from here
    h = layers_[l].forward(graph, act, cache.layers[l], ctx);
    check(h, l);
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
    // act = ELU(h)  →  grad_h from the stored ELU output, in place (elementwise): one (N, width)
    // gradient alive at a time.
    ops::elu_backward<T>(cache.hidden[l - 1], grad_act, grad_act);
    grad = std::move(grad_act);
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

template <typename T>
std::vector<const Parameter<T>*> GatModel<T>::parameters() const {
  std::vector<const Parameter<T>*> out;
  for (const auto& layer : layers_) {
    for (const auto* p : layer.parameters()) out.push_back(p);
  }
  return out;
}

template class GatModel<float>;
template class GatModel<double>;

}  // namespace gat
