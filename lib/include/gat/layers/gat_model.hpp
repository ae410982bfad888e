#pragma once
// GatModel: the node-classification network of the GAT paper, generalised to L layers:
//   x → [GatConv(H heads × F, concat) → ELU] × (L-1) → GatConv(H_out heads × C, mean) → logits
// Dropout on every layer's input and on attention weights, as the paper does.

#include <cstdint>
#include <vector>

#include "gat/layers/gat_conv.hpp"

namespace gat {

/// @brief Hyper-parameters of GatModel; the defaults are the paper's Cora settings.
struct GatModelOptions {
  std::int64_t in_features = 0;  // input width
  int num_classes = 0;           // C
  int layers = 2;                // number of GatConv layers (≥ 1)
  int hidden = 8;                // F of the hidden layers
  int heads = 8;                 // H of the hidden layers
  int out_heads = 1;             // heads of the output layer (averaged)
  double dropout = 0.6;          // input dropout of every layer
  double attention_dropout = 0.6;
  double feature_dropout = 0.6;  // dropout on projected features where they are aggregated
  double negative_slope = 0.2;
  bool bias = true;
  bool residual = false;
  SelfLoops self_loops = SelfLoops::kAdd;
  AttentionMode attention = AttentionMode::kSparse;  // sparse (CSR) or dense (N × N) attention
  std::uint64_t dense_memory_limit = 0;  // bytes dense attention may use; 0: what is available
  // Attention variants (see GatConvOptions), the same in every layer.
  ScoreFunction score = ScoreFunction::kGat;
  bool share_weights = false;
  Alignment align = Alignment::kSoftmax;
  int top_k = 8;
  bool multi_dim = false;
};

/// @brief What GatModel::backward needs from the forward pass.
template <typename T>
struct GatModelCache {
  std::vector<GatConvCache<T>> layers;  // one per layer
  std::vector<Matrix<T>> hidden;        // ELU outputs (N, H·F) of the hidden layers
};

/// @brief A stack of GatConv layers with ELU between them.
template <typename T>
class GatModel {
 public:
  /// @brief Builds the layers, initialised from `seed`.
  GatModel(const GatModelOptions& options, std::uint64_t seed);

  const GatModelOptions& options() const { return options_; }

  /// @brief The options of layer `layer` (0-based) of a model built from `options`, whose input
  /// width is `in_features` (the previous layer's out_width()).
  static GatConvOptions layer_options(const GatModelOptions& options, int layer,
                                      std::int64_t in_features);

  /// @brief The graph the layers expect (self-loop policy applied); prepare it once.
  CsrGraph prepare_graph(const CsrGraph& graph) const;

  /// @brief Logits (N, C) from sparse input features (N, in) on a prepared graph.
  Matrix<T> forward(const CsrGraph& graph, const SparseInput<T>& x, GatModelCache<T>& cache,
                    const ForwardContext& ctx) const;
  /// @brief Logits (N, C) from dense input features (N, in) on a prepared graph.
  Matrix<T> forward(const CsrGraph& graph, MatrixCRef<T> x, GatModelCache<T>& cache,
                    const ForwardContext& ctx) const;

  /// @brief Backward from grad_logits (N, C): accumulates every parameter gradient, and the
  /// input gradient when grad_input is given (dense input only).
  void backward(const CsrGraph& graph, const GatModelCache<T>& cache, MatrixCRef<T> grad_logits,
                Matrix<T>* grad_input = nullptr);

  /// @brief All parameters, layer by layer, in a fixed order.
  std::vector<Parameter<T>*> parameters();
  std::vector<GatConv<T>>& layers() { return layers_; }
  const std::vector<GatConv<T>>& layers() const { return layers_; }

 private:
  template <typename Input>
  Matrix<T> forward_impl(const CsrGraph& graph, const Input& x, GatModelCache<T>& cache,
                         const ForwardContext& ctx) const;

  GatModelOptions options_;
  std::vector<GatConv<T>> layers_;
};

}  // namespace gat
