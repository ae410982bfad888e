#pragma once
// GraphClassifier: graph-level prediction from a batch of graphs (one disjoint union):
//   h_0 = x → h_l = ELU(GatConv_l(h_{l-1}))  (H heads × F, concat, edge features), l = 1..L
//     (every layer with the options' score function and alignment: the gat score and softmax
//     by default)
//   → readout: pool over each graph's nodes (attention, mean, sum or max) of h_L, or with
//     jumping knowledge of every h_0 .. h_L, each by its own pool, concatenated (Xu et al.,
//     ICML 2018: a graph is seen at every radius, so depth is not a bet)
//   → head: [Linear → ReLU] (when mlp_hidden > 0) → dropout → Linear → logits (G, C)
// Every GAT layer sees the edge features (its own W_e and a_edge); self loops added by the
// layers get the mean of the node's incoming edge features (or a constant).
// With L = 0 there is no GAT layer: the readout of the input features followed by the head is
// the structure-agnostic baseline of Errica et al. (ICLR 2020) (pool sum, mlp_hidden > 0),
// the model every graph network's accuracy should be set beside.

#include <cstdint>
#include <optional>
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
  int layers = 3;                  // GatConv layers (≥ 0; 0: the readout sees the input)
  int hidden = 16;                 // F per head
  int heads = 4;                   // H; the node width after each layer is H·F
  double dropout = 0.0;            // input dropout of every GAT layer
  double attention_dropout = 0.0;
  double negative_slope = 0.2;
  // Every layer's score function and alignment (gat/layers/variant.hpp). With
  // Alignment::kCardinality a layer's weights sum to the in-degree: it can count neighbours,
  // which a softmax (an average) cannot.
  ScoreFunction score = ScoreFunction::kGat;
  Alignment align = Alignment::kSoftmax;
  bool residual = true;  // GatConv residual connections (x·W_r, or x when widths match)
  SelfLoops self_loops = SelfLoops::kAdd;
  EdgeFillOptions edge_fill;             // edge features of the added self loops
  PoolKind pool = PoolKind::kAttention;  // graph readout
  std::int64_t gate_hidden = 0;          // attention pooling: hidden width of the gate, 0: linear
  bool jumping_knowledge = false;        // read out h_0 .. h_L (each its own pool), not h_L alone
  std::int64_t mlp_hidden = 0;  // head: 0 a linear classifier; else Linear → ReLU → Linear
  double mlp_dropout = 0.0;     // dropout on the input of the head's last Linear
};

/// @brief What GraphClassifier::backward needs from the forward pass.
template <typename T>
struct GraphClassifierCache {
  std::vector<GatConvCache<T>> layers;   // one per GAT layer
  std::vector<Matrix<T>> hidden;         // (N, H·F) ELU output of each layer
  std::vector<GraphPoolCache<T>> pools;  // one per readout (attention: β (N, 1) in .attention.beta)
  Matrix<T> pooled;                      // (G, readout width) the readouts side by side
  Matrix<T> mlp;                         // (G, mlp_hidden) ReLU output of the head's first Linear
  Matrix<T> head_input;                  // (G, ·) what the last Linear saw (after dropout)
  std::uint64_t seed = 0, step = 0;      // keys of the head's dropout mask
  bool training = false;
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

  /// @brief All parameters in a fixed order: GAT layers, readouts, head.
  std::vector<Parameter<T>*> parameters();

  std::vector<GatConv<T>>& layers() { return layers_; }
  const std::vector<GatConv<T>>& layers() const { return layers_; }
  /// @brief The readouts: one (of h_L), or L + 1 with jumping knowledge (of h_0 .. h_L).
  const std::vector<GraphPool<T>>& pools() const { return pools_; }
  /// @brief Width of the readouts side by side: the head's input.
  std::int64_t readout_width() const;

 private:
  GraphClassifierOptions options_;
  std::vector<GatConv<T>> layers_;
  std::vector<GraphPool<T>> pools_;
  std::optional<Linear<T>> mlp_;  // when options.mlp_hidden > 0
  Linear<T> classifier_;
};

}  // namespace gat
