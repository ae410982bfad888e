#pragma once
// Attention variants as plug-ins. GatConv computes, per head h and edge p = (j → i),
//   e[p]  = score(x_i, x_j)           a score function         (E, W)
//   α[p]  = align(e over i's in-edges) an alignment            (E, W)
//   out_i = Σ_j α[p] · z_j             the aggregation (per head, or per channel: multi_dim)
// with W = H, or H·F with multi-dimensional attention. The survey's score functions and
// alignments (Brauwers & Frasincar) are each described in one place: a ScoreVariant or an
// AlignVariant, one file per variant under lib/src/layers/scores/ and .../alignments/, holding
// its name, its maths, its parameters, what it refuses, and its forward and backward. The
// registration lists in lib/src/layers/variants.cpp are the only place that names them all;
// the layer, the CLI help, checkpoints and the tests read those lists (score_variants(),
// alignment_variants()).
//
// Adding a score function: write lib/src/layers/scores/<name>.cpp defining
// `const ScoreVariant& <name>_score()`, add one line to the list in variants.cpp, the file to
// lib/CMakeLists.txt, and a row to the README table. The registry tests then run the generic
// checks (finite differences, thread bit-identity, checkpoint round trip) on it, and fail
// until the variant also has a reference-value test (tests/layers/variants_test.cpp).

#include <cstdint>
#include <cstring>
#include <functional>
#include <string>
#include <type_traits>
#include <vector>

#include "gat/core/random.hpp"
#include "gat/core/types.hpp"
#include "gat/graph/csr.hpp"
#include "gat/layers/parameter.hpp"

namespace gat {

struct GatConvOptions;

/// @brief The name of a registered score function ("gat", "gatv2", "dot", ...; see
/// score_variants()). Cheap to copy; compares by name. The built-in ones have constants for
/// code that names them; any registered one comes from parse_score_function.
class ScoreFunction {
 public:
  constexpr ScoreFunction() = default;  // the GAT paper's score
  static const ScoreFunction kGat, kGatV2, kDot, kScaledDot, kGeneral, kBiasedGeneral,
      kActivatedGeneral;
  /// @brief The registered name.
  const char* name() const { return name_; }
  friend bool operator==(ScoreFunction a, ScoreFunction b) {
    return std::strcmp(a.name_, b.name_) == 0;
  }
  friend bool operator!=(ScoreFunction a, ScoreFunction b) { return !(a == b); }

 private:
  friend struct ScoreVariant;
  constexpr explicit ScoreFunction(const char* name) : name_(name) {}
  const char* name_ = "gat";  // static storage: a string literal of a registered variant
};
inline constexpr ScoreFunction ScoreFunction::kGat{"gat"};
inline constexpr ScoreFunction ScoreFunction::kGatV2{"gatv2"};
inline constexpr ScoreFunction ScoreFunction::kDot{"dot"};
inline constexpr ScoreFunction ScoreFunction::kScaledDot{"scaled-dot"};
inline constexpr ScoreFunction ScoreFunction::kGeneral{"general"};
inline constexpr ScoreFunction ScoreFunction::kBiasedGeneral{"biased-general"};
inline constexpr ScoreFunction ScoreFunction::kActivatedGeneral{"activated-general"};

/// @brief The name of a registered alignment ("softmax", "sparsemax", "hard", "local",
/// "uniform", "cardinality"; see alignment_variants()). Cheap to copy; compares by name.
class Alignment {
 public:
  constexpr Alignment() = default;  // softmax
  static const Alignment kSoftmax, kSparsemax, kHard, kLocal, kUniform, kCardinality;
  const char* name() const { return name_; }
  friend bool operator==(Alignment a, Alignment b) { return std::strcmp(a.name_, b.name_) == 0; }
  friend bool operator!=(Alignment a, Alignment b) { return !(a == b); }

 private:
  friend struct AlignVariant;
  constexpr explicit Alignment(const char* name) : name_(name) {}
  const char* name_ = "softmax";
};
inline constexpr Alignment Alignment::kSoftmax{"softmax"};
inline constexpr Alignment Alignment::kSparsemax{"sparsemax"};
inline constexpr Alignment Alignment::kHard{"hard"};
inline constexpr Alignment Alignment::kLocal{"local"};
inline constexpr Alignment Alignment::kUniform{"uniform"};
inline constexpr Alignment Alignment::kCardinality{"cardinality"};

/// @brief The registered name ("gat", "scaled-dot", ...).
inline const char* to_string(ScoreFunction score) { return score.name(); }
/// @brief The registered name ("softmax", ...).
inline const char* to_string(Alignment align) { return align.name(); }
/// @brief The score function named `name`; throws gat::Error listing the choices.
ScoreFunction parse_score_function(const std::string& name);
/// @brief The alignment named `name`; throws gat::Error listing the choices.
Alignment parse_alignment(const std::string& name);

/// @brief A parameter a variant adds to the layer: its name within the layer ("att_src"), its
/// shape, and its initialisation, Glorot-uniform with the given fans from the generator keyed
/// by (seed, layer, stream), or every entry `constant` when fan_in is 0. Streams are unique
/// within a layer (0 to 5 belong to the layer itself; see GatConv's constructor).
struct ParameterSpec {
  std::string name;
  std::int64_t rows = 0, cols = 0;
  double fan_in = 0, fan_out = 0;
  int stream = -1;
  double constant = 0;
};

/// @brief The layer's projection of its input for a score that has its own W: y = x·w on the
/// layer's (dropped-out, sparse or dense) input, and its backward, which adds xᵀ·grad_y into
/// grad_w and, for dense input when the layer is asked for it, grad_y·wᵀ into the input
/// gradient.
template <typename T>
struct InputProjection {
  std::function<Matrix<T>(const Matrix<T>& w)> forward;
  std::function<void(const Matrix<T>& w, Matrix<T>& grad_w, MatrixCRef<T> grad_y)> backward;
};

/// @brief What a score function's forward and backward work with, for one layer and one pass.
/// The forward reads params[k]->value only; the backward adds into params[k]->grad.
template <typename T>
struct ScoreContext {
  const GatConvOptions& options;
  const CsrGraph& graph;              // the prepared graph (self-loop policy applied)
  const Matrix<T>& z;                 // (N, H·F) z = x·W: the values, and the keys
  std::vector<Parameter<T>*> params;  // the variant's parameters, in the order of its specs
  const InputProjection<T>& input;    // x·W_own for scores with their own projection
  const Matrix<T>* edge_input;        // (E, D) edge features, or nullptr when D = 0
  Parameter<T>* edge_weight;          // W_e (D, H·F), when D > 0
  Parameter<T>* att_edge;             // a_edge (H, F), when D > 0
  Matrix<T>* grad_edge_input;         // backward: (E, D) gradient of the edge features, or null
};

/// @brief What a score function keeps from its forward for its backward: slots it names itself
/// (e.g. the node scores of gat, the queries of dot). Owned by the layer's cache.
template <typename T>
struct ScoreSaved {
  std::vector<Matrix<T>> slots;
};

/// @brief Forward and backward of a score function for one scalar type.
template <typename T>
struct ScoreKernels {
  /// Scores (E, W) into `scores` (already sized), keeping what the backward needs in `saved`.
  void (*forward)(const ScoreContext<T>& ctx, Matrix<T>& scores, ScoreSaved<T>& saved) = nullptr;
  /// From grad_scores (E, W): adds into grad_z (N, H·F), the parameters' gradients, and
  /// through ctx.input the projection's input gradient.
  void (*backward)(const ScoreContext<T>& ctx, const ScoreSaved<T>& saved,
                   MatrixCRef<T> grad_scores, Matrix<T>& grad_z) = nullptr;
};

/// @brief One score function, described in one place.
struct ScoreVariant {
  const char* name = "";       // as the CLI, checkpoints and results spell it
  const char* formula = "";    // one line, for the CLI help and docs: "(W_q x_i)ᵀ z_j"
  bool edge_features = false;  // can add the edge-feature term a_edgeᵀ W_e x_ij
  bool dense = false;          // has a dense (N × N) implementation (only gat)
  /// Extra per-edge scalars per H·F channel it holds in training beyond the scores (memory
  /// estimate): gatv2 keeps an (E, H·F) buffer.
  int per_edge_channels = 0;
  /// Its parameters for `options` (names without the "layers.L." prefix).
  std::vector<ParameterSpec> (*parameters)(const GatConvOptions& options) = nullptr;
  /// Throws gat::Error for options it cannot serve (nullptr: serves every option).
  void (*check)(const GatConvOptions& options) = nullptr;
  ScoreKernels<float> f32;
  ScoreKernels<double> f64;

  ScoreFunction id() const { return ScoreFunction(name); }
  template <typename T>
  const ScoreKernels<T>& kernels() const {
    if constexpr (std::is_same_v<T, float>) {
      return f32;
    } else {
      return f64;
    }
  }
};

/// @brief What an alignment's forward and backward see.
template <typename T>
struct AlignContext {
  const GatConvOptions& options;
  const CsrGraph& graph;
  bool training = false;
  const CounterRng& rng;  // the layer's stream for sampling alignments (hard attention)
};

/// @brief Forward and backward of an alignment for one scalar type.
template <typename T>
struct AlignKernels {
  /// Turns the scores (E, W) in `a` into weights, in place; may keep matrices in `saved`.
  void (*forward)(const AlignContext<T>& ctx, Matrix<T>& a, ScoreSaved<T>& saved) = nullptr;
  /// In place, grad (E, W) from the weights to the scores; `alpha` is the forward's output.
  void (*backward)(const AlignContext<T>& ctx, const ScoreSaved<T>& saved, const Matrix<T>& alpha,
                   Matrix<T>& grad) = nullptr;
};

/// @brief One alignment, described in one place.
struct AlignVariant {
  const char* name = "";
  const char* summary = "";  // one line for the CLI help
  bool uses_scores = true;   // false: no score is computed (the layer has no score parameters)
  void (*check)(const GatConvOptions& options) = nullptr;
  AlignKernels<float> f32;
  AlignKernels<double> f64;

  Alignment id() const { return Alignment(name); }
  template <typename T>
  const AlignKernels<T>& kernels() const {
    if constexpr (std::is_same_v<T, float>) {
      return f32;
    } else {
      return f64;
    }
  }
};

/// @brief Every registered score function, in registration order (the default first).
const std::vector<const ScoreVariant*>& score_variants();
/// @brief Every registered alignment, in registration order (the default first).
const std::vector<const AlignVariant*>& alignment_variants();
/// @brief The variant registered as `score`.
const ScoreVariant& score_variant(ScoreFunction score);
/// @brief The variant registered as `align`.
const AlignVariant& align_variant(Alignment align);
/// @brief "gat, gatv2, ..." in registration order, for help texts and messages.
std::string score_names();
/// @brief "softmax, sparsemax, ..." in registration order.
std::string alignment_names();

}  // namespace gat
