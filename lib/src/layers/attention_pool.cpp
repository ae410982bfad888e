#include "gat/layers/attention_pool.hpp"

#include "gat/core/error.hpp"
#include "gat/ops/pooling.hpp"
#include "gat/ops/segment_softmax.hpp"

namespace gat {

namespace {

std::string join_name(const std::string& prefix, const char* name) {
  return prefix.empty() ? std::string(name) : prefix + "." + name;
}

// Ordinals of the three networks under options.layer_index (see AttentionPoolOptions).
constexpr std::uint64_t kOrdinalGateHidden = 0;
constexpr std::uint64_t kOrdinalGate = 1;
constexpr std::uint64_t kOrdinalFeature = 2;

const AttentionPoolOptions& checked(const AttentionPoolOptions& o) {
  GAT_CHECK(o.in_features > 0,
            "AttentionPool: in_features must be positive, got " << o.in_features);
  GAT_CHECK(o.gate_hidden >= 0, "AttentionPool: gate_hidden must be 0 (no hidden gate layer) "
                                    << "or positive, got " << o.gate_hidden);
  GAT_CHECK(o.feature_out >= 0, "AttentionPool: feature_out must be 0 (no feature network) "
                                    << "or positive, got " << o.feature_out);
  return o;
}

}  // namespace

template <typename T>
AttentionPool<T>::AttentionPool(const AttentionPoolOptions& options, std::uint64_t seed,
                                const std::string& name_prefix)
    : options_(checked(options)),
      gate_(options.gate_hidden > 0 ? options.gate_hidden : options.in_features, 1, false, seed,
            options.layer_index, kOrdinalGate, join_name(name_prefix, "gate")) {
  const auto& o = options_;
  if (o.gate_hidden > 0) {
    gate_hidden_.emplace(o.in_features, o.gate_hidden, o.bias, seed, o.layer_index,
                         kOrdinalGateHidden, join_name(name_prefix, "gate_hidden"));
  }
  if (o.feature_out > 0) {
    feature_.emplace(o.in_features, o.feature_out, o.bias, seed, o.layer_index, kOrdinalFeature,
                     join_name(name_prefix, "feature"));
  }
}

template <typename T>
std::int64_t AttentionPool<T>::out_width() const {
  return options_.feature_out > 0 ? options_.feature_out : options_.in_features;
}

template <typename T>
std::vector<Parameter<T>*> AttentionPool<T>::parameters() {
  std::vector<Parameter<T>*> out;
  auto add = [&out](Linear<T>& layer) {
    for (auto* p : layer.parameters()) out.push_back(p);
  };
  if (gate_hidden_) add(*gate_hidden_);
  add(gate_);
  if (feature_) add(*feature_);
  return out;
}

template <typename T>
Matrix<T> AttentionPool<T>::forward(const std::vector<EdgeId>& offsets, MatrixCRef<T> h,
                                    AttentionPoolCache<T>& cache) const {
  ops::check_segment_offsets(offsets, h.rows(), "AttentionPool::forward");
  GAT_CHECK(h.cols() == options_.in_features, "AttentionPool: node features have "
                                                  << h.cols() << " columns, expected "
                                                  << options_.in_features);
  cache.input = h;
  // s = gate(h): one linear score, or a one-hidden-layer tanh network.
  if (gate_hidden_) {
    cache.gate_hidden = gate_hidden_->forward(h);
    cache.gate_hidden = cache.gate_hidden.array().tanh();
    cache.scores = gate_.forward(cache.gate_hidden);
  } else {
    cache.gate_hidden.resize(0, 0);
    cache.scores = gate_.forward(h);
  }
  // β = softmax of s over each graph's nodes (maximum subtracted; an empty graph has none).
  cache.beta.resize(h.rows(), 1);
  ops::segment_softmax_forward<T>(offsets, cache.scores, cache.beta);
  // v = feat(h) or h; g = Σ β_i v_i per graph.
  if (feature_) {
    cache.values = feature_->forward(h);
  } else {
    cache.values.resize(0, 0);
  }
  const Matrix<T>& v = feature_ ? cache.values : cache.input;
  Matrix<T> g(static_cast<Eigen::Index>(offsets.size()) - 1, out_width());
  ops::segment_weighted_sum_forward<T>(offsets, cache.beta, v, g);
  return g;
}

template <typename T>
void AttentionPool<T>::backward(const std::vector<EdgeId>& offsets,
                                const AttentionPoolCache<T>& cache, MatrixCRef<T> grad_g,
                                Matrix<T>* grad_h) {
  const Eigen::Index n = cache.input.rows();
  ops::check_segment_offsets(offsets, n, "AttentionPool::backward");
  const auto graphs = static_cast<Eigen::Index>(offsets.size()) - 1;
  GAT_CHECK(grad_g.rows() == graphs && grad_g.cols() == out_width(),
            "AttentionPool: gradient has shape (" << grad_g.rows() << ", " << grad_g.cols()
                                                  << "), expected (" << graphs << ", "
                                                  << out_width() << ")");
  // g = Σ_i β_i v_i  →  grad_β_i = <v_i, grad_g>, grad_v_i = β_i · grad_g.
  const Matrix<T>& v = feature_ ? cache.values : cache.input;
  Matrix<T> grad_s(n, 1), grad_v(n, v.cols());
  ops::segment_weighted_sum_backward<T>(offsets, cache.beta, v, grad_g, grad_s, grad_v);
  // β = softmax(s) per graph  →  grad_s = β ⊙ (grad_β - <β, grad_β>), in place.
  ops::segment_softmax_backward<T>(offsets, cache.beta, grad_s, grad_s);
  // s = gate(h)  →  gate gradients and the gate's share of grad_h.
  Matrix<T> grad_from_gate;
  Matrix<T>* want = grad_h ? &grad_from_gate : nullptr;
  if (gate_hidden_) {
    // s = tanh(h·W₁ + b₁)·w₂, a = tanh(·)  →  grad_pre = grad_a ⊙ (1 - a²).
    Matrix<T> grad_a;
    gate_.backward(cache.gate_hidden, grad_s, &grad_a);
    grad_a.array() *= T(1) - cache.gate_hidden.array().square();
    gate_hidden_->backward(cache.input, grad_a, want);
  } else {
    gate_.backward(cache.input, grad_s, want);
  }
  // v = feat(h) (or h)  →  the values' share of grad_h.
  if (feature_) {
    Matrix<T> grad_from_values;
    feature_->backward(cache.input, grad_v, grad_h ? &grad_from_values : nullptr);
    if (grad_h) *grad_h = grad_from_gate + grad_from_values;
  } else if (grad_h) {
    *grad_h = grad_from_gate + grad_v;
  }
}

// ---- PoolKind and GraphPool --------------------------------------------------------------

PoolKind parse_pool_kind(const std::string& name) {
  for (PoolKind k : {PoolKind::kAttention, PoolKind::kMean, PoolKind::kSum, PoolKind::kMax}) {
    if (name == pool_kind_name(k)) return k;
  }
  GAT_FAIL("unknown pooling \"" << name << "\"; valid names are attention, mean, sum, max");
}

const char* pool_kind_name(PoolKind kind) {
  switch (kind) {
    case PoolKind::kAttention:
      return "attention";
    case PoolKind::kMean:
      return "mean";
    case PoolKind::kSum:
      return "sum";
    case PoolKind::kMax:
      return "max";
  }
  return "unknown";
}

template <typename T>
GraphPool<T>::GraphPool(PoolKind kind, const AttentionPoolOptions& options, std::uint64_t seed,
                        const std::string& name_prefix)
    : kind_(kind), in_features_(options.in_features) {
  GAT_CHECK(options.in_features > 0, "GraphPool (" << pool_kind_name(kind)
                                                   << "): in_features must be positive, got "
                                                   << options.in_features);
  if (kind == PoolKind::kAttention) attention_.emplace(options, seed, name_prefix);
}

template <typename T>
std::int64_t GraphPool<T>::out_width() const {
  return attention_ ? attention_->out_width() : in_features_;
}

template <typename T>
std::vector<Parameter<T>*> GraphPool<T>::parameters() {
  return attention_ ? attention_->parameters() : std::vector<Parameter<T>*>{};
}

template <typename T>
Matrix<T> GraphPool<T>::forward(const std::vector<EdgeId>& offsets, MatrixCRef<T> h,
                                GraphPoolCache<T>& cache) const {
  if (attention_) return attention_->forward(offsets, h, cache.attention);
  GAT_CHECK(h.cols() == in_features_, "GraphPool (" << pool_kind_name(kind_)
                                                    << "): node features have " << h.cols()
                                                    << " columns, expected " << in_features_);
  ops::check_segment_offsets(offsets, h.rows(), "GraphPool::forward");
  Matrix<T> g(static_cast<Eigen::Index>(offsets.size()) - 1, in_features_);
  switch (kind_) {
    case PoolKind::kMean:
      ops::segment_mean_forward<T>(offsets, h, g);
      break;
    case PoolKind::kSum:
      ops::segment_sum_forward<T>(offsets, h, g);
      break;
    case PoolKind::kMax:
      ops::segment_max_forward<T>(offsets, h, g, cache.argmax);
      break;
    case PoolKind::kAttention:
      break;  // handled above
  }
  return g;
}

template <typename T>
void GraphPool<T>::backward(const std::vector<EdgeId>& offsets, const GraphPoolCache<T>& cache,
                            MatrixCRef<T> grad_g, Matrix<T>* grad_h) {
  if (attention_) {
    attention_->backward(offsets, cache.attention, grad_g, grad_h);
    return;
  }
  if (!grad_h) return;  // no parameters: nothing else to compute
  GAT_CHECK(!offsets.empty(), "GraphPool::backward: graph offsets are empty");
  grad_h->resize(offsets.back(), in_features_);
  switch (kind_) {
    case PoolKind::kMean:
      ops::segment_mean_backward<T>(offsets, grad_g, *grad_h);
      break;
    case PoolKind::kSum:
      ops::segment_sum_backward<T>(offsets, grad_g, *grad_h);
      break;
    case PoolKind::kMax:
      ops::segment_max_backward<T>(offsets, cache.argmax, grad_g, *grad_h);
      break;
    case PoolKind::kAttention:
      break;  // handled above
  }
}

template class AttentionPool<float>;
template class AttentionPool<double>;
template class GraphPool<float>;
template class GraphPool<double>;

}  // namespace gat
