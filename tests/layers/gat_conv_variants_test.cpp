// GatConv's attention variants (the survey's score and alignment functions, multi-dimensional
// attention, attention overrides): finite-difference checks of every parameter and of the
// input for every score function × {single, multi-dimensional} × {1, 3} heads × {concat, mean};
// each alignment's own property (sparsemax zeros, top-k counts, hard attention's one-hot
// forward and straight-through backward, uniform = mean aggregation); a hand-computed GATv2
// layer; parameter bookkeeping; refusals; and bit-identical results at 1 and 2 threads.
// Gradient checks run in double precision.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "gat/core/error.hpp"
#include "gat/core/threads.hpp"
#include "gat/graph/build.hpp"
#include "gat/layers/gat_conv.hpp"
#include "support/gradcheck.hpp"

namespace gat {
namespace {

using test::MatrixD;
using test::random_matrix;
using test::weighted_sum;
using ::testing::HasSubstr;

// Every registered variant, read from the registry (gat/layers/variant.hpp): a new variant
// runs through every generic test below without being listed here.
std::vector<ScoreFunction> all_scores() {
  std::vector<ScoreFunction> out;
  for (const auto* v : score_variants()) out.push_back(v->id());
  return out;
}
std::vector<Alignment> all_alignments() {
  std::vector<Alignment> out;
  for (const auto* v : alignment_variants()) out.push_back(v->id());
  return out;
}
const std::vector<ScoreFunction> kAllScores = all_scores();
const std::vector<Alignment> kAllAlignments = all_alignments();

// Whether a layer can be built from `o` (a variant may refuse a combination, e.g. cosine
// refuses multi-dimensional attention; the refusal itself is tested with the variant).
bool accepted(const GatConvOptions& o) {
  try {
    GatConv<double>::parameter_shapes(o, 0);
    return true;
  } catch (const Error&) {
    return false;
  }
}

// A test name from a variant name ("scaled-dot" → "scaled_dot").
std::string test_name(const char* name) {
  std::string out(name);
  for (char& ch : out) {
    if (ch == '-') ch = '_';
  }
  return out;
}

// The graph of these tests (N = 8, E = 20), used as it is (self_loops = kKeep). In-edges:
//
//   node  in-edges (src → dst)                degree
//   0     1→0, 2→0, 0→0 ↺                       3
//   1     0→1, 2→1, 3→1, 4→1, 5→1, 1→1 ↺        6     the hub
//   2     3→2                                   1     a single in-edge
//   3     4→3, 5→3                              2
//   4     1→4, 1→4 (a duplicate), 4→4 ↺         3
//   5     0→5, 2→5, 3→5, 4→5                    4
//   6     —                                     0     isolated: no edges at all
//   7     7→7 ↺                                 1     only its self loop
//
// With top_k = 2, nodes 0, 1, 4 and 5 have more in-edges than the window.
CsrGraph variant_graph() {
  const std::vector<NodeId> src = {1, 2, 0, 0, 2, 3, 4, 5, 1, 3, 4, 5, 1, 1, 4, 0, 2, 3, 4, 7};
  const std::vector<NodeId> dst = {0, 0, 0, 1, 1, 1, 1, 1, 1, 2, 3, 3, 4, 4, 4, 5, 5, 5, 5, 7};
  const CsrGraph g = build_csr(8, src, dst);
  EXPECT_EQ(g.num_edges(), 20);
  EXPECT_EQ(g.in_degree(1), 6);
  EXPECT_EQ(g.in_degree(2), 1);
  EXPECT_EQ(g.in_degree(6) + g.out_degree(6), 0);
  EXPECT_EQ(g.num_self_loops(), 4);
  return g;
}
constexpr NodeId kNodes = 8;
constexpr NodeId kHub = 1;
constexpr int kTopK = 2;

GatConvOptions variant_options(ScoreFunction score, bool multi_dim, int heads, bool concat) {
  GatConvOptions o;
  o.in_features = 3;
  o.out_features = 2;
  o.heads = heads;
  o.concat = concat;
  o.self_loops = SelfLoops::kKeep;
  o.score = score;
  o.multi_dim = multi_dim;
  o.top_k = kTopK;
  return o;
}

// The part of "layers.<l>.<name>" after the last dot.
std::string short_name(const std::string& name) { return name.substr(name.rfind('.') + 1); }

template <typename T>
std::vector<std::string> short_names(GatConv<T>& conv) {
  std::vector<std::string> out;
  for (auto* p : conv.parameters()) out.push_back(short_name(p->name));
  return out;
}

template <typename T>
Parameter<T>& param(GatConv<T>& conv, const std::string& name) {
  for (auto* p : conv.parameters()) {
    if (short_name(p->name) == name) return *p;
  }
  ADD_FAILURE() << "no parameter " << name;
  static Parameter<T> none;
  return none;
}

// Every parameter drawn uniformly from [-1, 1), a different stream for each.
template <typename T>
void randomize(GatConv<T>& conv, std::uint64_t seed) {
  std::uint64_t k = 0;
  for (auto* p : conv.parameters()) {
    p->value =
        random_matrix(p->value.rows(), p->value.cols(), seed + 1000 * k++).template cast<T>();
  }
}

// The same parameter values in `to` as in `from`, matched by name.
void copy_parameters(GatConv<double>& from, GatConv<double>& to) {
  for (auto* p : to.parameters()) p->value = param(from, short_name(p->name)).value;
}

// out[i] = Σ_{p = (j→i)} α[p] ⊙ z[j], with α (E, H) one weight per head or (E, H·F) one per
// channel, then heads concatenated or averaged: the aggregation the layer must perform,
// written plainly.
MatrixD aggregate_by_hand(const CsrGraph& g, const MatrixD& alpha, const MatrixD& z, int heads,
                          bool concat) {
  const Eigen::Index hf = z.cols(), f = hf / heads;
  const bool per_channel = alpha.cols() == hf;
  MatrixD agg = MatrixD::Zero(g.num_nodes(), hf);
  for (NodeId i = 0; i < g.num_nodes(); ++i) {
    for (EdgeId p = g.row_ptr()[i]; p < g.row_ptr()[i + 1]; ++p) {
      const NodeId j = g.src()[p];
      for (Eigen::Index c = 0; c < hf; ++c) {
        agg(i, c) += (per_channel ? alpha(p, c) : alpha(p, c / f)) * z(j, c);
      }
    }
  }
  if (concat || heads == 1) return agg;
  MatrixD out = MatrixD::Zero(g.num_nodes(), f);
  for (int h = 0; h < heads; ++h) out += agg.middleCols(h * f, f);
  return out / heads;
}

MatrixD plus_bias(MatrixD out, GatConv<double>& conv) {
  if (conv.options().bias) out.rowwise() += conv.parameter("bias").value.row(0);
  return out;
}

// Checks every parameter the layer reports, and the dense input, against central differences
// of L = Σ w ⊙ forward(x). With `require_signal`, also that each parameter's gradient is not
// identically zero (a check that passes because nothing depends on the parameter proves
// nothing); `exempt` names a parameter allowed a zero gradient.
void expect_layer_gradients(GatConv<double>& conv, const CsrGraph& g, MatrixD x,
                            const ForwardContext& ctx, bool require_signal,
                            const std::string& exempt = "") {
  const MatrixD w = random_matrix(g.num_nodes(), conv.out_width(), 4);
  GatConvCache<double> cache;
  const MatrixD out = conv.forward(g, x, cache, ctx);
  ASSERT_TRUE(out.allFinite());
  EXPECT_EQ(cache.attention().cols(), conv.attention_width());
  zero_grad(conv.parameters());
  MatrixD grad_x;
  conv.backward(g, cache, w, &grad_x);
  auto loss = [&] {
    GatConvCache<double> scratch;
    return weighted_sum(conv.forward(g, x, scratch, ctx), w);
  };
  for (auto* p : conv.parameters()) {
    const MatrixD analytic = p->grad;
    test::expect_gradient(p->name, p->value, analytic, loss);
    if (require_signal && short_name(p->name) != exempt) {
      EXPECT_GT(analytic.cwiseAbs().maxCoeff(), 1e-6) << p->name << " gets no gradient";
    }
  }
  test::expect_gradient("input", x, grad_x, loss);
  EXPECT_GT(grad_x.cwiseAbs().maxCoeff(), 1e-6);
}

// ---- Every score function ----------------------------------------------------------------

struct ScoreCase {
  std::string name;
  ScoreFunction score;
  bool share_weights;
  bool multi_dim;
  int heads;
  bool concat;
};

std::vector<ScoreCase> score_cases() {
  struct Named {
    std::string name;
    ScoreFunction score;
    bool share;
  };
  std::vector<Named> scores;
  for (const ScoreFunction score : kAllScores) {
    scores.push_back({test_name(score.name()), score, false});
    if (score == ScoreFunction::kGatV2) scores.push_back({"gatv2_shared", score, true});
  }
  std::vector<ScoreCase> out;
  for (const Named& s : scores) {
    for (const bool multi : {false, true}) {
      if (!accepted(variant_options(s.score, multi, 1, true))) continue;
      for (const int heads : {1, 3}) {
        for (const bool concat : {true, false}) {
          out.push_back({std::string(s.name) + (multi ? "_multi" : "_single") + "_H" +
                             std::to_string(heads) + (concat ? "_concat" : "_mean"),
                         s.score, s.share, multi, heads, concat});
        }
      }
    }
  }
  return out;
}

class GatConvScoreGradient : public ::testing::TestWithParam<ScoreCase> {};

// Softmax alignment on the variant graph: every parameter and the input against finite
// differences, and every parameter receives a gradient (biased-general's score bias excepted:
// softmax is shift invariant, see BiasedGeneralBiasGetsNoGradientUnderShiftInvariantAlignments).
TEST_P(GatConvScoreGradient, MatchesFiniteDifferences) {
  const ScoreCase c = GetParam();
  GatConvOptions o = variant_options(c.score, c.multi_dim, c.heads, c.concat);
  o.share_weights = c.share_weights;
  GatConv<double> conv(o, 5, 1);
  randomize(conv, 17);
  const CsrGraph g = variant_graph();
  const MatrixD x = random_matrix(kNodes, o.in_features, 3);
  expect_layer_gradients(conv, g, x, ForwardContext{}, true,
                         c.score == ScoreFunction::kBiasedGeneral ? "score_bias" : "");
  // Softmax weights sum to one over every non-empty neighbourhood, per head or channel.
  GatConvCache<double> cache;
  conv.forward(g, x, cache, ForwardContext{});
  ASSERT_EQ(cache.attention().cols(), c.multi_dim ? c.heads * o.out_features : c.heads);
  for (NodeId i = 0; i < kNodes; ++i) {
    if (g.in_degree(i) == 0) continue;
    const auto seg = cache.attention().middleRows(g.row_ptr()[i], g.in_degree(i));
    for (Eigen::Index k = 0; k < seg.cols(); ++k) {
      EXPECT_NEAR(seg.col(k).sum(), 1.0, 1e-12) << "node " << i << " column " << k;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Scores, GatConvScoreGradient, ::testing::ValuesIn(score_cases()),
                         [](const auto& param_info) { return param_info.param.name; });

// ---- Every alignment ---------------------------------------------------------------------

struct AlignCase {
  std::string name;
  Alignment align;
  ScoreFunction score;
  bool multi_dim;
  int heads;
  bool concat;
  bool training;  // input, attention and feature dropout with masks fixed by the context
};

class GatConvAlignGradient : public ::testing::TestWithParam<AlignCase> {};

TEST_P(GatConvAlignGradient, MatchesFiniteDifferences) {
  const AlignCase c = GetParam();
  GatConvOptions o = variant_options(c.score, c.multi_dim, c.heads, c.concat);
  o.align = c.align;
  if (c.training) {
    o.input_dropout = 0.3;
    o.attention_dropout = 0.3;
    o.feature_dropout = 0.3;
  }
  GatConv<double> conv(o, 7, 0);
  randomize(conv, 23);
  const MatrixD x = random_matrix(kNodes, o.in_features, 9);
  expect_layer_gradients(conv, variant_graph(), x, ForwardContext{c.training, 42, 3}, false);
}

INSTANTIATE_TEST_SUITE_P(
    Alignments, GatConvAlignGradient,
    ::testing::Values(
        AlignCase{"softmax_gat", Alignment::kSoftmax, ScoreFunction::kGat, false, 3, true, false},
        AlignCase{"softmax_general_dropout", Alignment::kSoftmax, ScoreFunction::kGeneral, false, 3,
                  false, true},
        AlignCase{"softmax_gatv2_multi_dropout", Alignment::kSoftmax, ScoreFunction::kGatV2, true,
                  2, true, true},
        AlignCase{"sparsemax_gat", Alignment::kSparsemax, ScoreFunction::kGat, false, 3, true,
                  false},
        AlignCase{"sparsemax_general", Alignment::kSparsemax, ScoreFunction::kGeneral, false, 3,
                  false, false},
        AlignCase{"sparsemax_gatv2_multi", Alignment::kSparsemax, ScoreFunction::kGatV2, true, 2,
                  true, false},
        AlignCase{"sparsemax_dot_dropout", Alignment::kSparsemax, ScoreFunction::kDot, false, 2,
                  true, true},
        AlignCase{"local_gat", Alignment::kLocal, ScoreFunction::kGat, false, 3, true, false},
        AlignCase{"local_gatv2", Alignment::kLocal, ScoreFunction::kGatV2, false, 2, false, false},
        AlignCase{"local_dot_multi", Alignment::kLocal, ScoreFunction::kDot, true, 2, true, false},
        AlignCase{"local_activated_general_dropout", Alignment::kLocal,
                  ScoreFunction::kActivatedGeneral, false, 2, true, true},
        AlignCase{"uniform_gat", Alignment::kUniform, ScoreFunction::kGat, false, 3, true, false},
        AlignCase{"uniform_gatv2", Alignment::kUniform, ScoreFunction::kGatV2, false, 3, false,
                  false},
        AlignCase{"uniform_dot_dropout", Alignment::kUniform, ScoreFunction::kDot, false, 2, true,
                  true},
        AlignCase{"cardinality_gat", Alignment::kCardinality, ScoreFunction::kGat, false, 3, true,
                  false},
        AlignCase{"cardinality_gatv2_multi_dropout", Alignment::kCardinality, ScoreFunction::kGatV2,
                  true, 2, false, true},
        AlignCase{"cardinality_scaled_dot", Alignment::kCardinality, ScoreFunction::kScaledDot,
                  false, 2, true, false}),
    [](const auto& param_info) { return param_info.param.name; });

// ---- Sparsemax -------------------------------------------------------------------------------

//   1 ──▶ 0 ◀── 3          node 0 attends to 1, 2, 3 (slots in source order);
//         ▲                node 1 to 0 alone; nodes 2 and 3 have no in-edges.
//         2   0 ──▶ 1
//
// One input feature x = (0, 3, 2.5, -1), two heads of F = 1 with W = [1, 0.5], so
// z = (x, 0.5·x); a_src = 1 and a_dst = 0 in both heads make the score of j → i
// LeakyReLU(z_j). Node 0's scores are
//   head 0: (3, 2.5, −0.2)    sorted: k = 2 is the support (1 + 2·2.5 > 5.5, 1 − 3·0.2 < 5.3),
//                             τ = (5.5 − 1)/2 = 2.25, weights (0.75, 0.25, 0)
//   head 1: (1.5, 1.25, −0.1) k = 2 (1 + 2.5 > 2.75, 1 − 0.3 < 2.65), τ = 0.875,
//                             weights (0.625, 0.375, 0)
// The weight of 3 → 0 must be an exact zero in both heads: sparsemax zeroes every score at or
// below τ, and τ ≥ max − 1 (the top score alone already exceeds the sum), so a score more than
// 1 below the maximum — here 3.2 and 1.6 below — gets nothing. Softmax would give it e^{−3.2}.
// Outputs: node 0 = (0.75·3 + 0.25·2.5, 0.625·1.5 + 0.375·1.25) = (2.875, 1.40625); node 1
// aggregates z_0 = 0; nodes 2 and 3 aggregate nothing.
TEST(GatConvSparsemax, ExactZerosAndWeightsSummingToOne) {
  GatConvOptions o;
  o.in_features = 1;
  o.out_features = 1;
  o.heads = 2;
  o.bias = false;
  o.self_loops = SelfLoops::kKeep;
  o.align = Alignment::kSparsemax;
  GatConv<double> conv(o, 0, 0);
  conv.parameter("weight").value << 1, 0.5;
  conv.parameter("att_src").value << 1, 1;
  conv.parameter("att_dst").value << 0, 0;
  const CsrGraph g = build_csr(4, {1, 2, 3, 0}, {0, 0, 0, 1});
  MatrixD x(4, 1);
  x << 0, 3, 2.5, -1;
  GatConvCache<double> cache;
  const MatrixD out = conv.forward(g, x, cache, ForwardContext{});
  ASSERT_EQ(cache.attention().rows(), 4);
  ASSERT_EQ(cache.attention().cols(), 2);
  MatrixD expected_alpha(4, 2);
  expected_alpha << 0.75, 0.625,  //
      0.25, 0.375,                //
      0, 0,                       //
      1, 1;
  test::expect_matrix_near(cache.attention(), expected_alpha, 1e-12);
  EXPECT_EQ(cache.attention()(2, 0), 0.0) << "3 → 0, head 0: an exact zero";
  EXPECT_EQ(cache.attention()(2, 1), 0.0) << "3 → 0, head 1: an exact zero";
  MatrixD expected_out(4, 2);
  expected_out << 2.875, 1.40625,  //
      0, 0,                        //
      0, 0,                        //
      0, 0;
  test::expect_matrix_near(out, expected_out, 1e-12);
}

// With random parameters on the variant graph, single and multi-dimensional: non-negative
// weights summing to one over every non-empty neighbourhood, per head or channel.
TEST(GatConvSparsemax, WeightsFormADistributionPerNodeAndHead) {
  for (const bool multi : {false, true}) {
    GatConvOptions o = variant_options(ScoreFunction::kGeneral, multi, 3, true);
    o.align = Alignment::kSparsemax;
    GatConv<double> conv(o, 2, 0);
    randomize(conv, 5);
    // Larger weights spread the scores so that some fall below τ.
    conv.parameter("weight").value *= 3;
    const CsrGraph g = variant_graph();
    GatConvCache<double> cache;
    const MatrixD x = random_matrix(kNodes, 3, 6);
    conv.forward(g, x, cache, ForwardContext{});
    int zeros = 0;
    for (NodeId i = 0; i < kNodes; ++i) {
      if (g.in_degree(i) == 0) continue;
      const auto seg = cache.attention().middleRows(g.row_ptr()[i], g.in_degree(i));
      EXPECT_GE(seg.minCoeff(), 0.0);
      zeros += static_cast<int>((seg.array() == 0.0).count());
      for (Eigen::Index k = 0; k < seg.cols(); ++k) {
        EXPECT_NEAR(seg.col(k).sum(), 1.0, 1e-12) << "node " << i << " column " << k;
      }
    }
    EXPECT_GT(zeros, 0) << "no exact zero: choose parameters that spread the scores more";
  }
}

// ---- Local (top-k) attention ---------------------------------------------------------------

// Exactly min(k, deg) non-zero weights per node and head (or channel).
template <typename T>
void expect_top_k_counts(bool multi) {
  GatConvOptions o = variant_options(ScoreFunction::kGat, multi, 3, true);
  o.align = Alignment::kLocal;
  GatConv<T> conv(o, 4, 0);
  randomize(conv, 8);
  const CsrGraph g = variant_graph();
  GatConvCache<T> cache;
  const Matrix<T> x = random_matrix(kNodes, 3, 2).cast<T>();
  conv.forward(g, x, cache, ForwardContext{});
  ASSERT_EQ(cache.attention().cols(), conv.attention_width());
  for (NodeId i = 0; i < kNodes; ++i) {
    const EdgeId deg = g.in_degree(i);
    for (Eigen::Index k = 0; k < cache.attention().cols(); ++k) {
      EdgeId nonzero = 0;
      for (EdgeId p = g.row_ptr()[i]; p < g.row_ptr()[i + 1]; ++p)
        nonzero += cache.attention()(p, k) != T(0);
      EXPECT_EQ(nonzero, std::min<EdgeId>(kTopK, deg)) << "node " << i << " column " << k;
    }
  }
}

TEST(GatConvLocal, KeepsMinOfKAndDegreeWeightsDouble) {
  expect_top_k_counts<double>(false);
  expect_top_k_counts<double>(true);
}

TEST(GatConvLocal, KeepsMinOfKAndDegreeWeightsFloat) {
  expect_top_k_counts<float>(false);
  expect_top_k_counts<float>(true);
}

// The kept weights are those of the k highest scores — the k largest softmax weights, since
// softmax is monotone (ties to the earlier slot, as node 4's duplicate edge may need) — and
// they are the softmax renormalised over the kept slots: α_local = α / Σ_kept α.
TEST(GatConvLocal, IsTheSoftmaxRestrictedToTheTopK) {
  for (const bool multi : {false, true}) {
    GatConvOptions o = variant_options(ScoreFunction::kGatV2, multi, 2, true);
    GatConv<double> soft(o, 4, 0);
    randomize(soft, 12);
    o.align = Alignment::kLocal;
    GatConv<double> local(o, 4, 0);
    copy_parameters(soft, local);
    const CsrGraph g = variant_graph();
    const MatrixD x = random_matrix(kNodes, 3, 13);
    GatConvCache<double> cs, cl;
    soft.forward(g, x, cs, ForwardContext{});
    const MatrixD out = local.forward(g, x, cl, ForwardContext{});
    for (NodeId i = 0; i < kNodes; ++i) {
      const EdgeId begin = g.row_ptr()[i], deg = g.in_degree(i);
      for (Eigen::Index k = 0; k < cs.attention().cols(); ++k) {
        std::vector<EdgeId> order(deg);
        for (EdgeId q = 0; q < deg; ++q) order[q] = begin + q;
        std::stable_sort(order.begin(), order.end(), [&](EdgeId a, EdgeId b) {
          return cs.attention()(a, k) > cs.attention()(b, k);
        });
        const EdgeId kept = std::min<EdgeId>(kTopK, deg);
        double mass = 0;
        for (EdgeId q = 0; q < kept; ++q) mass += cs.attention()(order[q], k);
        for (EdgeId q = 0; q < deg; ++q) {
          const EdgeId p = order[q];
          if (q < kept) {
            EXPECT_NEAR(cl.attention()(p, k), cs.attention()(p, k) / mass, 1e-12) << "slot " << p;
          } else {
            EXPECT_EQ(cl.attention()(p, k), 0.0) << "slot " << p << " outside the top k";
          }
        }
      }
    }
    test::expect_matrix_near(
        out, plus_bias(aggregate_by_hand(g, cl.attention(), cl.projected(), 2, true), local),
        1e-12);
  }
}

// ---- Hard attention --------------------------------------------------------------------------

// Each non-empty neighbourhood column holds exactly one 1 and zeros elsewhere.
void expect_one_hot(const CsrGraph& g, const MatrixD& alpha) {
  for (NodeId i = 0; i < g.num_nodes(); ++i) {
    if (g.in_degree(i) == 0) continue;
    const auto seg = alpha.middleRows(g.row_ptr()[i], g.in_degree(i));
    for (Eigen::Index k = 0; k < seg.cols(); ++k) {
      EXPECT_EQ((seg.col(k).array() == 1.0).count(), 1) << "node " << i << " column " << k;
      EXPECT_EQ((seg.col(k).array() == 0.0).count(), g.in_degree(i) - 1)
          << "node " << i << " column " << k;
    }
  }
}

// In training, the forward aggregates a one-hot choice per node and head, drawn where the
// softmax is positive; the softmax it drew from is the softmax layer's α. The backward is
// straight-through: the layer behaves as if its weights were α + (y − α) with the bracket
// held constant, so its gradient is exactly that of the surrogate
//   L̃(θ) = Σ w ⊙ softmax_layer(θ)  +  Σ w ⊙ aggregate(c, x·W(θ)),   c = y − α(θ₀) fixed,
// whose value at θ₀ is the hard layer's loss. The surrogate is built from a softmax layer
// holding the same parameters, and its finite differences are compared with the hard layer's
// analytic gradient: parameters and input.
void check_hard_training(ScoreFunction score, bool multi, int heads, bool concat) {
  GatConvOptions o = variant_options(score, multi, heads, concat);
  GatConv<double> soft(o, 6, 0);
  randomize(soft, 41);
  o.align = Alignment::kHard;
  GatConv<double> hard(o, 6, 0);
  copy_parameters(soft, hard);
  const CsrGraph g = variant_graph();
  MatrixD x = random_matrix(kNodes, 3, 14);
  const ForwardContext ctx{true, 5, 1};

  GatConvCache<double> ch, cs;
  const MatrixD out = hard.forward(g, x, ch, ctx);
  // The softmax layer's α from an inference pass: the paper's layer (gat score) keeps its
  // weights only then, and without dropout they are those of a training pass.
  soft.forward(g, x, cs, ForwardContext{});
  ASSERT_EQ(cs.attention().rows(), g.num_edges());
  ASSERT_EQ(ch.attention().cols(), hard.attention_width());
  expect_one_hot(g, ch.attention());
  for (EdgeId p = 0; p < g.num_edges(); ++p) {
    for (Eigen::Index k = 0; k < ch.attention().cols(); ++k) {
      if (ch.attention()(p, k) == 1.0) {
        EXPECT_GT(cs.attention()(p, k), 0.0);
      }
    }
  }
  test::expect_matrix_near(
      out, plus_bias(aggregate_by_hand(g, ch.attention(), ch.projected(), heads, concat), hard),
      1e-12);

  const MatrixD w = random_matrix(kNodes, hard.out_width(), 15);
  zero_grad(hard.parameters());
  MatrixD grad_x;
  hard.backward(g, ch, w, &grad_x);
  const MatrixD c = ch.attention() - cs.attention();
  auto surrogate = [&] {
    GatConvCache<double> scratch;
    const MatrixD z = x * soft.parameter("weight").value;
    return weighted_sum(soft.forward(g, x, scratch, ctx), w) +
           weighted_sum(aggregate_by_hand(g, c, z, heads, concat), w);
  };
  for (auto* p : soft.parameters()) {
    test::expect_gradient(p->name, p->value, param(hard, short_name(p->name)).grad, surrogate);
  }
  test::expect_gradient("input", x, grad_x, surrogate);
}

TEST(GatConvHard, TrainingIsOneHotWithStraightThroughGradientGat) {
  check_hard_training(ScoreFunction::kGat, false, 2, true);
}
TEST(GatConvHard, TrainingIsOneHotWithStraightThroughGradientGatV2Mean) {
  check_hard_training(ScoreFunction::kGatV2, false, 3, false);
}
TEST(GatConvHard, TrainingIsOneHotWithStraightThroughGradientGeneralMulti) {
  check_hard_training(ScoreFunction::kGeneral, true, 2, true);
}

// At inference the choice is the argmax of the softmax (the first of equal maxima).
TEST(GatConvHard, InferenceTakesTheArgmax) {
  for (const bool multi : {false, true}) {
    GatConvOptions o = variant_options(ScoreFunction::kGat, multi, 3, true);
    GatConv<double> soft(o, 6, 0);
    randomize(soft, 43);
    o.align = Alignment::kHard;
    GatConv<double> hard(o, 6, 0);
    copy_parameters(soft, hard);
    const CsrGraph g = variant_graph();
    const MatrixD x = random_matrix(kNodes, 3, 16);
    GatConvCache<double> ch, cs;
    const MatrixD out = hard.forward(g, x, ch, ForwardContext{});
    soft.forward(g, x, cs, ForwardContext{});
    expect_one_hot(g, ch.attention());
    for (NodeId i = 0; i < kNodes; ++i) {
      if (g.in_degree(i) == 0) continue;
      for (Eigen::Index k = 0; k < cs.attention().cols(); ++k) {
        Eigen::Index best = 0;
        cs.attention().col(k).segment(g.row_ptr()[i], g.in_degree(i)).maxCoeff(&best);
        EXPECT_EQ(ch.attention()(g.row_ptr()[i] + best, k), 1.0) << "node " << i << " column " << k;
      }
    }
    test::expect_matrix_near(
        out, plus_bias(aggregate_by_hand(g, ch.attention(), ch.projected(), 3, true), hard), 1e-12);
  }
}

// In training the choice is a draw from the softmax, new at every step: over many steps, the
// hub's choices follow its softmax weights (each frequency within 5 standard errors).
TEST(GatConvHard, TrainingDrawsFollowTheSoftmax) {
  GatConvOptions o = variant_options(ScoreFunction::kGat, false, 1, true);
  o.align = Alignment::kHard;
  GatConv<double> hard(o, 6, 0);
  randomize(hard, 44);
  const CsrGraph g = variant_graph();
  const MatrixD x = random_matrix(kNodes, 3, 17);
  const EdgeId begin = g.row_ptr()[kHub], deg = g.in_degree(kHub);
  const int steps = 3000;
  std::vector<int> counts(deg, 0);
  for (int s = 0; s < steps; ++s) {
    GatConvCache<double> cache;
    hard.forward(g, x, cache, ForwardContext{true, 9, static_cast<std::uint64_t>(s)});
    for (EdgeId q = 0; q < deg; ++q) counts[q] += cache.attention()(begin + q, 0) == 1.0;
  }
  // The softmax the draws come from: the same layer with softmax alignment (no dropout here,
  // so training and inference scores agree).
  GatConvOptions so = o;
  so.align = Alignment::kSoftmax;
  GatConv<double> soft(so, 6, 0);
  randomize(soft, 44);
  GatConvCache<double> soft_cache;
  soft.forward(g, x, soft_cache, ForwardContext{});
  const MatrixD alpha_soft = soft_cache.attention();
  for (EdgeId q = 0; q < deg; ++q) {
    const double p = alpha_soft(begin + q, 0);
    const double freq = double(counts[q]) / steps;
    EXPECT_NEAR(freq, p, 5 * std::sqrt(p * (1 - p) / steps) + 1e-3) << "slot " << q;
  }
}

// ---- Uniform alignment and the overrides ---------------------------------------------------

// Mean aggregation by hand: out[i] = (1/deg i) Σ_{j→i} z_j (self loop included), then bias.
MatrixD mean_by_hand(const CsrGraph& g, const MatrixD& z) {
  MatrixD out = MatrixD::Zero(g.num_nodes(), z.cols());
  for (NodeId i = 0; i < g.num_nodes(); ++i) {
    for (EdgeId p = g.row_ptr()[i]; p < g.row_ptr()[i + 1]; ++p) out.row(i) += z.row(g.src()[p]);
    if (g.in_degree(i) > 0) out.row(i) /= double(g.in_degree(i));
  }
  return out;
}

TEST(GatConvUniform, IsMeanAggregationWithoutAttentionParameters) {
  GatConvOptions o = variant_options(ScoreFunction::kGat, false, 3, true);
  o.self_loops = SelfLoops::kAdd;
  o.align = Alignment::kUniform;
  GatConv<double> uniform(o, 2, 0);
  randomize(uniform, 3);
  EXPECT_EQ(short_names(uniform), (std::vector<std::string>{"weight", "bias"}));
  const CsrGraph g = uniform.prepare_graph(variant_graph());
  ASSERT_EQ(g.in_degree(6), 1);  // the isolated node now has its own loop
  const MatrixD x = random_matrix(kNodes, 3, 4);
  GatConvCache<double> cache;
  const MatrixD out = uniform.forward(g, x, cache, ForwardContext{});
  const MatrixD z = x * uniform.parameter("weight").value;
  MatrixD expected = mean_by_hand(g, z);
  expected.rowwise() += uniform.parameter("bias").value.row(0);
  test::expect_matrix_near(out, expected, 1e-12);

  // Whatever the score function, a uniform layer has no attention parameters.
  for (const ScoreFunction s : kAllScores) {
    GatConvOptions u = variant_options(s, false, 2, true);
    u.align = Alignment::kUniform;
    u.bias = false;
    GatConv<double> layer(u, 0, 0);
    EXPECT_EQ(short_names(layer), (std::vector<std::string>{"weight"})) << to_string(s);
  }

  // The override on a gat layer with the same weight and bias gives the same output.
  o.align = Alignment::kSoftmax;
  GatConv<double> gat(o, 9, 0);
  randomize(gat, 77);
  gat.parameter("weight").value = uniform.parameter("weight").value;
  gat.parameter("bias").value = uniform.parameter("bias").value;
  ForwardContext ctx;
  ctx.attention_override = AttentionOverride::kUniform;
  GatConvCache<double> c2;
  test::expect_matrix_near(gat.forward(g, x, c2, ctx), out, 1e-12);
}

// Cardinality: the softmax weights times the in-degree. With the same parameters as a softmax
// layer (and no residual), out − bias is deg(i) times the softmax layer's out − bias; with equal
// scores (a = 0) the layer sums its in-neighbours where softmax averages them.
TEST(GatConvCardinality, IsTheSoftmaxTimesTheInDegree) {
  GatConvOptions o = variant_options(ScoreFunction::kGat, false, 3, true);
  GatConv<double> soft(o, 4, 0);
  randomize(soft, 5);
  o.align = Alignment::kCardinality;
  GatConv<double> card(o, 4, 0);
  copy_parameters(soft, card);
  const CsrGraph g = variant_graph();
  const MatrixD x = random_matrix(kNodes, 3, 6);
  GatConvCache<double> cs, cc;
  const MatrixD bias = soft.parameter("bias").value;
  MatrixD out_soft = soft.forward(g, x, cs, ForwardContext{});
  MatrixD out_card = card.forward(g, x, cc, ForwardContext{});
  out_soft.rowwise() -= bias.row(0);
  out_card.rowwise() -= bias.row(0);
  for (NodeId i = 0; i < kNodes; ++i) {
    const double d = double(g.in_degree(i));
    test::expect_matrix_near(out_card.row(i), d * out_soft.row(i), 1e-12);
    for (EdgeId p = g.row_ptr()[i]; p < g.row_ptr()[i + 1]; ++p) {
      test::expect_matrix_near(cc.attention().row(p), d * cs.attention().row(p), 1e-12);
    }
  }
  EXPECT_EQ(g.in_degree(1), 6);  // the hub's weights sum to 6 in every head
  EXPECT_NEAR(cc.attention().middleRows(g.row_ptr()[kHub], 6).colwise().sum().minCoeff(), 6.0,
              1e-12);
  EXPECT_NEAR(cc.attention().middleRows(g.row_ptr()[kHub], 6).colwise().sum().maxCoeff(), 6.0,
              1e-12);
  // Equal scores: sum aggregation by hand.
  card.parameter("att_src").value.setZero();
  card.parameter("att_dst").value.setZero();
  GatConvCache<double> c0;
  MatrixD out0 = card.forward(g, x, c0, ForwardContext{});
  out0.rowwise() -= bias.row(0);
  const MatrixD z = x * card.parameter("weight").value;
  MatrixD sum = MatrixD::Zero(kNodes, z.cols());
  for (NodeId i = 0; i < kNodes; ++i) {
    for (EdgeId p = g.row_ptr()[i]; p < g.row_ptr()[i + 1]; ++p) sum.row(i) += z.row(g.src()[p]);
  }
  test::expect_matrix_near(out0, sum, 1e-12);
}

// kPermute: the weights of each neighbourhood are the learned ones in another order — the
// same multiset per head, hence the same sums — moved by one permutation per node shared by
// all heads; the output aggregates the permuted weights; the seed picks the permutation.
TEST(GatConvOverride, PermuteShufflesEachNeighbourhood) {
  GatConvOptions o = variant_options(ScoreFunction::kGat, false, 3, true);
  GatConv<double> conv(o, 3, 0);
  randomize(conv, 31);
  const CsrGraph g = variant_graph();
  const MatrixD x = random_matrix(kNodes, 3, 5);
  GatConvCache<double> learned, perm1, perm1_again, perm2;
  conv.forward(g, x, learned, ForwardContext{});
  ForwardContext c1;
  c1.seed = 1;
  c1.attention_override = AttentionOverride::kPermute;
  ForwardContext c2 = c1;
  c2.seed = 2;
  const MatrixD out1 = conv.forward(g, x, perm1, c1);
  conv.forward(g, x, perm1_again, c1);
  conv.forward(g, x, perm2, c2);
  EXPECT_EQ(perm1.attention(), perm1_again.attention())
      << "the same seed must give the same permutation";
  for (const GatConvCache<double>* perm : {&perm1, &perm2}) {
    for (NodeId i = 0; i < kNodes; ++i) {
      const EdgeId begin = g.row_ptr()[i], deg = g.in_degree(i);
      for (Eigen::Index h = 0; h < 3; ++h) {
        std::vector<double> a, b;
        for (EdgeId p = begin; p < begin + deg; ++p) {
          a.push_back(learned.attention()(p, h));
          b.push_back(perm->attention()(p, h));
        }
        std::sort(a.begin(), a.end());
        std::sort(b.begin(), b.end());
        EXPECT_EQ(a, b) << "node " << i << " head " << h << ": not a permutation";
        if (deg > 0) {
          EXPECT_NEAR(perm->attention().col(h).segment(begin, deg).sum(), 1.0, 1e-12);
        }
      }
      // Shared by the heads: every permuted slot carries the weights of one learned slot in
      // all three heads at once.
      for (EdgeId p = begin; p < begin + deg; ++p) {
        bool found = false;
        for (EdgeId q = begin; q < begin + deg && !found; ++q) {
          found = perm->attention().row(p) == learned.attention().row(q);
        }
        EXPECT_TRUE(found) << "slot " << p << ": heads permuted differently";
      }
    }
  }
  test::expect_matrix_near(
      out1, plus_bias(aggregate_by_hand(g, perm1.attention(), perm1.projected(), 3, true), conv),
      1e-12);
  const EdgeId begin = g.row_ptr()[kHub], deg = g.in_degree(kHub);
  ASSERT_GE(deg, 4);
  EXPECT_NE(MatrixD(perm1.attention().middleRows(begin, deg)),
            MatrixD(perm2.attention().middleRows(begin, deg)))
      << "seeds 1 and 2 gave the hub the same permutation";
}

// ---- GATv2 by hand -------------------------------------------------------------------------

//   0 ──▶ 1 ◀── 2        self loops added: 1 attends to {0, 1, 2}; 0 and 2 to themselves.
//
// One head, F = 2, shared weights W = W_dst = I, so z = x; x_0 = (1, 0.5), x_1 = (0, 1),
// x_2 = (−1, 2); score bias b = (0.5, −1); a = (1, −0.5); slope 0.2; no output bias.
// Node 1's query is W x_1 + b = (0.5, 0), and e_j = aᵀ LeakyReLU(q_1 + z_j):
//   j = 0: q + z = (1.5, 0.5)   → (1.5, 0.5)    e = 1.5 − 0.25 = 1.25
//   j = 1: q + z = (0.5, 1)     → (0.5, 1)      e = 0.5 − 0.5  = 0
//   j = 2: q + z = (−0.5, 2)    → (−0.1, 2)     e = −0.1 − 1   = −1.1
// α = softmax(1.25, 0, −1.1) = (0.723655000, 0.207330629, 0.069014371)
// out_1 = Σ α_j z_j = (0.723655 − 0.069014, 0.361828 + 0.207331 + 0.138029)
//       = (0.654640629, 0.707186871);  out_0 = z_0, out_2 = z_2 (a single weight of 1).
TEST(GatConvGatV2, SharedWeightsMatchHandComputation) {
  GatConvOptions o;
  o.in_features = 2;
  o.out_features = 2;
  o.heads = 1;
  o.bias = false;
  o.score = ScoreFunction::kGatV2;
  o.share_weights = true;
  GatConv<double> conv(o, 0, 0);
  const auto names = short_names(conv);
  EXPECT_EQ(std::count(names.begin(), names.end(), "weight_dst"), 0);
  EXPECT_EQ(std::set<std::string>(names.begin(), names.end()),
            (std::set<std::string>{"weight", "att", "score_bias"}));
  conv.parameter("weight").value << 1, 0, 0, 1;
  conv.parameter("att").value << 1, -0.5;
  conv.parameter("score_bias").value << 0.5, -1;
  const CsrGraph g = conv.prepare_graph(build_csr(3, {0, 2}, {1, 1}));
  MatrixD x(3, 2);
  x << 1, 0.5, 0, 1, -1, 2;
  GatConvCache<double> cache;
  const MatrixD out = conv.forward(g, x, cache, ForwardContext{});
  const double e[3] = {1.25, 0.0, -1.1};
  const double denom = std::exp(e[0]) + std::exp(e[1]) + std::exp(e[2]);
  const double hand[3] = {0.723655000, 0.207330629, 0.069014371};
  for (EdgeId p = g.row_ptr()[1]; p < g.row_ptr()[2]; ++p) {
    const NodeId j = g.src()[p];
    EXPECT_NEAR(cache.attention()(p, 0), std::exp(e[j]) / denom, 1e-12) << "edge " << j << " → 1";
    EXPECT_NEAR(cache.attention()(p, 0), hand[j], 1e-9) << "edge " << j << " → 1";
  }
  MatrixD expected(3, 2);
  expected << 1, 0.5, 0.654640629, 0.707186871, -1, 2;
  test::expect_matrix_near(out, expected, 1e-9);

  // Without sharing the layer has its own W_dst; set to W it computes the same thing.
  o.share_weights = false;
  GatConv<double> separate(o, 0, 0);
  const auto names2 = short_names(separate);
  EXPECT_EQ(std::count(names2.begin(), names2.end(), "weight_dst"), 1);
  separate.parameter("weight").value = conv.parameter("weight").value;
  separate.parameter("weight_dst").value = conv.parameter("weight").value;
  separate.parameter("att").value = conv.parameter("att").value;
  separate.parameter("score_bias").value = conv.parameter("score_bias").value;
  GatConvCache<double> c2;
  test::expect_matrix_near(separate.forward(g, x, c2, ForwardContext{}), expected, 1e-9);
}

// ---- Relations between scores --------------------------------------------------------------

// (W_q x_i)ᵀ z_j / √F is the dot score with W_q scaled by 1/√F: the same layer in every
// other respect gives the same output.
TEST(GatConvScores, ScaledDotIsDotWithScaledQuery) {
  for (const bool multi : {false, true}) {
    GatConvOptions o = variant_options(ScoreFunction::kScaledDot, multi, 3, true);
    o.out_features = 4;  // √F = 2
    GatConv<double> scaled(o, 8, 0);
    randomize(scaled, 50);
    o.score = ScoreFunction::kDot;
    GatConv<double> dot(o, 8, 0);
    copy_parameters(scaled, dot);
    dot.parameter("weight_query").value /= std::sqrt(4.0);
    const CsrGraph g = variant_graph();
    const MatrixD x = random_matrix(kNodes, 3, 51);
    GatConvCache<double> a, b;
    test::expect_matrix_near(scaled.forward(g, x, a, ForwardContext{}),
                             dot.forward(g, x, b, ForwardContext{}), 1e-12);
  }
}

// biased-general adds one constant b per head (or channel) to every score of that column.
// Softmax and sparsemax are shift invariant — softmax(e + b) = softmax(e), and sparsemax's
// threshold τ moves with the scores — so b changes nothing and its gradient is zero:
// ∂L/∂b = Σ_p ∂L/∂e_p = Σ_i Σ_{p into i} α_p (g_p − Σ_q α_q g_q) = 0 (softmax; sparsemax's
// backward likewise subtracts the support mean). With tanh in between (activated-general) the
// shift is no longer uniform after the activation, so b does get a gradient.
TEST(GatConvScores, BiasedGeneralBiasGetsNoGradientUnderShiftInvariantAlignments) {
  for (const Alignment align : {Alignment::kSoftmax, Alignment::kSparsemax}) {
    for (const bool multi : {false, true}) {
      for (const ScoreFunction score :
           {ScoreFunction::kBiasedGeneral, ScoreFunction::kActivatedGeneral}) {
        GatConvOptions o = variant_options(score, multi, 3, true);
        o.align = align;
        GatConv<double> conv(o, 1, 0);
        randomize(conv, 60);
        const CsrGraph g = variant_graph();
        GatConvCache<double> cache;
        const MatrixD x = random_matrix(kNodes, 3, 61);
        conv.forward(g, x, cache, ForwardContext{});
        zero_grad(conv.parameters());
        conv.backward(g, cache, random_matrix(kNodes, conv.out_width(), 62), nullptr);
        const double largest = conv.parameter("score_bias").grad.cwiseAbs().maxCoeff();
        ASSERT_EQ(conv.parameter("score_bias").grad.cols(), conv.attention_width());
        if (score == ScoreFunction::kBiasedGeneral) {
          EXPECT_LT(largest, 1e-12) << to_string(align) << (multi ? " multi" : "");
        } else {
          EXPECT_GT(largest, 1e-4) << to_string(align) << (multi ? " multi" : "");
        }
      }
    }
  }
}

// ---- Parameter bookkeeping -----------------------------------------------------------------

std::set<std::string> expected_names(const GatConvOptions& o) {
  std::set<std::string> s{"weight"};
  if (o.bias) s.insert("bias");
  if (o.align == Alignment::kUniform) return s;
  // What the header documents for each score; a registered score missing here fails.
  const ScoreFunction score = o.score;
  if (score == ScoreFunction::kGat) {
    s.insert({"att_src", "att_dst"});
  } else if (score == ScoreFunction::kGatV2) {
    s.insert({"att", "score_bias"});
    if (!o.share_weights) s.insert("weight_dst");
  } else if (score == ScoreFunction::kDot || score == ScoreFunction::kScaledDot) {
    s.insert("weight_query");
  } else if (score == ScoreFunction::kGeneral) {
    s.insert("att_matrix");
  } else if (score == ScoreFunction::kBiasedGeneral || score == ScoreFunction::kActivatedGeneral) {
    s.insert({"att_matrix", "score_bias"});
  } else if (score == parse_score_function("cosine")) {
    s.insert({"weight_query", "inv_temperature"});
  } else {
    ADD_FAILURE() << "no documented parameters for score " << score.name();
  }
  return s;
}

// For every score, alignment, sharing and multi-dim setting (with bias, residual projection,
// and for gat edge features): parameter_shapes lists parameters()'s names and shapes in order,
// the set of names is the one the header documents, and each shape is as documented.
TEST(GatConvParameters, ShapesMatchParametersForEveryVariant) {
  std::size_t checked = 0, refused = 0;
  for (const ScoreFunction score : kAllScores) {
    for (const Alignment align : kAllAlignments) {
      for (const bool multi : {false, true}) {
        for (const bool share : {false, true}) {
          if (share && score != ScoreFunction::kGatV2) continue;
          for (const bool bias : {false, true}) {
            GatConvOptions o = variant_options(score, multi, 3, true);
            o.in_features = 5;
            o.out_features = 4;
            o.align = align;
            o.share_weights = share;
            o.bias = bias;
            o.residual = bias;  // in 5 ≠ out 12: a projection
            const std::string what = std::string(to_string(score)) + "/" + to_string(align) +
                                     (multi ? "/multi" : "") + (share ? "/shared" : "") +
                                     (bias ? "/bias" : "");
            if (!accepted(o)) {
              EXPECT_THROW(GatConv<double>(o, 0, 3), Error) << what;
              ++refused;
              continue;
            }
            GatConv<double> conv(o, 0, 3);
            const auto shapes = GatConv<double>::parameter_shapes(o, 3);
            const auto params = conv.parameters();
            ASSERT_EQ(shapes.size(), params.size()) << what;
            for (std::size_t k = 0; k < shapes.size(); ++k) {
              EXPECT_EQ(shapes[k].name, params[k]->name) << what;
              EXPECT_EQ(shapes[k].rows, params[k]->value.rows()) << what << " " << shapes[k].name;
              EXPECT_EQ(shapes[k].cols, params[k]->value.cols()) << what << " " << shapes[k].name;
              EXPECT_EQ(params[k]->grad.rows(), params[k]->value.rows()) << what;
              EXPECT_EQ(params[k]->grad.cols(), params[k]->value.cols()) << what;
              EXPECT_EQ(params[k]->name.rfind("layers.3.", 0), 0u) << what;
            }
            std::set<std::string> names;
            for (auto* p : params) names.insert(short_name(p->name));
            std::set<std::string> want = expected_names(o);
            if (o.residual) want.insert("res_weight");
            EXPECT_EQ(names, want) << what;
            const Eigen::Index h = 3, f = 4, w = multi ? h * f : h;
            EXPECT_EQ(conv.attention_width(), w) << what;
            for (auto* p : params) {
              const std::string n = short_name(p->name);
              std::pair<Eigen::Index, Eigen::Index> expected{-1, -1};
              if (n == "weight" || n == "weight_dst" || n == "weight_query") expected = {5, h * f};
              if (n == "att" || n == "att_src" || n == "att_dst") expected = {h, f};
              if (n == "att_matrix") expected = {h * f, f};
              if (n == "inv_temperature") expected = {1, h};
              if (n == "score_bias") {
                expected = {1, score == ScoreFunction::kGatV2 ? h * f : w};
              }
              if (n == "bias") expected = {1, h * f};
              if (n == "res_weight") expected = {5, h * f};
              EXPECT_EQ(std::make_pair(p->value.rows(), p->value.cols()), expected)
                  << what << " " << n;
            }
            ++checked;
          }
        }
      }
    }
  }
  // Every registered score (and gatv2 shared) × alignment × multi × bias was looked at; only
  // cosine refuses some (multi-dimensional, where it computes a score).
  EXPECT_EQ(checked + refused, (kAllScores.size() + 1) * kAllAlignments.size() * 2 * 2);
  EXPECT_EQ(refused, (kAllAlignments.size() - 1) * 2);
  // Edge features (gat only) add W_e and a_edge.
  GatConvOptions o = variant_options(ScoreFunction::kGat, false, 2, true);
  o.edge_features = 3;
  GatConv<double> conv(o, 0, 1);
  const auto shapes = GatConv<double>::parameter_shapes(o, 1);
  const auto params = conv.parameters();
  ASSERT_EQ(shapes.size(), params.size());
  for (std::size_t k = 0; k < shapes.size(); ++k) {
    EXPECT_EQ(shapes[k].name, params[k]->name);
    EXPECT_EQ(shapes[k].rows, params[k]->value.rows()) << shapes[k].name;
    EXPECT_EQ(shapes[k].cols, params[k]->value.cols()) << shapes[k].name;
  }
}

// ---- Refusals and names --------------------------------------------------------------------

// The options are refused by the constructor and by parameter_shapes alike.
void expect_refused(const GatConvOptions& o, const std::string& what) {
  EXPECT_THROW(GatConv<double>(o, 0, 0), Error) << what;
  EXPECT_THROW(GatConv<double>::parameter_shapes(o, 0), Error) << what;
  EXPECT_THROW(GatConv<float>(o, 0, 0), Error) << what;
}

TEST(GatConvVariantOptions, RefusesUnsupportedCombinations) {
  for (const ScoreFunction s : kAllScores) {
    if (s == ScoreFunction::kGat) continue;
    GatConvOptions o = variant_options(s, false, 2, true);
    o.edge_features = 2;
    expect_refused(o, std::string("edge features with ") + to_string(s));
    o = variant_options(s, false, 2, true);
    o.attention = AttentionMode::kDense;
    expect_refused(o, std::string("dense attention with ") + to_string(s));
  }
  for (const Alignment a : kAllAlignments) {
    if (a == Alignment::kSoftmax) continue;
    GatConvOptions o = variant_options(ScoreFunction::kGat, false, 2, true);
    o.attention = AttentionMode::kDense;
    o.align = a;
    expect_refused(o, std::string("dense attention with ") + to_string(a));
  }
  GatConvOptions o = variant_options(ScoreFunction::kGat, true, 2, true);
  o.attention = AttentionMode::kDense;
  expect_refused(o, "dense multi-dimensional attention");
  for (const int k : {0, -1}) {
    o = variant_options(ScoreFunction::kGat, false, 2, true);
    o.align = Alignment::kLocal;
    o.top_k = k;
    expect_refused(o, "top_k " + std::to_string(k));
  }
  // The defaults remain valid with dense attention and with edge features.
  o = variant_options(ScoreFunction::kGat, false, 2, true);
  o.attention = AttentionMode::kDense;
  EXPECT_NO_THROW(GatConv<double>(o, 0, 0));
  o.attention = AttentionMode::kSparse;
  o.edge_features = 2;
  EXPECT_NO_THROW(GatConv<double>(o, 0, 0));
}

TEST(GatConvVariantOptions, NamesRoundTripAndUnknownNamesListTheChoices) {
  const std::vector<std::string> score_names = {
      "gat",   "gatv2", "dot", "scaled-dot", "general", "biased-general", "activated-general",
      "cosine"};
  // The registry's guard, as ggml guards its op table with a count: registering a variant
  // fails here until it is named (and tested) in this file.
  ASSERT_EQ(kAllScores.size(), score_names.size()) << gat::score_names();
  for (std::size_t k = 0; k < kAllScores.size(); ++k) {
    EXPECT_EQ(to_string(kAllScores[k]), score_names[k]);
    EXPECT_EQ(parse_score_function(to_string(kAllScores[k])), kAllScores[k]);
  }
  const std::vector<std::string> align_names = {"softmax", "sparsemax", "hard",
                                                "local",   "uniform",   "cardinality"};
  ASSERT_EQ(kAllAlignments.size(), align_names.size()) << alignment_names();
  for (std::size_t k = 0; k < kAllAlignments.size(); ++k) {
    EXPECT_EQ(to_string(kAllAlignments[k]), align_names[k]);
    EXPECT_EQ(parse_alignment(to_string(kAllAlignments[k])), kAllAlignments[k]);
  }
  for (const std::string bad : {"gat3", "", "GAT", "scaled_dot"}) {
    try {
      parse_score_function(bad);
      ADD_FAILURE() << "'" << bad << "' accepted as a score function";
    } catch (const Error& e) {
      for (const auto& n : score_names) EXPECT_THAT(e.what(), HasSubstr(n)) << bad;
      if (!bad.empty()) {
        EXPECT_THAT(e.what(), HasSubstr(bad));
      }
    }
  }
  for (const std::string bad : {"softmin", "", "Softmax", "top-k"}) {
    try {
      parse_alignment(bad);
      ADD_FAILURE() << "'" << bad << "' accepted as an alignment";
    } catch (const Error& e) {
      for (const auto& n : align_names) EXPECT_THAT(e.what(), HasSubstr(n)) << bad;
      if (!bad.empty()) {
        EXPECT_THAT(e.what(), HasSubstr(bad));
      }
    }
  }
}

// ---- Thread counts -------------------------------------------------------------------------

// A random graph on 3000 nodes (several row chunks) with self loops added by the layer.
CsrGraph big_graph() {
  const NodeId n = 3000;
  const CounterRng rng(19, 0, 0, 0);
  std::vector<NodeId> src, dst;
  for (std::uint64_t k = 0; k < 4u * n; ++k) {
    src.push_back(static_cast<NodeId>(rng.bits(2 * k) % (n - 1)));
    dst.push_back(static_cast<NodeId>(rng.bits(2 * k + 1) % (n - 1)));
  }
  return apply_self_loops(build_csr(n, src, dst), SelfLoops::kAdd);
}

struct ThreadCase {
  std::string name;
  ScoreFunction score;
  Alignment align;
  bool multi_dim;
  bool share_weights;
};

class GatConvThreads : public ::testing::TestWithParam<ThreadCase> {};

// Same seed → bit-identical output, parameter gradients and input gradient at 1 and 2 threads
// (float, training with every dropout on).
TEST_P(GatConvThreads, BitIdenticalAcrossThreadCounts) {
  const ThreadCase c = GetParam();
  const CsrGraph g = big_graph();
  GatConvOptions o;
  o.in_features = 24;
  o.out_features = 8;
  o.heads = 4;
  o.score = c.score;
  o.align = c.align;
  o.multi_dim = c.multi_dim;
  o.share_weights = c.share_weights;
  o.top_k = 3;
  o.input_dropout = 0.3;
  o.attention_dropout = 0.3;
  o.feature_dropout = 0.3;
  const Matrix<float> x = random_matrix(g.num_nodes(), 24, 6).cast<float>();
  const Matrix<float> w = random_matrix(g.num_nodes(), 32, 7).cast<float>();
  struct Run {
    Matrix<float> out, grad_x;
    std::vector<Matrix<float>> grads;
  };
  auto run = [&](int threads) {
    set_num_threads(threads);
    GatConv<float> conv(o, 21, 0);
    GatConvCache<float> cache;
    Run r;
    r.out = conv.forward(g, x, cache, ForwardContext{true, 5, 9});
    conv.backward(g, cache, w, &r.grad_x);
    for (auto* p : conv.parameters()) r.grads.push_back(p->grad);
    return r;
  };
  const int before = num_threads();
  const Run one = run(1), two = run(2);
  set_num_threads(before);
  EXPECT_TRUE(one.out.allFinite());
  EXPECT_TRUE(one.out == two.out);
  EXPECT_TRUE(one.grad_x == two.grad_x);
  ASSERT_EQ(one.grads.size(), two.grads.size());
  for (std::size_t k = 0; k < one.grads.size(); ++k) {
    EXPECT_TRUE(one.grads[k] == two.grads[k]) << "parameter " << k;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Variants, GatConvThreads,
    ::testing::Values(
        ThreadCase{"gatv2", ScoreFunction::kGatV2, Alignment::kSoftmax, false, false},
        ThreadCase{"gatv2_shared_multi", ScoreFunction::kGatV2, Alignment::kSoftmax, true, true},
        ThreadCase{"general", ScoreFunction::kGeneral, Alignment::kSoftmax, false, false},
        ThreadCase{"activated_general_multi", ScoreFunction::kActivatedGeneral, Alignment::kSoftmax,
                   true, false},
        ThreadCase{"gat_multi", ScoreFunction::kGat, Alignment::kSoftmax, true, false},
        ThreadCase{"dot_sparsemax", ScoreFunction::kDot, Alignment::kSparsemax, false, false},
        ThreadCase{"gat_hard", ScoreFunction::kGat, Alignment::kHard, false, false},
        ThreadCase{"general_hard_multi", ScoreFunction::kGeneral, Alignment::kHard, true, false},
        ThreadCase{"scaled_dot_local", ScoreFunction::kScaledDot, Alignment::kLocal, false, false}),
    [](const auto& param_info) { return param_info.param.name; });

// And every registered score with softmax alignment, so that a new score is covered without
// being listed.
std::vector<ThreadCase> registered_thread_cases() {
  std::vector<ThreadCase> out;
  for (const ScoreFunction s : kAllScores) {
    out.push_back({test_name(s.name()), s, Alignment::kSoftmax, false, false});
  }
  return out;
}
INSTANTIATE_TEST_SUITE_P(Registered, GatConvThreads, ::testing::ValuesIn(registered_thread_cases()),
                         [](const auto& param_info) { return param_info.param.name; });

}  // namespace
}  // namespace gat
