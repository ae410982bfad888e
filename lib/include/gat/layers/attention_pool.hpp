#pragma once
// Global attention pooling: the graph-level readout of gated graph sequence networks
// (Li et al., ICLR 2016), as PyTorch Geometric's AttentionalAggregation and DGL's
// GlobalAttentionPooling compute it. For the nodes i of one graph:
//   s_i = gate(h_i)                        (N, 1)  a score per node
//   β_i = exp(s_i) / Σ_{j in graph} exp(s_j)       softmax over the graph's nodes
//   v_i = feat(h_i)  (or v_i = h_i)        (N, out)
//   g   = Σ_{i in graph} β_i · v_i         (G, out)
// gate is Linear(in, 1), or Linear(in, hidden) → tanh → Linear(hidden, 1); feat, when
// present, is Linear(in, out). The softmax is ops::segment_softmax — the kernel that
// normalises attention over neighbourhoods, here over each graph's segment of node rows.
//
// A mini-batch of G graphs is given by offsets (G + 1): graph g owns the node rows
// [offsets[g], offsets[g+1]). An empty graph pools to zeros.
//
// GraphPool wraps this layer and the parameter-free segment pools (mean, sum, max) behind
// one PoolKind, so a model can switch its readout by an option (ablations).

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "gat/core/types.hpp"
#include "gat/layers/linear.hpp"
#include "gat/layers/parameter.hpp"

namespace gat {

/// @brief Hyper-parameters of AttentionPool (and of GraphPool).
struct AttentionPoolOptions {
  std::int64_t in_features = 0;  // width of the node features h
  std::int64_t gate_hidden = 0;  // > 0: gate = Linear(in, hidden) → tanh → Linear(hidden, 1)
  std::int64_t feature_out = 0;  // > 0: v = Linear(in, feature_out)(h); 0: v = h
  bool bias = true;              // biases of the hidden gate layer and of the feature network
  // Key of the initial weights (with the seed): give the pool an index no other layer of the
  // model uses, e.g. the number of GatConv layers before it. Ordinals 0, 1, 2 are the hidden
  // gate layer, the score layer and the feature network.
  std::uint64_t layer_index = 0;
};

/// @brief What AttentionPool::backward needs from the forward pass. β is meant to be read:
/// analysis tools export `beta` as each node's share of its graph's readout.
template <typename T>
struct AttentionPoolCache {
  Matrix<T> input;        // (N, in) the node features h given to forward
  Matrix<T> gate_hidden;  // (N, gate_hidden) tanh(h·W₁ + b₁); empty without a hidden layer
  Matrix<T> scores;       // (N, 1) gate scores s before the softmax
  // (N, 1) attention weights: beta(i, 0) = β_i of node i (row i of h) within its graph. Every
  // non-empty graph's weights are positive and sum to 1; a one-node graph has β = 1 exactly.
  Matrix<T> beta;
  Matrix<T> values;  // (N, feature_out) v = feat(h); empty when v = h (no feature network)
};

/// @brief Global attention pooling with explicit forward and backward passes.
template <typename T>
class AttentionPool {
 public:
  /// @brief Creates the gate (and feature) networks, Glorot-initialised from
  /// (seed, options.layer_index). Parameters are named "<name_prefix>.gate_hidden.*",
  /// "<name_prefix>.gate.weight" and "<name_prefix>.feature.*", e.g. "pool.gate.weight".
  /// The score layer has no bias: softmax is invariant to adding one constant to all scores,
  /// so that bias would have a gradient of exactly zero.
  AttentionPool(const AttentionPoolOptions& options, std::uint64_t seed,
                const std::string& name_prefix);

  const AttentionPoolOptions& options() const { return options_; }
  /// @brief Width of the pooled vectors: feature_out when there is a feature network, else in.
  std::int64_t out_width() const;

  /// @brief Pools the nodes of each graph: g[k] = Σ_{i in graph k} β_i · v_i.
  /// @param offsets (G + 1) node offsets per graph, @param h (N, in), @param cache filled for
  /// backward (β is in cache.beta); returns (G, out_width()).
  Matrix<T> forward(const std::vector<EdgeId>& offsets, MatrixCRef<T> h,
                    AttentionPoolCache<T>& cache) const;

  /// @brief Backward pass: adds every parameter's gradient into its grad and, when grad_h is
  /// given, overwrites it with the gradient of the node features (N, in).
  /// @param offsets (G + 1) as in forward, @param grad_g (G, out_width()).
  void backward(const std::vector<EdgeId>& offsets, const AttentionPoolCache<T>& cache,
                MatrixCRef<T> grad_g, Matrix<T>* grad_h);

  /// @brief The trainable parameters in a fixed order: hidden gate layer, score layer,
  /// feature network (each weight then bias), those present.
  std::vector<Parameter<T>*> parameters();

  /// @brief The score layer Linear(in or hidden, 1).
  Linear<T>& gate() { return gate_; }
  /// @brief The hidden gate layer Linear(in, hidden), or null without one.
  Linear<T>* gate_hidden() { return gate_hidden_ ? &*gate_hidden_ : nullptr; }
  /// @brief The feature network Linear(in, feature_out), or null when v = h.
  Linear<T>* feature() { return feature_ ? &*feature_ : nullptr; }

 private:
  AttentionPoolOptions options_;
  std::optional<Linear<T>> gate_hidden_;
  Linear<T> gate_;
  std::optional<Linear<T>> feature_;
};

/// How a model reads out a graph from its node features.
enum class PoolKind { kAttention, kMean, kSum, kMax };

/// @brief The PoolKind of a name: "attention", "mean", "sum" or "max". Throws gat::Error
/// listing the valid names otherwise.
PoolKind parse_pool_kind(const std::string& name);

/// @brief The name parse_pool_kind accepts for a kind.
const char* pool_kind_name(PoolKind kind);

/// @brief What GraphPool::backward needs from the forward pass.
template <typename T>
struct GraphPoolCache {
  AttentionPoolCache<T> attention;  // kAttention: the layer's cache (β in attention.beta)
  std::vector<EdgeId> argmax;       // kMax: (G·C) the row holding each maximum, -1 if empty
};

/// @brief A graph readout chosen by PoolKind: attention pooling (with parameters) or the
/// parameter-free segment mean, sum or max of the node features.
template <typename T>
class GraphPool {
 public:
  /// @brief For kAttention, builds AttentionPool(options, seed, name_prefix). The other kinds
  /// use only options.in_features (gate_hidden and feature_out concern attention alone) and
  /// pool h as it is.
  GraphPool(PoolKind kind, const AttentionPoolOptions& options, std::uint64_t seed,
            const std::string& name_prefix);

  PoolKind kind() const { return kind_; }
  /// @brief Width of the pooled vectors: the attention layer's out_width(), else in_features.
  std::int64_t out_width() const;

  /// @brief Pools each graph's nodes.  @param offsets (G + 1), @param h (N, in);
  /// returns (G, out_width()).
  Matrix<T> forward(const std::vector<EdgeId>& offsets, MatrixCRef<T> h,
                    GraphPoolCache<T>& cache) const;

  /// @brief Backward pass: adds parameter gradients (attention only) and, when grad_h is
  /// given, overwrites it with the gradient of the node features (N, in).
  /// @param grad_g (G, out_width()).
  void backward(const std::vector<EdgeId>& offsets, const GraphPoolCache<T>& cache,
                MatrixCRef<T> grad_g, Matrix<T>* grad_h);

  /// @brief The attention layer's parameters; none for mean, sum and max.
  std::vector<Parameter<T>*> parameters();

  /// @brief The attention layer, or null for the other kinds.
  AttentionPool<T>* attention() { return attention_ ? &*attention_ : nullptr; }
  const AttentionPool<T>* attention() const { return attention_ ? &*attention_ : nullptr; }

 private:
  PoolKind kind_;
  std::int64_t in_features_;
  std::optional<AttentionPool<T>> attention_;
};

}  // namespace gat
