// GraphClassifier: finite-difference checks of every parameter and the node input through
// GAT layers with edge features, pooling and the classifier (double precision), for each
// readout; shapes and errors.

#include "gat/layers/graph_classifier.hpp"

#include <gtest/gtest.h>

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

void check_gradients(PoolKind pool, std::int64_t d, bool training) {
  const Batch b = small_batch();
  GraphClassifierOptions o = small_options(pool, d);
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

TEST(GraphClassifier, AttentionWeightsSumToOnePerGraph) {
  const Batch b = small_batch();
  GraphClassifier<float> model(small_options(PoolKind::kAttention, 2), 1);
  const Matrix<float> xe = Matrix<float>::Ones(b.graph.num_edges(), 2);
  const LayerGraph<float> g = model.prepare_graph(b.graph, xe);
  GraphClassifierCache<float> cache;
  const Matrix<float> x = Matrix<float>::Ones(8, 3);
  model.forward(g, x, b.offsets, cache, {});
  const auto& beta = cache.pool.attention.beta;
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
  o.layers = 0;
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
