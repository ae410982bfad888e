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
// the score function (GatConvOptions::score, see ScoreFunction), the alignment that turns a
// neighbourhood's scores into weights (align: softmax, sparsemax, hard, local top-k, uniform),
// and the dimensionality (multi_dim: one weight per edge and channel, (E, H·F)). Each variant
// is a chain of fused forward/backward kernels from ops/:
//   score:     edge_score (gat) | edge_additive (gatv2) | edge_dot (dot, general family)
//   alignment: segment_softmax | segment_sparsemax | segment_topk → softmax | softmax →
//              segment_hard
//   values:    aggregate (per head) | aggregate_channels (multi-dimensional)

#include <cstdint>
#include <string>
#include <vector>

#include "gat/core/random.hpp"
#include "gat/core/sparse_matrix.hpp"
#include "gat/core/types.hpp"
#include "gat/graph/build.hpp"
#include "gat/graph/csr.hpp"
#include "gat/layers/parameter.hpp"

namespace gat {

/// How attention is computed: over CSR edge slots (O(E·H) memory and time), or densely
/// with an (N, N) score matrix per head masked by the adjacency (O(N²·H)), as pyGAT and the
/// original TensorFlow code do. Both give the same outputs and gradients.
enum class AttentionMode { kSparse, kDense };

/// Score functions e[j→i] of the attention survey (Brauwers & Frasincar), per head, with
/// z = x·W the projected features (also the values aggregated) and ρ = LeakyReLU:
///   kGat              ρ(a_dstᵀ z_i + a_srcᵀ z_j)                  (the GAT paper; default)
///   kGatV2            aᵀ ρ(W_dst x_i + b + z_j)                   (GATv2; W_dst = W if shared)
///   kDot              (W_q x_i)ᵀ z_j
///   kScaledDot        (W_q x_i)ᵀ z_j / √F
///   kGeneral          z_jᵀ M z_i                                  (M: F×F per head)
///   kBiasedGeneral    z_jᵀ M z_i + b
///   kActivatedGeneral tanh(z_jᵀ M z_i + b)
/// Keys are the values z (W_k = W) so that dot scores add one projection, not two. With
/// multi_dim each score keeps one term per channel instead of summing over F; scaled-dot keeps
/// its 1/√F factor there too (one definition for both modes), though no sum needs it.
enum class ScoreFunction {
  kGat,
  kGatV2,
  kDot,
  kScaledDot,
  kGeneral,
  kBiasedGeneral,
  kActivatedGeneral
};

/// How each neighbourhood's scores become weights (the survey's alignment functions):
///   kSoftmax   softmax over the in-edges of each node (default);
///   kSparsemax Euclidean projection onto the simplex: exact zeros (Martins & Astudillo);
///   kHard      one neighbour per node and head: sampled from the softmax in training with a
///              straight-through gradient, the argmax at inference;
///   kLocal     softmax restricted to each node's top_k highest-scoring in-edges (the survey's
///              local attention, with the window chosen by score rather than by hops: on a
///              graph a k-hop window only grows the neighbourhood, while top-k narrows it);
///   kUniform   every in-edge gets 1/deg(i): mean aggregation, no score at all (the ablation
///              baseline; the layer then has no attention parameters).
enum class Alignment { kSoftmax, kSparsemax, kHard, kLocal, kUniform };

/// Ablations of a trained model's attention, applied after the alignment in a forward pass:
///   kUniform  replace each neighbourhood's weights by 1/deg(i);
///   kPermute  permute each neighbourhood's weights at random (one permutation per node,
///             shared by all heads, drawn from (ctx.seed, layer, node)): the weights keep
///             their values but lose their assignment to neighbours.
enum class AttentionOverride { kNone, kUniform, kPermute };

/// @brief The name used by the CLI and checkpoints ("gat", "gatv2", "dot", "scaled-dot",
/// "general", "biased-general", "activated-general").
const char* to_string(ScoreFunction score);
/// @brief "softmax", "sparsemax", "hard", "local", "uniform".
const char* to_string(Alignment align);
/// @brief The score function named `name`; throws gat::Error listing the choices.
ScoreFunction parse_score_function(const std::string& name);
/// @brief The alignment named `name`; throws gat::Error listing the choices.
Alignment parse_alignment(const std::string& name);

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
  ScoreFunction score = ScoreFunction::kGat;
  bool share_weights = false;  // GATv2: W_dst = W (one projection for both ends of an edge)
  Alignment align = Alignment::kSoftmax;
  int top_k = 8;  // kLocal: in-edges kept per node and head (ties to the earlier slot)
  // Multi-dimensional attention: one weight per edge and channel (E, H·F) instead of per
  // head (E, H), each channel's softmax (or other alignment) taken on its own.
  bool multi_dim = false;
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
};

/// @brief Everything GatConv::backward needs from the forward pass.
template <typename T>
struct GatConvCache {
  const SparseInput<T>* sparse_input = nullptr;  // the sparse input; must outlive backward
  std::vector<T> sparse_values;                  // (nnz) input values after dropout
  Matrix<T> dense_input;                  // (N, in) input after dropout, when the input is dense
  const Matrix<T>* edge_input = nullptr;  // (E, D) edge features; must outlive backward
  Matrix<T> edge_v;                       // (D, H) folded edge projection and attention
  Matrix<T> s_edge;                       // (E, H) edge term of the score
  Matrix<T> z;                            // (N, H·F)
  Matrix<T> s_src, s_dst;                 // (N, H) node scores of the gat score
  // The query side of the other scores (N, H·F): x·W_dst + b (gatv2), x·W_q (dot), z·Mᵀ per
  // head (general family); the keys are z.
  Matrix<T> q;
  Matrix<T> scores;      // (E, W) scores kept for the backward: top-k masked (local),
                         // tanh output (activated-general); else empty
  Matrix<T> alpha_soft;  // (E, W) the softmax that hard attention sampled from
  // W = H, or H·F with multi-dimensional attention.
  Matrix<T> z_used;  // (N, H·F) z after feature dropout (empty when not dropped)
  // The attention weights aggregated (before dropout): (E, W) sparse, (H·N, N) dense.
  Matrix<T> alpha;
  Matrix<T> alpha_used;  // the same after dropout (empty when not dropped)
  bool training = false;
  CounterRng attention_rng{0, 0, 0, 0};
  CounterRng feature_rng{0, 0, 0, 0};
  CounterRng input_rng{0, 0, 0, 0};
  CounterRng hard_rng{0, 0, 0, 0};
  AttentionOverride attention_override = AttentionOverride::kNone;
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

  /// @brief The graph this layer expects: the input graph with its self-loop policy applied.
  CsrGraph prepare_graph(const CsrGraph& graph) const;
  /// @brief The same with edge features (E, D) in `graph`'s slot order carried along; added
  /// self loops get options().edge_fill.
  LayerGraph<T> prepare_graph(const CsrGraph& graph, MatrixCRef<T> edge_features) const;

  /// @brief Forward pass on dense input x (N, in); returns (N, out_width()).
  /// @param edge_features (E, D) in slot order, required when options().edge_features > 0
  /// (and must then outlive backward); ignored otherwise.
  Matrix<T> forward(const CsrGraph& graph, MatrixCRef<T> x, GatConvCache<T>& cache,
                    const ForwardContext& ctx, const Matrix<T>* edge_features = nullptr) const;
  /// @brief Forward pass on sparse input (N, in); the features are never densified.
  Matrix<T> forward(const CsrGraph& graph, const SparseInput<T>& x, GatConvCache<T>& cache,
                    const ForwardContext& ctx, const Matrix<T>* edge_features = nullptr) const;

  /// @brief Backward pass: adds parameter gradients into grad members and, when grad_input is
  /// given (dense input only), writes the input gradient (N, in) into it; likewise the edge
  /// features' gradient (E, D) into grad_edge_features when given.
  /// @param grad_out (N, out_width()).
  void backward(const CsrGraph& graph, const GatConvCache<T>& cache, MatrixCRef<T> grad_out,
                Matrix<T>* grad_input, Matrix<T>* grad_edge_features = nullptr);

  /// @brief The trainable parameters, in a fixed order.
  std::vector<Parameter<T>*> parameters();

  Parameter<T> weight;        // W (in, H·F): the values z = x·W, and the keys
  Parameter<T> att_src;       // (H, F), gat score
  Parameter<T> att_dst;       // (H, F), gat score
  Parameter<T> att;           // a (H, F), gatv2 score
  Parameter<T> weight_dst;    // W_dst (in, H·F), gatv2 without shared weights
  Parameter<T> weight_query;  // W_q (in, H·F), dot and scaled-dot scores
  Parameter<T> att_matrix;    // (H·F, F), general family: rows [h·F, h·F+F) hold M_hᵀ
  // b: (1, H·F) for gatv2; (1, W) for biased- and activated-general
  Parameter<T> score_bias;
  Parameter<T> bias;         // (1, out_width) when options.bias
  Parameter<T> res_weight;   // (in, out_width) when residual and in != out_width
  Parameter<T> edge_weight;  // W_e (D, H·F) when options.edge_features > 0
  Parameter<T> att_edge;     // a_edge (H, F) when options.edge_features > 0

 private:
  // The shared part of both forwards, once the (dropped-out) input is in the cache:
  // z = x·W, attention, residual and bias.
  Matrix<T> forward_cached(const CsrGraph& graph, GatConvCache<T>& cache,
                           const ForwardContext& ctx) const;
  // y = x_used·w for the cached input, sparse or dense.
  Matrix<T> projection_forward(const GatConvCache<T>& cache, const Parameter<T>& w) const;
  // Attention and aggregation of cache.z.
  Matrix<T> attend(const CsrGraph& graph, GatConvCache<T>& cache, const ForwardContext& ctx) const;
  // Scores (E, W) of the configured score function into cache.alpha (sparse attention).
  void score_forward(const CsrGraph& graph, GatConvCache<T>& cache) const;
  // Backward of score_forward: from grad_e (E, W) into grad_z and the score parameters.
  void score_backward(const CsrGraph& graph, const GatConvCache<T>& cache, MatrixCRef<T> grad_e,
                      Matrix<T>& grad_z, Matrix<T>* grad_input, Matrix<T>* grad_edge_features);
  // Turns cache.alpha from scores into weights with the configured alignment.
  void align_forward(const CsrGraph& graph, GatConvCache<T>& cache,
                     const ForwardContext& ctx) const;
  // Backward of align_forward in place: grad (E, W) from weights to scores.
  void align_backward(const CsrGraph& graph, const GatConvCache<T>& cache, Matrix<T>& grad) const;
  void check_graph(const CsrGraph& graph, std::int64_t rows) const;
  void check_edges(const CsrGraph& graph, const Matrix<T>* edge_features) const;
  // Backward of y = x_used·w for the cached input (sparse or dense): adds into w.grad and,
  // for dense input when asked, into grad_input.
  void projection_backward(const GatConvCache<T>& cache, Parameter<T>& w, MatrixCRef<T> grad_y,
                           Matrix<T>* grad_input) const;

  GatConvOptions options_;
  int layer_index_;
};

}  // namespace gat
