#pragma once
// GatConv: one graph attention layer (Veličković et al., ICLR 2018), per head h:
//   z = x·W                                     (N, H·F)  projection
//   e[j→i, h] = LeakyReLU(a_dst[h]·z[i,h] + a_src[h]·z[j,h])        edge scores
//   α[j→i, h] = softmax over i's in-edges of e                      attention
//   out[i, h] = Σ_j dropout(α[j→i, h]) · z[j, h]                    aggregation
// then heads are concatenated (N, H·F) or averaged (N, F), plus an optional residual x·W_r
// and bias. With edge features x_p of size D (PyG's `edge_dim`) the score gains a term:
//   e[j→i, h] = LeakyReLU(a_dst[h]·z[i,h] + a_src[h]·z[j,h] + a_edge[h]·(x_p·W_e)[h])
// i.e. the paper's aᵀ[Wh_i ‖ Wh_j ‖ W_e x_ij]. It is computed as x_p·V with
// V[d, h] = Σ_f W_e[d, h·F+f]·a_edge[h, f], so memory per edge stays O(H + D). Input dropout
// applies to x before the projection. The forward keeps what the backward needs in a GatConvCache;
// memory per edge is O(H), never O(H·F).
//
// The attention survey's variants (Brauwers & Frasincar) replace the parts of this pipeline:
// the score function (GatConvOptions::score), the alignment that turns a neighbourhood's scores
// into weights (GatConvOptions::align), and the dimensionality (multi_dim: one weight per edge
// and channel, (E, H·F), aggregated by aggregate_channels instead of aggregate). Scores and
// alignments are plug-ins, one file each, registered in one list: see gat/layers/variant.hpp.

#include <cstdint>
#include <string>
#include <vector>

#include "gat/core/random.hpp"
#include "gat/core/sparse_matrix.hpp"
#include "gat/core/types.hpp"
#include "gat/graph/build.hpp"
#include "gat/graph/csr.hpp"
#include "gat/layers/halo.hpp"
#include "gat/layers/parameter.hpp"
#include "gat/layers/variant.hpp"
#include "gat/ops/dropout.hpp"
#include "gat/ops/gat_attention.hpp"

namespace gat {

/// How attention is computed: over CSR edge slots (O(E·H) memory and time), or densely
/// with an (N, N) score matrix per head masked by the adjacency (O(N²·H)), as pyGAT and the
/// original TensorFlow code do. Both give the same outputs and gradients.
enum class AttentionMode { kSparse, kDense };

/// Ablations of a trained model's attention, applied after the alignment in a forward pass:
///   kUniform  replace each neighbourhood's weights by 1/deg(i);
///   kPermute  permute each neighbourhood's weights at random (one permutation per node,
///             shared by all heads, drawn from (ctx.seed, layer, node)): the weights keep
///             their values but lose their assignment to neighbours.
enum class AttentionOverride { kNone, kUniform, kPermute };

/// @brief "sparse" or "dense".
const char* to_string(AttentionMode mode);
/// @brief The mode named "sparse" or "dense"; throws gat::Error listing the choices.
AttentionMode parse_attention_mode(const std::string& name);
/// @brief "none", "uniform" or "permute".
const char* to_string(AttentionOverride ablation);
/// @brief The override named "none", "uniform" or "permute"; throws gat::Error otherwise.
AttentionOverride parse_attention_override(const std::string& name);

/// @brief Hyper-parameters of a GatConv layer.
struct GatConvOptions {
  std::int64_t in_features = 0;    // input width
  int out_features = 8;            // F, features per head
  int heads = 1;                   // H
  bool concat = true;              // concatenate heads (N, H·F), else average them (N, F)
  double negative_slope = 0.2;     // LeakyReLU slope of the edge score
  double input_dropout = 0.0;      // dropout on the input features, in training
  double attention_dropout = 0.0;  // dropout on the attention weights α, in training
  // Dropout on the projected features z where they are aggregated (the scores use z as is),
  // as the reference implementation of the GAT paper applies its input dropout rate there.
  double feature_dropout = 0.0;
  bool bias = true;
  bool residual = false;                   // add x·W_r (or x itself when widths match)
  SelfLoops self_loops = SelfLoops::kAdd;  // how prepare_graph treats i → i edges
  AttentionMode attention = AttentionMode::kSparse;
  std::uint64_t dense_memory_limit = 0;  // bytes dense attention may use; 0: what is available
  std::int64_t edge_features = 0;        // D, edge-feature size; 0: the score ignores edges
  EdgeFillOptions edge_fill;             // features of the self loops prepare_graph adds
  // The score function and the alignment (gat/layers/variant.hpp lists them with their maths).
  ScoreFunction score = ScoreFunction::kGat;
  bool share_weights = false;  // GATv2: W_dst = W (one projection for both ends of an edge)
  Alignment align = Alignment::kSoftmax;
  int top_k = 8;  // kLocal: in-edges kept per node and head (ties to the earlier slot)
  // Multi-dimensional attention: one weight per edge and channel (E, H·F) instead of per
  // head (E, H), each channel's softmax (or other alignment) taken on its own.
  bool multi_dim = false;
  // The paper's layer in training keeps its attention weights (E, H) for the backward up to
  // this many bytes (Cora's are 0.4 MB, PubMed's 3.5 MB): reading them back is faster than
  // computing them again. Past it the backward computes them from per-node softmax statistics
  // (N, H), the same bits: at that size the passes wait on memory anyway, and the matrix would
  // be a large part of the step's peak memory. Likewise, with feature dropout, z (N, H·F)
  // beside z after dropout: past this size the attention vectors' gradient is taken from the
  // input instead (equal up to rounding). 0: keep neither.
  std::uint64_t keep_weights_bytes = std::uint64_t{32} << 20;
};

/// @brief Name and shape of one parameter.
struct ParameterShape {
  std::string name;
  std::int64_t rows = 0, cols = 0;
};

/// @brief A graph prepared for a layer (self-loop policy applied) with its edge features
/// (E, D) in the prepared graph's slot order (empty when D = 0).
template <typename T>
struct LayerGraph {
  CsrGraph graph;
  Matrix<T> edge_features;
};

/// @brief Where a forward pass stands: training or inference, and the keys of its dropout.
struct ForwardContext {
  bool training = false;
  std::uint64_t seed = 0;
  std::uint64_t step = 0;  // optimisation step: a new dropout mask every step
  AttentionOverride attention_override = AttentionOverride::kNone;  // ablation (inference)
  // Inference: keep the attention weights (E, H) for GatConvCache::attention(). A pass whose
  // caller never reads them (evaluation during training, predictions) sets it false and saves
  // an (E, H) matrix; the paper's fused layer then keeps none.
  bool keep_attention = true;
  // Distributed: the graph, input and outputs are one process's rows of a split graph, and this
  // exchanges the halo rows with the other processes (gat/layers/halo.hpp). The paper's layer
  // only (GatConv::fuses), in float. Null: the whole graph is here.
  const HaloExchange* halo = nullptr;
};

template <typename T>
class GatConv;

/// @brief What GatConv::backward needs from the forward pass. Its contents belong to the
/// layer; callers read the attention weights and nothing else.
template <typename T>
class GatConvCache {
 public:
  /// @brief The attention weights of the last forward pass, before dropout: (E, W) in the
  /// prepared graph's slot order with sparse attention, (H·N, N) with dense attention.
  /// The paper's layer (GatConv::fuses: sparse, gat score, softmax) keeps them after an
  /// inference pass unless ForwardContext::keep_attention is false, and in training only up to
  /// GatConvOptions::keep_weights_bytes: past that its backward computes them again from
  /// per-node softmax statistics, and this matrix is empty (0 × 0).
  const Matrix<T>& attention() const { return alpha; }
  /// @brief The same, moved out of the cache (which can then no longer serve a backward pass).
  Matrix<T> take_attention() { return std::move(alpha); }
  /// @brief The projected features z = x·W (N, H·F) of the last forward pass: the values
  /// aggregated (before feature dropout). Empty after a training pass of the paper's layer with
  /// feature dropout once z outgrows GatConvOptions::keep_weights_bytes: its backward needs z
  /// after dropout only.
  const Matrix<T>& projected() const { return z; }

 private:
  friend class GatConv<T>;
  const SparseInput<T>* sparse_input = nullptr;  // the sparse input; must outlive backward
  std::vector<T> sparse_values;                  // (nnz) input values after dropout
  // (N, in) dense input, viewed, never copied: input dropout is applied where the input is read
  // (ops::matmul_forward's x_dropout), so no dropped copy exists. Must outlive backward. Kept
  // as pointer, shape and outer stride (an Eigen::Map member would make the cache
  // unassignable: Map's assignment copies values); dense_data is null for sparse input.
  const T* dense_data = nullptr;
  Eigen::Index dense_rows = 0, dense_cols = 0, dense_stride = 0;
  // The dense input's dropout decisions (N·ceil(in / 8) bytes), drawn once per training pass:
  // the product, the weight gradient and the input gradient read them instead of drawing
  // them three times. Empty without input dropout or for sparse input.
  ops::DropoutMask input_mask;
  MatrixCRef<T> dense_input() const {
    return Eigen::Map<const Matrix<T>, 0, Eigen::OuterStride<>>(dense_data, dense_rows, dense_cols,
                                                                Eigen::OuterStride<>(dense_stride));
  }
  const Matrix<T>* edge_input = nullptr;  // (E, D) edge features; must outlive backward
  Matrix<T> z;                            // (N, H·F)
  Matrix<T> s_src, s_dst;                 // (N, H) node scores of dense and fused attention
  bool fused = false;                     // the forward ran the fused pipeline (GatConv::fuses)
  ops::DropoutMask attention_mask;        // its attention dropout decisions (empty: none)
  ops::SoftmaxStats<T> softmax_stats;     // its softmax statistics (N, H), from which the backward
                                          // computes the weights again when alpha is not kept
  ScoreSaved<T> score;                    // what the score function kept for its backward
  ScoreSaved<T> align;                    // what the alignment kept for its backward
  Matrix<T> z_used;  // (N, H·F) z after feature dropout (empty when not dropped)
  // The attention weights aggregated (before dropout): (E, W) sparse, (H·N, N) dense, with
  // W = H, or H·F with multi-dimensional attention. Empty after a fused training pass on a
  // large graph (see attention()).
  Matrix<T> alpha;
  Matrix<T> alpha_used;  // the same after dropout (empty when not dropped, and when fused:
                         // the fused pass keeps its decisions in attention_mask instead)
  bool training = false;
  CounterRng attention_rng{0, 0, 0, 0};
  CounterRng feature_rng{0, 0, 0, 0};
  CounterRng input_rng{0, 0, 0, 0};
  CounterRng hard_rng{0, 0, 0, 0};
  AttentionOverride attention_override = AttentionOverride::kNone;
  const HaloExchange* halo = nullptr;  // ForwardContext::halo of the pass
};

/// @brief A graph attention layer with explicit forward and backward passes.
template <typename T>
class GatConv {
 public:
  /// @brief Creates the layer with Glorot-initialised weights drawn from (seed, layer_index).
  GatConv(const GatConvOptions& options, std::uint64_t seed, int layer_index);

  const GatConvOptions& options() const { return options_; }
  /// @brief Output width: H·F when concatenating, F when averaging.
  std::int64_t out_width() const;
  /// @brief Columns of the attention weights: H, or H·F with multi-dimensional attention.
  std::int64_t attention_width() const;

  /// @brief The parameters a layer built from `options` has, in the order of parameters():
  /// names "layers.<layer_index>.<name>" and shapes. Checks the options as the constructor does.
  static std::vector<ParameterShape> parameter_shapes(const GatConvOptions& options,
                                                      int layer_index);

  /// @brief Whether a layer with options `o` runs the fused attention (gat/ops/gat_attention.hpp):
  /// the paper's layer (sparse, gat score, softmax, single-dimensional, no edge features).
  /// Variants compose the separate ops through the registry; the fused kernels give the same
  /// bits.
  static bool fuses(const GatConvOptions& o);
  /// @brief The graph this layer expects: the input graph with its self-loop policy applied.
  CsrGraph prepare_graph(const CsrGraph& graph) const;
  /// @brief The same with edge features (E, D) in `graph`'s slot order carried along; added
  /// self loops get options().edge_fill.
  LayerGraph<T> prepare_graph(const CsrGraph& graph, MatrixCRef<T> edge_features) const;

  /// @brief Forward pass on dense input x (N, in); returns (N, out_width()). The cache keeps a
  /// view of x, not a copy (input dropout is redrawn where x is read): x must outlive backward.
  /// @param edge_features (E, D) in slot order, required when options().edge_features > 0
  /// (and must then outlive backward); ignored otherwise.
  Matrix<T> forward(const CsrGraph& graph, MatrixCRef<T> x, GatConvCache<T>& cache,
                    const ForwardContext& ctx, const Matrix<T>* edge_features = nullptr) const;
  /// @brief Deleted: the cache views its input, and a temporary matrix (or an Eigen expression
  /// that would be evaluated into one) would be gone before backward reads it. Pass a matrix
  /// that outlives backward. (An explicit MatrixCRef<T>(expr) temporary is not caught.)
  Matrix<T> forward(const CsrGraph& graph, Matrix<T>&& x, GatConvCache<T>& cache,
                    const ForwardContext& ctx,
                    const Matrix<T>* edge_features = nullptr) const = delete;
  /// @brief Forward pass on sparse input (N, in); the features are never densified.
  Matrix<T> forward(const CsrGraph& graph, const SparseInput<T>& x, GatConvCache<T>& cache,
                    const ForwardContext& ctx, const Matrix<T>* edge_features = nullptr) const;

  /// @brief Backward pass: adds parameter gradients into grad members and, when grad_input is
  /// given (dense input only), writes the input gradient (N, in) into it; likewise the edge
  /// features' gradient (E, D) into grad_edge_features when given.
  /// @param grad_out (N, out_width()).
  void backward(const CsrGraph& graph, const GatConvCache<T>& cache, MatrixCRef<T> grad_out,
                Matrix<T>* grad_input, Matrix<T>* grad_edge_features = nullptr);

  /// @brief The trainable parameters, in a fixed order: weight, the score function's (in the
  /// order of its ParameterSpecs), bias, res_weight, edge_weight, att_edge, each when present.
  std::vector<Parameter<T>*> parameters();
  std::vector<const Parameter<T>*> parameters() const;
  /// @brief The parameter named `name` within the layer ("weight", "att_src", ...); throws
  /// gat::Error naming the layer's parameters when it has none of that name.
  Parameter<T>& parameter(const std::string& name);
  const Parameter<T>& parameter(const std::string& name) const;

 private:
  // The shared part of both forwards, once the (dropped-out) input is in the cache:
  // z = x·W, attention, residual and bias.
  Matrix<T> forward_cached(const CsrGraph& graph, GatConvCache<T>& cache,
                           const ForwardContext& ctx) const;
  // y = x_used·w for the cached input, sparse or dense.
  Matrix<T> projection_forward(const GatConvCache<T>& cache, const Matrix<T>& w) const;
  // Attention and aggregation of cache.z.
  Matrix<T> attend(const CsrGraph& graph, GatConvCache<T>& cache, const ForwardContext& ctx) const;
  // The heads averaged (concat = false, H > 1), or agg itself.
  Matrix<T> mean_heads(Matrix<T> agg) const;
  // Dense attention (gat score, softmax) into cache.alpha (H·N, N).
  void attend_dense(const CsrGraph& graph, GatConvCache<T>& cache, const ForwardContext& ctx) const;
  // What the score function works with in this pass.
  ScoreContext<T> score_context(const CsrGraph& graph, const GatConvCache<T>& cache,
                                const InputProjection<T>& input,
                                Matrix<T>* grad_edge_features) const;
  AlignContext<T> align_context(const CsrGraph& graph, const GatConvCache<T>& cache) const;
  void check_graph(const CsrGraph& graph, std::int64_t rows) const;
  void check_edges(const CsrGraph& graph, const Matrix<T>* edge_features,
                   const HaloExchange* halo) const;
  // Backward of y = x_used·w for the cached input (sparse or dense): adds into w.grad and,
  // for dense input when asked, the gradient with respect to x_used into grad_input: written by
  // the first contribution (input_written false), added by later ones.
  void projection_backward(const GatConvCache<T>& cache, const Matrix<T>& w, Matrix<T>& grad_w,
                           MatrixCRef<T> grad_y, Matrix<T>* grad_input, bool& input_written) const;
  // The input dropout of the cached pass (rate 0 at inference).
  ops::DropoutSpec input_dropout(const GatConvCache<T>& cache) const;
  // The feature dropout of the cached pass, rate as given.
  ops::DropoutSpec feature_dropout(const GatConvCache<T>& cache, double rate) const;
  // Checks that a pass with ctx.halo can run here, and records it in the cache.
  void check_halo(const CsrGraph& graph, GatConvCache<T>& cache, const ForwardContext& ctx) const;
  const Parameter<T>* find(const std::string& name) const;
  // Parameters by role (nullptr when absent).
  Parameter<T>& weight() { return params_[0]; }
  const Parameter<T>& weight() const { return params_[0]; }
  const Parameter<T>* at(int index) const { return index < 0 ? nullptr : &params_[index]; }
  Parameter<T>* at(int index) { return index < 0 ? nullptr : &params_[index]; }

  GatConvOptions options_;
  int layer_index_;
  const ScoreVariant* score_;  // the registered variants of options_.score and options_.align
  const AlignVariant* align_;
  // Every parameter, in the order of parameters(): weight, then the score function's
  // (score_params_ of them), then bias, res_weight, edge_weight, att_edge when present, with
  // the indices of the last four (-1 when absent).
  std::vector<Parameter<T>> params_;
  std::size_t score_params_ = 0;
  int bias_ = -1, res_weight_ = -1, edge_weight_ = -1, att_edge_ = -1;
};

}  // namespace gat
