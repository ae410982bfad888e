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

/// @brief One row of the model's option table: the key in checkpoints and result files, the
/// command-line flag ("" when the option is not a flag; a flag starting "--no-" sets a bool to
/// false), a one-line help, and for numbers the range the command line accepts.
struct OptionInfo {
  const char* key;
  const char* flag;
  const char* help;
  double min = 0, max = 0;  // min == max: no range
};

/// @brief The one table of GatModelOptions: calls visit(info, member) for every field, in a
/// fixed order. Checkpoints, the command line and result files all walk it, so a new option
/// is one line here. Enum members have to_string and parse_* in the library; the help of
/// score and align is written from the variant registry by the command line.
template <typename Options, typename Visit>
void for_each_option(Options& o, Visit&& visit) {
  visit(OptionInfo{"in_features", "", "input width (from the dataset)"}, o.in_features);
  visit(OptionInfo{"num_classes", "", "classes (from the dataset)"}, o.num_classes);
  visit(OptionInfo{"layers", "--layers", "GAT layers (the last one is the classifier)", 1, 64},
        o.layers);
  visit(OptionInfo{"hidden", "--hidden", "Features per head in hidden layers", 1, 1 << 16},
        o.hidden);
  visit(OptionInfo{"heads", "--heads", "Heads in hidden layers (concatenated)", 1, 1024}, o.heads);
  visit(OptionInfo{"out_heads", "--out-heads", "Heads in the output layer (averaged)", 1, 1024},
        o.out_heads);
  visit(OptionInfo{"dropout", "--dropout", "Dropout on every layer's input", 0, 0.999}, o.dropout);
  visit(OptionInfo{"attention_dropout", "--attn-dropout", "Dropout on attention weights", 0, 0.999},
        o.attention_dropout);
  visit(OptionInfo{"feature_dropout", "--feature-dropout",
                   "Dropout on projected features where they are aggregated (as the reference "
                   "implementation does)",
                   0, 0.999},
        o.feature_dropout);
  visit(OptionInfo{"negative_slope", "--negative-slope", "LeakyReLU slope of edge scores", 0, 1},
        o.negative_slope);
  visit(OptionInfo{"bias", "--no-bias", "Layers without bias"}, o.bias);
  visit(OptionInfo{"residual", "--residual", "Residual connection in every layer"}, o.residual);
  visit(OptionInfo{"self_loops", "--self-loops", "Self loops: add (one per node), keep, remove"},
        o.self_loops);
  visit(OptionInfo{"attention", "--attention",
                   "Attention over CSR edges (sparse) or N x N score matrices per head (dense)"},
        o.attention);
  visit(OptionInfo{"dense_memory_limit", "", "bytes dense attention may use; 0: what is available"},
        o.dense_memory_limit);
  visit(OptionInfo{"score", "--score", "Edge score"}, o.score);
  visit(OptionInfo{"share_weights", "--share-weights",
                   "gatv2: one projection for both ends of an edge"},
        o.share_weights);
  visit(OptionInfo{"align", "--align", "How scores become weights"}, o.align);
  visit(OptionInfo{"top_k", "--top-k", "--align local: in-edges kept per node", 1, 1 << 20},
        o.top_k);
  visit(OptionInfo{"multi_dim", "--multi-dim",
                   "Multi-dimensional attention: one weight per edge and channel"},
        o.multi_dim);
}

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
  /// @brief Builds the layers, initialised from `seed`. Before allocating anything, refuses
  /// with gat::Error (saying the size needed and the memory available, see check_memory) a
  /// model whose parameters and their gradients alone do not fit in memory.
  GatModel(const GatModelOptions& options, std::uint64_t seed);

  /// @brief The number of scalars in all parameters of a model built from `options`, computed
  /// from the shapes alone (nothing is allocated); saturates at 2^64 - 1. Throws gat::Error
  /// for options that make no model.
  static std::uint64_t parameter_count(const GatModelOptions& options);

  /// @brief An estimate of the bytes that training a model built from `options` on a graph of
  /// `nodes` nodes and `edges` edges (before self loops are added) with `nnz_features` stored
  /// input values holds at its peak (the first layer's backward), for check_memory before
  /// training starts. With P parameters, N nodes, E' = E + N edges, and per layer l of H_l
  /// heads of F_l features, attention width A_l (H_l, or H_l·F_l with multi_dim), output width
  /// o_l, and d_l = 1 with feature dropout, else 0:
  ///   4·P                      weights, gradients, Adam's m and v
  ///   + Σ_l (2 + d_l)·N·H_l·F_l  z, z after feature dropout, and z's gradient (or the
  ///                             aggregate, in the forward)
  ///   + Σ_l 2·N·o_l             layer output after ELU and its gradient (or logits and theirs)
  ///   + Σ_l k_l·N·H_l           node scores, softmax statistics, their gradients and the
  ///                             row sums (k_l = 7), and with H_l ≤ 4 (float) the backward's
  ///                             side-by-side copy of a destination's terms (k_l = 10)
  ///   + Σ_l w_l                 per edge: the paper's layer (fused) keeps E'·⌈H_l/8⌉ bytes of
  ///                             dropout mask, plus its weights and, in the backward, α' and
  ///                             the score gradients 3·E'·H_l (and 8·E' bytes of positions)
  ///                             while those fit GatConvOptions::keep_weights_bytes; the
  ///                             variants 5·E'·A_l (scores, weights, after dropout, gradient)
  ///   + Σ_l k·E'·H_l·F_l        per-edge buffers of the score (ScoreVariant::per_edge_channels
  ///                             k: 2 for gatv2, else 0)
  ///   + Σ_l dense_attention_bytes  (only with dense attention)
  /// scalars of sizeof(T) bytes; plus the features: 2·nnz·(sizeof(T) + 8) when sparse (the
  /// matrix and the values after dropout), nnz·sizeof(T) when dense (no copy is made: input
  /// dropout is applied where the projection reads them); plus N·⌈in_l/8⌉ bytes of input
  /// dropout decisions per layer whose input is dense; plus 2·(8·N + 12·E') for the CSR graph
  /// and its transpose. Saturates at 2^64 - 1.
  static std::uint64_t estimate_training_bytes(const GatModelOptions& options, std::int64_t nodes,
                                               std::int64_t edges, std::int64_t nnz_features,
                                               bool dense_features = false);

  const GatModelOptions& options() const { return options_; }

  /// @brief The options of layer `layer` (0-based) of a model built from `options`, whose input
  /// width is `in_features` (the previous layer's out_width()).
  static GatConvOptions layer_options(const GatModelOptions& options, int layer,
                                      std::int64_t in_features);

  /// @brief The graph the layers expect (self-loop policy applied); prepare it once.
  CsrGraph prepare_graph(const CsrGraph& graph) const;

  /// @brief Logits (N, C) from sparse input features (N, in) on a prepared graph. At inference
  /// (ctx.training false) a layer whose output holds a NaN or infinity is a gat::Error naming
  /// the layer ("layer 1 of 2 produced non-finite values ..."), so that finite but huge
  /// weights cannot predict garbage silently; in training the trainer's loss check reports it.
  Matrix<T> forward(const CsrGraph& graph, const SparseInput<T>& x, GatModelCache<T>& cache,
                    const ForwardContext& ctx) const;
  /// @brief Logits (N, C) from dense input features (N, in) on a prepared graph. The cache
  /// views x (no copy), so x must outlive backward, as a sparse input must.
  Matrix<T> forward(const CsrGraph& graph, MatrixCRef<T> x, GatModelCache<T>& cache,
                    const ForwardContext& ctx) const;
  /// @brief Deleted: the cache views its input, and a temporary matrix (or an Eigen expression
  /// that would be evaluated into one) would be gone before backward reads it. Pass a matrix
  /// that outlives backward. (An explicit MatrixCRef<T>(expr) temporary is not caught.)
  Matrix<T> forward(const CsrGraph& graph, Matrix<T>&& x, GatModelCache<T>& cache,
                    const ForwardContext& ctx) const = delete;

  /// @brief Backward from grad_logits (N, C): accumulates every parameter gradient, and the
  /// input gradient when grad_input is given (dense input only).
  void backward(const CsrGraph& graph, const GatModelCache<T>& cache, MatrixCRef<T> grad_logits,
                Matrix<T>* grad_input = nullptr);

  /// @brief All parameters, layer by layer, in a fixed order.
  std::vector<Parameter<T>*> parameters();
  std::vector<const Parameter<T>*> parameters() const;
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
