// Attention analysis: hand-computed entropies and same-label weights on a drawn graph, exact
// agreement of uniform attention with its baseline, the edge listing of trained models (every
// alignment's weights sum to one per layer, head and destination), and the ablation.

#include "gat/train/attention_stats.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <tuple>
#include <vector>

#include "gat/core/error.hpp"
#include "gat/core/threads.hpp"
#include "gat/graph/build.hpp"
#include "gat/train/trainer.hpp"
#include "support/synthetic.hpp"

namespace gat {
namespace {

// The drawn graph (N = 4, E = 6), labels in brackets:
//
//        ↺                          in-edges of 0: 0→0 (self loop), 1→0, 2→0
//   1 ──▶ 0[0] ◀── 2[1]             in-edges of 1: 0→1
//   [0]   │         ▲               in-edges of 2: 3→2, 0→2
//    ▲────┘         │               in-edges of 3: none (skipped by every statistic)
//         0 ───────▶┘ ◀── 3[1]
//
// 1 is class 0, 3 is class 1. Weights α (two columns), by edge:
//   into 0: 0→0 (1/2, 0)  1→0 (1/4, 0)  2→0 (1/4, 1)
//   into 1: 0→1 (1, 1)
//   into 2: 3→2 (0.9, 0.5)  0→2 (0.1, 0.5)
const std::vector<std::int32_t> kLabels = {0, 0, 1, 1};

CsrGraph drawn_graph() { return build_csr(4, {0, 1, 2, 0, 3, 0}, {0, 0, 0, 1, 2, 2}); }

// α in the graph's slot order, looked up by (source, destination) so that the test does not
// depend on how build_csr orders a row.
template <typename T>
Matrix<T> drawn_alpha(const CsrGraph& g) {
  const std::map<std::pair<NodeId, NodeId>, std::pair<double, double>> weights = {
      {{0, 0}, {0.5, 0.0}}, {{1, 0}, {0.25, 0.0}}, {{2, 0}, {0.25, 1.0}},
      {{0, 1}, {1.0, 1.0}}, {{3, 2}, {0.9, 0.5}},  {{0, 2}, {0.1, 0.5}}};
  const std::vector<NodeId> dst = g.dst();
  Matrix<T> alpha(g.num_edges(), 2);
  for (EdgeId p = 0; p < g.num_edges(); ++p) {
    const auto& w = weights.at({g.src()[p], dst[p]});
    alpha(p, 0) = static_cast<T>(w.first);
    alpha(p, 1) = static_cast<T>(w.second);
  }
  return alpha;
}

// H(0.9, 0.1) = −0.9 ln 0.9 − 0.1 ln 0.1.
const double kH91 = -0.9 * std::log(0.9) - 0.1 * std::log(0.1);

template <typename T>
void check_hand_computed(double tol) {
  const CsrGraph g = drawn_graph();
  const Matrix<T> alpha = drawn_alpha<T>(g);
  const NodeAttentionStats s = node_attention_stats<T>(g, alpha, kLabels);
  EXPECT_EQ(s.degree, (std::vector<EdgeId>{3, 1, 2, 0}));
  // Node 0, column 0: −(½ ln ½ + 2·¼ ln ¼) = 1.5 ln 2; uniform ln 3. Same label (class 0): the
  // self loop and 1→0, ½ + ¼ = ¾, against a uniform share of 2/3. Column 1 puts everything on
  // 2→0 (class 1): entropy 0, same-label weight 0.
  EXPECT_NEAR(s.entropy(0, 0), 1.5 * std::log(2.0), tol);
  EXPECT_NEAR(s.entropy(0, 1), 0.0, tol);
  EXPECT_NEAR(s.uniform_entropy[0], std::log(3.0), tol);
  EXPECT_NEAR(s.same_label(0, 0), 0.75, tol);
  EXPECT_NEAR(s.same_label(0, 1), 0.0, tol);
  EXPECT_NEAR(s.uniform_share[0], 2.0 / 3.0, tol);
  // Node 1: a single in-edge from a same-class node.
  EXPECT_EQ(s.entropy(1, 0), 0.0);
  EXPECT_EQ(s.uniform_entropy[1], 0.0);
  EXPECT_NEAR(s.same_label(1, 1), 1.0, tol);
  EXPECT_NEAR(s.uniform_share[1], 1.0, tol);
  // Node 2 (class 1): 3→2 is the same class.
  EXPECT_NEAR(s.entropy(2, 0), kH91, tol);
  EXPECT_NEAR(s.entropy(2, 1), std::log(2.0), tol);
  EXPECT_NEAR(s.uniform_entropy[2], std::log(2.0), tol);
  EXPECT_NEAR(s.same_label(2, 0), 0.9, tol);
  EXPECT_NEAR(s.same_label(2, 1), 0.5, tol);
  EXPECT_NEAR(s.uniform_share[2], 0.5, tol);
  // Node 3 has no in-edges: all zero.
  EXPECT_EQ(s.entropy(3, 0), 0.0);
  EXPECT_EQ(s.uniform_entropy[3], 0.0);
  EXPECT_EQ(s.same_label(3, 1), 0.0);

  // Column 0 over all nodes: nodes 0, 1, 2 averaged, node 3 skipped.
  const AttentionSummary all = summarize_attention(s, 0, 1);
  EXPECT_EQ(all.nodes, 3);
  EXPECT_EQ(all.skipped, 1);
  EXPECT_NEAR(all.entropy, (1.5 * std::log(2.0) + kH91) / 3, tol);
  EXPECT_NEAR(all.uniform_entropy, (std::log(3.0) + std::log(2.0)) / 3, tol);
  EXPECT_NEAR(all.entropy_ratio, (1.5 * std::log(2.0) + kH91) / (std::log(3.0) + std::log(2.0)),
              tol);
  EXPECT_NEAR(all.same_label, (0.75 + 1.0 + 0.9) / 3, tol);
  EXPECT_NEAR(all.uniform_share, (2.0 / 3 + 1.0 + 0.5) / 3, tol);
  // Both columns over the subset {2, 3}: node 2 alone is averaged.
  const std::vector<NodeId> subset = {2, 3};
  const AttentionSummary two = summarize_attention(s, 0, 2, &subset);
  EXPECT_EQ(two.nodes, 1);
  EXPECT_EQ(two.skipped, 1);
  EXPECT_NEAR(two.entropy, (kH91 + std::log(2.0)) / 2, tol);
  EXPECT_NEAR(two.uniform_entropy, std::log(2.0), tol);
  EXPECT_NEAR(two.same_label, 0.7, tol);
  EXPECT_NEAR(two.uniform_share, 0.5, tol);
  // Only node 1 (degree 1): no entropy anywhere, ratio 1 by definition.
  const std::vector<NodeId> one = {1};
  EXPECT_EQ(summarize_attention(s, 0, 2, &one).entropy_ratio, 1.0);
  // Only node 3: nothing averaged.
  const std::vector<NodeId> none = {3};
  const AttentionSummary empty = summarize_attention(s, 0, 2, &none);
  EXPECT_EQ(empty.nodes, 0);
  EXPECT_EQ(empty.entropy, 0.0);

  // Node 0's neighbourhood averaged over both columns: 0→0 ¼, 1→0 ⅛, 2→0 ⅝.
  const auto nb = node_neighbourhood<T>(g, alpha, 0, 0, 2);
  ASSERT_EQ(nb.size(), 3u);
  std::map<NodeId, double> by_source;
  for (const auto& e : nb) by_source[e.source] = e.weight;
  EXPECT_NEAR(by_source[0], 0.25, tol);
  EXPECT_NEAR(by_source[1], 0.125, tol);
  EXPECT_NEAR(by_source[2], 0.625, tol);
  EXPECT_TRUE(node_neighbourhood<T>(g, alpha, 3, 0, 1).empty());
}

TEST(AttentionStats, HandComputedDouble) { check_hand_computed<double>(1e-12); }
TEST(AttentionStats, HandComputedFloat) { check_hand_computed<float>(1e-6); }

// Weights 1/deg: the entropy is its uniform baseline and the same-label weight its share,
// bit for bit, so the ratio is exactly 1 (the baselines are computed with the same arithmetic).
template <typename T>
void check_uniform_is_exact() {
  const Dataset d = test::synthetic_dataset(700, 3, 5);
  const CsrGraph g = apply_self_loops(d.graph, SelfLoops::kAdd);
  Matrix<T> alpha(g.num_edges(), 3);
  for (NodeId i = 0; i < g.num_nodes(); ++i) {
    for (EdgeId p = g.row_ptr()[i]; p < g.row_ptr()[i + 1]; ++p) {
      alpha.row(p).setConstant(T(1) / static_cast<T>(g.in_degree(i)));
    }
  }
  const NodeAttentionStats s = node_attention_stats<T>(g, alpha, d.labels);
  for (NodeId i = 0; i < g.num_nodes(); ++i) {
    for (int c = 0; c < 3; ++c) {
      ASSERT_EQ(s.entropy(i, c), s.uniform_entropy[i]) << "node " << i;
      ASSERT_EQ(s.same_label(i, c), s.uniform_share[i]) << "node " << i;
    }
  }
  const AttentionSummary sum = summarize_attention(s, 0, 3, &d.test);
  EXPECT_EQ(sum.entropy_ratio, 1.0);
  EXPECT_EQ(sum.same_label, sum.uniform_share);
  EXPECT_GT(sum.uniform_entropy, 0.5);  // the test is not vacuous: real neighbourhoods
}

TEST(AttentionStats, UniformWeightsMatchTheirBaselineExactlyDouble) {
  check_uniform_is_exact<double>();
}
TEST(AttentionStats, UniformWeightsMatchTheirBaselineExactlyFloat) {
  check_uniform_is_exact<float>();
}

GatModelOptions small_model(const Dataset& d) {
  GatModelOptions o;
  o.in_features = d.num_features();
  o.num_classes = d.num_classes();
  o.hidden = 4;
  o.heads = 3;
  o.out_heads = 2;
  return o;
}

// The override kUniform of the layers gives the same exact agreement through a whole model.
TEST(AttentionStats, UniformOverrideOfAModelHasRatioOne) {
  const Dataset d = test::synthetic_dataset(400, 3, 7);
  const GatModel<float> model(small_model(d), 2);
  ForwardContext ctx;
  ctx.attention_override = AttentionOverride::kUniform;
  const ModelAttention att = model_attention(model, d, ctx);
  ASSERT_EQ(att.alpha.size(), 2u);
  for (std::size_t l = 0; l < att.alpha.size(); ++l) {
    const NodeAttentionStats s = node_attention_stats<float>(att.graph, att.alpha[l], d.labels);
    const AttentionSummary sum = summarize_attention(s, 0, att.alpha[l].cols());
    EXPECT_EQ(sum.entropy_ratio, 1.0) << "layer " << l;
    EXPECT_EQ(sum.same_label, sum.uniform_share) << "layer " << l;
  }
}

// kPermute reassigns each node's weights among its in-edges: the entropy of every node stays
// (a permutation-invariant function; only the summation order changes), the weights do not.
TEST(AttentionStats, PermutedWeightsKeepEachNodesEntropy) {
  const Dataset d = test::synthetic_dataset(400, 3, 8);
  GatModel<float> model(small_model(d), 2);
  TrainOptions t;
  t.epochs = 10;
  train_node_classifier(model, d, t);
  ForwardContext ctx;
  ctx.attention_override = AttentionOverride::kPermute;
  ctx.seed = 3;
  const ModelAttention learned = model_attention(model, d);
  const ModelAttention permuted = model_attention(model, d, ctx);
  // Layer 0 only: the layers after it see different inputs once the first one is permuted.
  EXPECT_FALSE(learned.alpha[0] == permuted.alpha[0]);
  const NodeAttentionStats a =
      node_attention_stats<float>(learned.graph, learned.alpha[0], d.labels);
  const NodeAttentionStats b =
      node_attention_stats<float>(permuted.graph, permuted.alpha[0], d.labels);
  EXPECT_LT((a.entropy - b.entropy).cwiseAbs().maxCoeff(), 1e-6);
  EXPECT_GT((a.same_label - b.same_label).cwiseAbs().maxCoeff(), 1e-4);
}

// A multi-dimensional layer has H·F columns; head h owns F of them.
TEST(AttentionStats, MultiDimensionalHeadsOwnTheirChannels) {
  const Dataset d = test::synthetic_dataset(100, 3, 9);
  GatModelOptions o = small_model(d);
  o.multi_dim = true;
  const GatModel<float> model(o, 1);
  const ModelAttention att = model_attention(model, d);
  ASSERT_EQ(att.alpha[0].cols(), 12);  // 3 heads × 4 features
  ASSERT_EQ(att.alpha[1].cols(), 6);   // 2 heads × 3 classes
  EXPECT_EQ(head_columns(att, 0, 1), (std::pair<Eigen::Index, Eigen::Index>{4, 8}));
  EXPECT_EQ(head_columns(att, 1, 1), (std::pair<Eigen::Index, Eigen::Index>{3, 6}));
  // A head's weights averaged over its channels still sum to one per node.
  for (NodeId i = 0; i < att.graph.num_nodes(); ++i) {
    double sum = 0;
    for (const auto& e : node_neighbourhood<float>(att.graph, att.alpha[0], i, 4, 8)) {
      sum += e.weight;
    }
    EXPECT_NEAR(sum, 1.0, 1e-5) << "node " << i;
  }
}

// Trains a small model for a few epochs, lists every weight and sums them per (layer, column,
// destination): each sum is one (the required acceptance test of the edge export).
void check_export_sums_to_one(GatModelOptions o, const Dataset& d) {
  GatModel<float> model(o, 4);
  TrainOptions t;
  t.epochs = 4;
  t.seed = 1;
  train_node_classifier(model, d, t);
  const ModelAttention att = model_attention(model, d);
  const CsrGraph& g = att.graph;
  ASSERT_EQ(att.alpha.size(), static_cast<std::size_t>(o.layers));
  std::map<std::tuple<int, int, NodeId>, double> sums;
  std::int64_t rows = 0, expected_rows = 0;
  for (std::size_t l = 0; l < att.alpha.size(); ++l) {
    expected_rows += g.num_edges() * att.alpha[l].cols();
    EXPECT_EQ(att.alpha[l].cols(), model.layers()[l].attention_width());
  }
  int last_layer = 0, last_column = 0;
  EdgeId last_slot = -1;
  for_each_edge_attention(att, [&](const EdgeAttention& e) {
    ++rows;
    // Ordered by layer, column, slot.
    const bool ordered =
        std::tie(e.layer, e.column, e.slot) > std::tie(last_layer, last_column, last_slot);
    EXPECT_TRUE(ordered) << "row " << rows;
    last_layer = e.layer, last_column = e.column, last_slot = e.slot;
    EXPECT_EQ(e.source, g.src()[e.slot]);
    EXPECT_TRUE(g.row_ptr()[e.destination] <= e.slot && e.slot < g.row_ptr()[e.destination + 1]);
    EXPECT_EQ(e.self_loop, e.source == e.destination);
    EXPECT_GE(e.weight, 0.0f);
    sums[{e.layer, e.column, e.destination}] += e.weight;
  });
  EXPECT_EQ(rows, expected_rows);
  for (const auto& [key, sum] : sums) {
    EXPECT_NEAR(sum, 1.0, 1e-5) << "layer " << std::get<0>(key) << " head " << std::get<1>(key)
                                << " node " << std::get<2>(key);
  }
  // Every (layer, column, node with in-edges) appeared.
  std::int64_t with_edges = 0;
  for (NodeId i = 0; i < g.num_nodes(); ++i) with_edges += g.in_degree(i) > 0;
  std::int64_t keys = 0;
  for (const auto& a : att.alpha) keys += with_edges * a.cols();
  EXPECT_EQ(static_cast<std::int64_t>(sums.size()), keys);
}

TEST(AttentionExport, SoftmaxWeightsSumToOne) {
  const Dataset d = test::synthetic_dataset(300, 3, 11);
  check_export_sums_to_one(small_model(d), d);
}

TEST(AttentionExport, SparsemaxWeightsSumToOne) {
  const Dataset d = test::synthetic_dataset(300, 3, 12);
  GatModelOptions o = small_model(d);
  o.align = Alignment::kSparsemax;
  check_export_sums_to_one(o, d);
}

TEST(AttentionExport, MultiDimensionalWeightsSumToOne) {
  const Dataset d = test::synthetic_dataset(300, 3, 13);
  GatModelOptions o = small_model(d);
  o.multi_dim = true;
  check_export_sums_to_one(o, d);
}

TEST(AttentionExport, HardAndLocalWeightsSumToOne) {
  const Dataset d = test::synthetic_dataset(300, 3, 14);
  GatModelOptions o = small_model(d);
  o.align = Alignment::kHard;
  check_export_sums_to_one(o, d);
  o.align = Alignment::kLocal;
  o.top_k = 2;
  check_export_sums_to_one(o, d);
}

// Without added self loops some nodes have no in-edges: they get no rows and no statistics.
TEST(AttentionExport, NodesWithoutInEdgesAreSkipped) {
  const Dataset d = test::synthetic_dataset(300, 3, 15);
  GatModelOptions o = small_model(d);
  o.self_loops = SelfLoops::kRemove;
  const GatModel<float> model(o, 1);
  const ModelAttention att = model_attention(model, d);
  std::int64_t isolated = 0;
  for (NodeId i = 0; i < att.graph.num_nodes(); ++i) isolated += att.graph.in_degree(i) == 0;
  ASSERT_GT(isolated, 0) << "the synthetic graph has no node without in-edges";
  check_export_sums_to_one(o, d);
  const NodeAttentionStats s = node_attention_stats<float>(att.graph, att.alpha[0], d.labels);
  const AttentionSummary sum = summarize_attention(s, 0, 1);
  EXPECT_EQ(sum.skipped, isolated);
  EXPECT_EQ(sum.nodes + sum.skipped, att.graph.num_nodes());
}

// A dense-attention model is analysed through a sparse copy: the same weights and logits as the
// sparse model with the same parameters.
TEST(AttentionExport, DenseModelGivesTheSparseWeights) {
  const Dataset d = test::synthetic_dataset(200, 3, 16);
  GatModelOptions o = small_model(d);
  const GatModel<float> sparse(o, 6);
  o.attention = AttentionMode::kDense;
  const GatModel<float> dense(o, 6);
  const ModelAttention a = model_attention(sparse, d), b = model_attention(dense, d);
  ASSERT_EQ(a.alpha.size(), b.alpha.size());
  for (std::size_t l = 0; l < a.alpha.size(); ++l) EXPECT_TRUE(a.alpha[l] == b.alpha[l]);
  EXPECT_TRUE(a.logits == b.logits);
  EXPECT_TRUE(a.logits.isApprox(evaluate(dense, d).logits, 1e-5f));
}

// Statistics are computed per node in fixed chunks: identical at 1 and 2 threads.
TEST(AttentionStats, BitIdenticalAtOneAndTwoThreads) {
  const Dataset d = test::synthetic_dataset(1200, 4, 17);
  const GatModel<float> model(small_model(d), 3);
  const ModelAttention att = model_attention(model, d);
  const int before = num_threads();
  set_num_threads(1);
  const NodeAttentionStats one = node_attention_stats<float>(att.graph, att.alpha[0], d.labels);
  set_num_threads(2);
  const NodeAttentionStats two = node_attention_stats<float>(att.graph, att.alpha[0], d.labels);
  set_num_threads(before);
  EXPECT_TRUE(one.entropy == two.entropy);
  EXPECT_TRUE(one.same_label == two.same_label);
  EXPECT_EQ(one.uniform_entropy, two.uniform_entropy);
}

// A model whose layers already average (Alignment::kUniform) loses nothing to the uniform
// override, nor to permutations (permuting equal weights changes nothing).
TEST(AttentionAblation, UniformAlignmentEqualsLearned) {
  const Dataset d = test::synthetic_dataset(400, 3, 21);
  GatModelOptions o = small_model(d);
  o.align = Alignment::kUniform;
  GatModel<float> model(o, 5);
  TrainOptions t;
  t.epochs = 20;
  train_node_classifier(model, d, t);
  const AttentionAblation a = attention_ablation(model, d, 3, 7);
  EXPECT_GT(a.learned, 0.0);
  EXPECT_EQ(a.uniform, a.learned);
  ASSERT_EQ(a.permuted.size(), 3u);
  for (const double p : a.permuted) EXPECT_EQ(p, a.learned);
  EXPECT_EQ(a.permuted_mean, a.learned);
  EXPECT_EQ(a.permuted_std, 0.0);
  EXPECT_EQ(a.first_seed, 7u);
}

// With learned attention: the numbers are accuracies, the mean and sample deviation are those of
// the list, the learned number is evaluate()'s, and the same call gives the same result.
TEST(AttentionAblation, LearnedModelReportsConsistentNumbers) {
  const Dataset d = test::synthetic_dataset(400, 3, 22);
  GatModel<float> model(small_model(d), 5);
  TrainOptions t;
  t.epochs = 20;
  train_node_classifier(model, d, t);
  const AttentionAblation a = attention_ablation(model, d, 4, 100);
  EXPECT_EQ(a.learned, evaluate(model, d).test_acc);
  ASSERT_EQ(a.permuted.size(), 4u);
  double mean = 0;
  for (const double p : a.permuted) {
    EXPECT_GE(p, 0.0);
    EXPECT_LE(p, 1.0);
    mean += p / 4;
  }
  EXPECT_NEAR(a.permuted_mean, mean, 1e-12);
  double var = 0;
  for (const double p : a.permuted) var += (p - mean) * (p - mean) / 3;
  EXPECT_NEAR(a.permuted_std, std::sqrt(var), 1e-12);
  const AttentionAblation again = attention_ablation(model, d, 4, 100);
  EXPECT_EQ(again.permuted, a.permuted);
  EXPECT_EQ(again.uniform, a.uniform);
  // One permutation: no deviation.
  EXPECT_EQ(attention_ablation(model, d, 1, 100).permuted_std, 0.0);
}

TEST(AttentionStats, RejectsBadArguments) {
  const CsrGraph g = drawn_graph();
  const Matrix<double> alpha = drawn_alpha<double>(g);
  EXPECT_THROW(node_attention_stats<double>(g, alpha.topRows(5), kLabels), Error);
  EXPECT_THROW(node_attention_stats<double>(g, alpha, {0, 1}), Error);
  const NodeAttentionStats s = node_attention_stats<double>(g, alpha, kLabels);
  EXPECT_THROW(summarize_attention(s, 0, 3), Error);
  EXPECT_THROW(summarize_attention(s, 1, 1), Error);
  const std::vector<NodeId> bad = {4};
  EXPECT_THROW(summarize_attention(s, 0, 1, &bad), Error);
  EXPECT_THROW(node_neighbourhood<double>(g, alpha, 4, 0, 1), Error);
  EXPECT_THROW(node_neighbourhood<double>(g, alpha, -1, 0, 1), Error);

  const Dataset d = test::synthetic_dataset(100, 3, 23);
  const GatModel<float> model(small_model(d), 1);
  ForwardContext training;
  training.training = true;
  EXPECT_THROW(model_attention(model, d, training), Error);
  const ModelAttention att = model_attention(model, d);
  EXPECT_THROW(head_columns(att, 2, 0), Error);
  EXPECT_THROW(head_columns(att, 0, 3), Error);
  EXPECT_EQ(head_columns(att, 0, 2), (std::pair<Eigen::Index, Eigen::Index>{2, 3}));
  EXPECT_THROW(attention_ablation(model, d, 0), Error);
  Dataset no_test = d;
  no_test.test.clear();
  EXPECT_THROW(attention_ablation(model, no_test, 2), Error);
}

}  // namespace
}  // namespace gat
