#pragma once
// GraphClassifier: graph-level prediction from a batch of graphs (one disjoint union):
//   x → [GatConv(H heads × F, concat, edge features) → ELU] × L → pool over each graph's
//   nodes (attention, mean, sum or max) → Linear → logits (G, C)
// Every GAT layer sees the edge features (its own W_e and a_edge); self loops added by the
// layers get the mean of the node's incoming edge features (or a constant).

#include <cstdint>
#include <vector>

#include "gat/layers/attention_pool.hpp"
#include "gat/layers/gat_conv.hpp"
#include "gat/layers/linear.hpp"

namespace gat {

/// @brief Hyper-parameters of GraphClassifier.
struct GraphClassifierOptions {
  std::int64_t in_features = 0;    // node input width
  std::int64_t edge_features = 0;  // D; 0: attention ignores edges
  int num_classes = 0;             // C
  int layers = 3;                  // GatConv layers (≥ 1)
  int hidden = 16;                 // F per head
  int heads = 4;                   // H; the node width after each layer is H·F
  double dropout = 0.0;            // input dropout of every GAT layer
  double attention_dropout = 0.0;
  double negative_slope = 0.2;
  bool residual = true;  // GatConv residual connections (x·W_r, or x when widths match)
  SelfLoops self_loops = SelfLoops::kAdd;
  EdgeFillOptions edge_fill;             // edge features of the added self loops
  PoolKind pool = PoolKind::kAttention;  // graph readout
  std::int64_t gate_hidden = 0;          // attention pooling: hidden width of the gate, 0: linear
};

/// @brief What GraphClassifier::backward needs from the forward pass.
template <typename T>
struct GraphClassifierCache {
  std::vector<GatConvCache<T>> layers;  // one per GAT layer
  std::vector<Matrix<T>> hidden;        // (N, H·F) ELU output of each layer
  GraphPoolCache<T> pool;               // attention pooling keeps β (N, 1) in pool.attention.beta
  Matrix<T> pooled;                     // (G, pool width)
};

/// @brief GAT layers with edge features, a graph readout and a linear classifier.
template <typename T>
class GraphClassifier {
 public:
  /// @brief Builds and initialises every layer from `seed`.
  GraphClassifier(const GraphClassifierOptions& options, std::uint64_t seed);

  const GraphClassifierOptions& options() const { return options_; }

  /// @brief The graph the layers expect (self-loop policy applied) with edge features carried
  /// along. @param edge_features (E, D) in `graph`'s slot order (D = options().edge_features).
  LayerGraph<T> prepare_graph(const CsrGraph& graph, MatrixCRef<T> edge_features) const;

  /// @brief Logits (G, C). At inference (ctx.training false) a NaN or infinity in a layer, the
  /// pooling or the classifier is a gat::Error naming it.
  /// @param g a prepared batch graph, @param x (N, in) node features (viewed by the cache, not
  /// copied: x must outlive backward),
  /// @param node_offsets (G + 1) the node range of each graph.
  Matrix<T> forward(const LayerGraph<T>& g, MatrixCRef<T> x,
                    const std::vector<EdgeId>& node_offsets, GraphClassifierCache<T>& cache,
                    const ForwardContext& ctx) const;
  /// @brief Deleted: the cache views its input, and a temporary matrix (or an Eigen expression
  /// that would be evaluated into one) would be gone before backward reads it. Pass a matrix
  /// that outlives backward. (An explicit MatrixCRef<T>(expr) temporary is not caught.)
  Matrix<T> forward(const LayerGraph<T>& g, Matrix<T>&& x, const std::vector<EdgeId>& node_offsets,
                    GraphClassifierCache<T>& cache, const ForwardContext& ctx) const = delete;

  /// @brief Backward from grad_logits (G, C): accumulates every parameter gradient, and the
  /// node input gradient (N, in) when grad_input is given.
  void backward(const LayerGraph<T>& g, const std::vector<EdgeId>& node_offsets,
                const GraphClassifierCache<T>& cache, MatrixCRef<T> grad_logits,
                Matrix<T>* grad_input = nullptr);

  /// @brief All parameters in a fixed order: GAT layers, pooling, classifier.
  std::vector<Parameter<T>*> parameters();

  std::vector<GatConv<T>>& layers() { return layers_; }
  const std::vector<GatConv<T>>& layers() const { return layers_; }
  const GraphPool<T>& pool() const { return pool_; }

 private:
  GraphClassifierOptions options_;
  std::vector<GatConv<T>> layers_;
  GraphPool<T> pool_;
  Linear<T> classifier_;
};

}  // namespace gat
