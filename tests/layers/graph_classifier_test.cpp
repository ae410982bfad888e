// GraphClassifier: finite-difference checks of every parameter and the node input through
// GAT layers with edge features, pooling and the classifier (double precision), for each
// readout; shapes and errors.

#include "gat/layers/graph_classifier.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "gat/core/error.hpp"
#include "gat/graph/build.hpp"
#include "support/gradcheck.hpp"

namespace gat {
namespace {

using test::MatrixD;
using test::random_matrix;
using test::weighted_sum;

// A batch of three graphs: a triangle 0-1-2, a single node 3, and a path 4-5-6-7 with a
// self loop on 5 — every edge stored in both directions.
struct Batch {
  CsrGraph graph;
  std::vector<EdgeId> offsets{0, 3, 4, 8};
};
Batch small_batch() {
  const std::vector<NodeId> src{0, 1, 2, 4, 5, 6, 5};
  const std::vector<NodeId> dst{1, 2, 0, 5, 6, 7, 5};
  BuildOptions b;
  b.symmetrize = true;
  return {build_csr(8, src, dst, b)};
}

GraphClassifierOptions small_options(PoolKind pool, std::int64_t d) {
  GraphClassifierOptions o;
  o.in_features = 3;
  o.edge_features = d;
  o.num_classes = 3;
  o.layers = 2;
  o.hidden = 2;
  o.heads = 2;
  o.pool = pool;
  o.gate_hidden = pool == PoolKind::kAttention ? 3 : 0;
  return o;
}

// What a test changes from small_options: the architecture of the readout and the head.
struct Shape {
  int layers = 2;
  bool jumping_knowledge = false;
  std::int64_t mlp_hidden = 0;
  double mlp_dropout = 0.0;
  ScoreFunction score = ScoreFunction::kGat;
  Alignment align = Alignment::kSoftmax;
};

void check_gradients(PoolKind pool, std::int64_t d, bool training, Shape shape = {}) {
  const Batch b = small_batch();
  GraphClassifierOptions o = small_options(pool, d);
  o.layers = shape.layers;
  o.jumping_knowledge = shape.jumping_knowledge;
  o.mlp_hidden = shape.mlp_hidden;
  o.mlp_dropout = training ? shape.mlp_dropout : 0.0;
  o.score = shape.score;
  o.align = shape.align;
  o.dropout = training ? 0.2 : 0.0;
  o.attention_dropout = training ? 0.2 : 0.0;
  GraphClassifier<double> model(o, 3);
  for (auto* p : model.parameters()) {
    p->value = random_matrix(p->value.rows(), p->value.cols(), 11, -0.8, 0.8);
  }
  const LayerGraph<double> g =
      model.prepare_graph(b.graph, random_matrix(b.graph.num_edges(), d, 12, 0, 1));
  MatrixD x = random_matrix(8, 3, 13);
  const ForwardContext ctx{training, 5, 1};
  GraphClassifierCache<double> cache;
  const MatrixD logits = model.forward(g, x, b.offsets, cache, ctx);
  ASSERT_EQ(logits.rows(), 3);
  ASSERT_EQ(logits.cols(), 3);
  const MatrixD w = random_matrix(3, 3, 14);
  MatrixD grad_x;
  model.backward(g, b.offsets, cache, w, &grad_x);
  auto loss = [&] {
    GraphClassifierCache<double> scratch;
    return weighted_sum(model.forward(g, x, b.offsets, scratch, ctx), w);
  };
  for (auto* p : model.parameters()) {
    const MatrixD analytic = p->grad;
    test::expect_gradient(p->name, p->value, analytic, loss);
  }
  test::expect_gradient("input", x, grad_x, loss);
}

TEST(GraphClassifier, GradientAttentionPoolWithEdgeFeatures) {
  check_gradients(PoolKind::kAttention, 2, false);
}
TEST(GraphClassifier, GradientAttentionPoolWithDropout) {
  check_gradients(PoolKind::kAttention, 2, true);
}
TEST(GraphClassifier, GradientMeanPoolWithoutEdgeFeatures) {
  check_gradients(PoolKind::kMean, 0, false);
}
TEST(GraphClassifier, GradientSumPool) { check_gradients(PoolKind::kSum, 2, false); }
TEST(GraphClassifier, GradientMaxPool) { check_gradients(PoolKind::kMax, 2, false); }

// Jumping knowledge: every h_0 .. h_L read out by its own pool; the gradient of h_l comes from
// the layer above and from its readout.
TEST(GraphClassifier, GradientJumpingKnowledgeAttentionPool) {
  check_gradients(PoolKind::kAttention, 2, true, {2, true, 0, 0.0});
}
TEST(GraphClassifier, GradientJumpingKnowledgeSumPoolWithMlpHead) {
  check_gradients(PoolKind::kSum, 2, true, {3, true, 4, 0.3});
}
TEST(GraphClassifier, GradientMlpHeadWithDropout) {
  check_gradients(PoolKind::kMean, 0, true, {1, false, 3, 0.4});
}
// Layers that are not the paper's: GATv2 scores (without edge features, which enter the gat
// score only), and weights that sum to the in-degree (Alignment::kCardinality), with dropout
// and jumping knowledge, and with edge features.
TEST(GraphClassifier, GradientGatV2CardinalityLayers) {
  check_gradients(PoolKind::kSum, 0, true,
                  {2, true, 3, 0.2, ScoreFunction::kGatV2, Alignment::kCardinality});
  check_gradients(PoolKind::kAttention, 2, false,
                  {2, false, 0, 0.0, ScoreFunction::kGat, Alignment::kCardinality});
}
// No GAT layer: the structure-agnostic baseline (sum of the input features, then an MLP), and
// attention pooling straight over the input.
TEST(GraphClassifier, GradientBaselineWithoutLayers) {
  check_gradients(PoolKind::kSum, 0, true, {0, false, 4, 0.3});
  check_gradients(PoolKind::kAttention, 2, false, {0, true, 0, 0.0});
}

// The head's dropout acts in training only, and a different step draws a different mask.
TEST(GraphClassifier, HeadDropoutOnlyInTraining) {
  const Batch b = small_batch();
  GraphClassifierOptions o = small_options(PoolKind::kSum, 0);
  o.mlp_hidden = 4;
  o.mlp_dropout = 0.5;
  GraphClassifier<float> model(o, 2);
  const LayerGraph<float> g = model.prepare_graph(b.graph, Matrix<float>(b.graph.num_edges(), 0));
  const Matrix<float> x = Matrix<float>::Ones(8, 3);
  GraphClassifierCache<float> c1, c2, c3;
  const Matrix<float> eval1 = model.forward(g, x, b.offsets, c1, {false, 1, 1});
  const Matrix<float> eval2 = model.forward(g, x, b.offsets, c2, {false, 1, 2});
  EXPECT_TRUE(eval1 == eval2);
  const Matrix<float> train1 = model.forward(g, x, b.offsets, c1, {true, 1, 1});
  const Matrix<float> train2 = model.forward(g, x, b.offsets, c2, {true, 1, 2});
  const Matrix<float> again = model.forward(g, x, b.offsets, c3, {true, 1, 1});
  EXPECT_TRUE(train1 == again);
  EXPECT_FALSE(train1 == train2);
  EXPECT_FALSE(train1 == eval1);
}

// Without jumping knowledge or an mlp the parameters and their initial values are those of the
// model before either option existed: readout "pool.*", head "classifier.*".
TEST(GraphClassifier, ParameterNames) {
  GraphClassifierOptions o = small_options(PoolKind::kAttention, 2);
  GraphClassifier<float> plain(o, 4);
  std::vector<std::string> names;
  for (auto* p : plain.parameters()) names.push_back(p->name);
  EXPECT_EQ(names.back(), "classifier.bias");
  EXPECT_NE(std::find(names.begin(), names.end(), "pool.gate.weight"), names.end());
  o.jumping_knowledge = true;
  o.mlp_hidden = 5;
  GraphClassifier<float> jk(o, 4);
  names.clear();
  for (auto* p : jk.parameters()) names.push_back(p->name);
  for (const char* want : {"pools.0.gate.weight", "pools.1.gate.weight", "pools.2.gate.weight",
                           "mlp.weight", "mlp.bias"}) {
    EXPECT_NE(std::find(names.begin(), names.end(), want), names.end()) << want;
  }
  EXPECT_EQ(jk.readout_width(), 3 + 4 + 4);
}

TEST(GraphClassifier, AttentionWeightsSumToOnePerGraph) {
  const Batch b = small_batch();
  GraphClassifier<float> model(small_options(PoolKind::kAttention, 2), 1);
  const Matrix<float> xe = Matrix<float>::Ones(b.graph.num_edges(), 2);
  const LayerGraph<float> g = model.prepare_graph(b.graph, xe);
  GraphClassifierCache<float> cache;
  const Matrix<float> x = Matrix<float>::Ones(8, 3);
  model.forward(g, x, b.offsets, cache, {});
  const auto& beta = cache.pools.front().attention.beta;
  ASSERT_EQ(beta.rows(), 8);
  for (std::size_t s = 0; s + 1 < b.offsets.size(); ++s) {
    float sum = 0;
    for (EdgeId i = b.offsets[s]; i < b.offsets[s + 1]; ++i) sum += beta(i, 0);
    EXPECT_NEAR(sum, 1.0f, 1e-6f) << "graph " << s;
  }
  EXPECT_EQ(beta(3, 0), 1.0f);  // the single-node graph
}

TEST(GraphClassifier, RejectsBadOptionsAndOffsets) {
  GraphClassifierOptions o = small_options(PoolKind::kMean, 0);
  o.num_classes = 1;
  EXPECT_THROW(GraphClassifier<float>(o, 0), Error);
  o = small_options(PoolKind::kMean, 0);
  o.layers = -1;
  EXPECT_THROW(GraphClassifier<float>(o, 0), Error);
  o = small_options(PoolKind::kMean, 0);
  o.mlp_hidden = -2;
  EXPECT_THROW(GraphClassifier<float>(o, 0), Error);
  o = small_options(PoolKind::kMean, 0);
  o.mlp_dropout = 1.0;
  EXPECT_THROW(GraphClassifier<float>(o, 0), Error);
  const Batch b = small_batch();
  GraphClassifier<float> model(small_options(PoolKind::kMean, 0), 0);
  const LayerGraph<float> g = model.prepare_graph(b.graph, Matrix<float>(b.graph.num_edges(), 0));
  GraphClassifierCache<float> cache;
  const Matrix<float> x = Matrix<float>::Ones(8, 3);
  EXPECT_THROW(model.forward(g, x, {0, 3, 4}, cache, {}), Error);
}

}  // namespace
}  // namespace gat
