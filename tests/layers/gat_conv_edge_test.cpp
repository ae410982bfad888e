// GatConv with edge features (PyG's edge_dim): self-loop fill of edge features, a
// hand-computed score, equivalence with the plain layer, and finite-difference checks of
// W_e, a_edge and the edge features themselves (double precision).

#include <gtest/gtest.h>

#include <vector>

#include "gat/core/error.hpp"
#include "gat/graph/build.hpp"
#include "gat/layers/gat_conv.hpp"
#include "support/gradcheck.hpp"
#include "support/graphs.hpp"

namespace gat {
namespace {

using test::MatrixD;
using test::random_matrix;
using test::weighted_sum;

//   0 ──▶ 1 ◀── 2 ↺        slots by destination: 1 ← {0, 2}, 2 ← {2}; D = 2
// edge features: 0→1: (1, 0)   2→1: (3, 4)   2→2: (9, 9)
CsrGraph fill_graph() { return CsrGraph(3, {0, 0, 2, 3}, {0, 2, 2}); }
MatrixD fill_features() {
  MatrixD x(3, 2);
  x << 1, 0,  //
      3, 4,   //
      9, 9;
  return x;
}

TEST(CarryEdgeFeatures, MeanFillOfAddedLoops) {
  // kAdd removes 2→2 and adds one loop per node. New rows: 0 ← {0}, 1 ← {0, 1, 2}, 2 ← {2}.
  // Loop fills are the mean of the node's non-loop in-edges: node 0 has none → (0, 0);
  // node 1: ((1, 0) + (3, 4)) / 2 = (2, 2); node 2 only had its own loop → (0, 0).
  const CsrGraph g = fill_graph();
  std::vector<EdgeId> origin;
  const CsrGraph h = apply_self_loops(g, SelfLoops::kAdd, &origin);
  ASSERT_EQ(h.row_ptr(), (std::vector<EdgeId>{0, 1, 4, 5}));
  ASSERT_EQ(h.src(), (std::vector<NodeId>{0, 0, 1, 2, 2}));
  EXPECT_EQ(origin, (std::vector<EdgeId>{-1, 0, -1, 1, -1}));
  const MatrixD out = carry_edge_features<double>(g, h, origin, fill_features(), {});
  MatrixD expected(5, 2);
  expected << 0, 0,  //
      1, 0,          //
      2, 2,          //
      3, 4,          //
      0, 0;
  test::expect_matrix_near(out, expected, 0.0);
}

TEST(CarryEdgeFeatures, ConstantFillAndKeep) {
  const CsrGraph g = fill_graph();
  std::vector<EdgeId> origin;
  const CsrGraph h = apply_self_loops(g, SelfLoops::kAdd, &origin);
  const MatrixD out =
      carry_edge_features<double>(g, h, origin, fill_features(), {EdgeFill::kConstant, -1.5});
  EXPECT_EQ(out.row(0), (Eigen::RowVector2d(-1.5, -1.5)));
  EXPECT_EQ(out.row(2), (Eigen::RowVector2d(-1.5, -1.5)));
  EXPECT_EQ(out.row(3), (Eigen::RowVector2d(3, 4)));
  // kKeep leaves the graph and the features as they are; kRemove drops the loop's row.
  const CsrGraph kept = apply_self_loops(g, SelfLoops::kKeep, &origin);
  EXPECT_EQ(carry_edge_features<double>(g, kept, origin, fill_features(), {}), fill_features());
  const CsrGraph removed = apply_self_loops(g, SelfLoops::kRemove, &origin);
  EXPECT_EQ(carry_edge_features<double>(g, removed, origin, fill_features(), {}),
            fill_features().topRows(2));
  EXPECT_THROW(carry_edge_features<double>(g, h, origin, fill_features().topRows(2), {}), Error);
}

GatConvOptions edge_options(int heads, bool concat, std::int64_t d) {
  GatConvOptions o;
  o.in_features = 3;
  o.out_features = 2;
  o.heads = heads;
  o.concat = concat;
  o.edge_features = d;
  return o;
}

// One head, F = 1, D = 1 on 0 ──▶ 1 ◀── 2 (no self loops): W = [1, 0, 0]ᵀ so z = x[:, 0];
// a_src = 1, a_dst = 0, W_e = 1, a_edge = 2: the score of slot p = (j → i) is
// LeakyReLU(z_j + 2·x_p). Node 1: z_0 = 1, x = 0.5 → 2; z_2 = -1, x = -1 → -3 → -0.6.
// α = softmax(2, -0.6), out_1 = α_0·1 + α_2·(-1).
TEST(GatConvEdge, ForwardMatchesHandComputation) {
  GatConvOptions o = edge_options(1, true, 1);
  o.out_features = 1;
  o.self_loops = SelfLoops::kKeep;
  o.bias = false;
  GatConv<double> conv(o, 0, 0);
  conv.parameter("weight").value << 1, 0, 0;
  conv.parameter("att_src").value << 1;
  conv.parameter("att_dst").value << 0;
  conv.parameter("edge_weight").value << 1;
  conv.parameter("att_edge").value << 2;
  const CsrGraph g(3, {0, 0, 2, 2}, {0, 2});
  MatrixD x(3, 3);
  x << 1, 5, 5,  //
      2, 5, 5,   //
      -1, 5, 5;
  MatrixD xe(2, 1);
  xe << 0.5, -1;
  GatConvCache<double> cache;
  const MatrixD out = conv.forward(g, x, cache, ForwardContext{}, &xe);
  const double a0 = std::exp(2.0) / (std::exp(2.0) + std::exp(-0.6));
  EXPECT_NEAR(out(1, 0), a0 * 1 + (1 - a0) * -1, 1e-14);
  EXPECT_EQ(out(0, 0), 0.0);  // no in-edges
  EXPECT_EQ(out(2, 0), 0.0);
}

// With a_edge = 0 the edge term vanishes: the layer equals the plain one with the same
// weights bit for bit; and a D = 0 layer is the plain layer whatever edge matrix is given.
TEST(GatConvEdge, ZeroEdgeTermAndZeroSizeEqualThePlainLayer) {
  const CsrGraph graph = test::random_graph(5);
  const NodeId n = graph.num_nodes();
  // The graph as it is, self loops as given: the layers' policy says so.
  GatConvOptions plain_options = edge_options(3, true, 0);
  GatConvOptions edged_options = edge_options(3, true, 4);
  plain_options.self_loops = edged_options.self_loops = SelfLoops::kKeep;
  GatConv<double> plain(plain_options, 5, 1);
  GatConv<double> edged(edged_options, 5, 1);
  for (auto* p : plain.parameters()) p->value = random_matrix(p->value.rows(), p->value.cols(), 9);
  edged.parameter("weight").value = plain.parameter("weight").value;
  edged.parameter("att_src").value = plain.parameter("att_src").value;
  edged.parameter("att_dst").value = plain.parameter("att_dst").value;
  edged.parameter("bias").value = plain.parameter("bias").value;
  edged.parameter("edge_weight").value = random_matrix(4, 6, 10);
  edged.parameter("att_edge").value.setZero();
  const MatrixD x = random_matrix(n, 3, 11);
  const MatrixD xe = random_matrix(graph.num_edges(), 4, 12);
  const MatrixD no_edges(graph.num_edges(), 0);
  GatConvCache<double> a, b, c;
  const ForwardContext ctx{};
  const MatrixD out_plain = plain.forward(graph, x, a, ctx);
  EXPECT_TRUE(out_plain == edged.forward(graph, x, b, ctx, &xe));
  EXPECT_TRUE(out_plain == plain.forward(graph, x, c, ctx, &no_edges));
  // The D = 0 layer has no edge parameters.
  EXPECT_EQ(plain.parameters().size(), 4u);
  EXPECT_EQ(edged.parameters().size(), 6u);
}

TEST(GatConvEdge, RejectsMissingOrMisshapenEdgeFeatures) {
  const CsrGraph graph = test::random_graph(5);
  GatConv<double> conv(edge_options(2, true, 4), 5, 1);
  const MatrixD x = random_matrix(graph.num_nodes(), 3, 11);
  GatConvCache<double> cache;
  EXPECT_THROW(conv.forward(graph, x, cache, ForwardContext{}), Error);
  const MatrixD wrong_rows = random_matrix(graph.num_edges() + 1, 4, 1);
  EXPECT_THROW(conv.forward(graph, x, cache, ForwardContext{}, &wrong_rows), Error);
  const MatrixD wrong_cols = random_matrix(graph.num_edges(), 3, 1);
  EXPECT_THROW(conv.forward(graph, x, cache, ForwardContext{}, &wrong_cols), Error);
  EXPECT_THROW(conv.prepare_graph(graph, wrong_cols), Error);
  GatConvOptions dense = edge_options(2, true, 4);
  dense.attention = AttentionMode::kDense;
  EXPECT_THROW(GatConv<double>(dense, 0, 0), Error);
}

struct EdgeGradCase {
  const char* name;
  int heads;
  bool concat;
  SelfLoops loops;
  bool training;
};

class GatConvEdgeGradient : public ::testing::TestWithParam<EdgeGradCase> {};

// Every parameter (W_e and a_edge included), the node input and the edge features against
// central differences of L = Σ W ⊙ out, on a prepared graph whose added loops carry the
// mean fill.
TEST_P(GatConvEdgeGradient, MatchesFiniteDifferences) {
  const EdgeGradCase c = GetParam();
  const CsrGraph raw = test::check_graph();
  const NodeId n = raw.num_nodes();
  GatConvOptions o = edge_options(c.heads, c.concat, 3);
  o.self_loops = c.loops;
  o.input_dropout = c.training ? 0.3 : 0.0;
  o.attention_dropout = c.training ? 0.3 : 0.0;
  o.feature_dropout = c.training ? 0.3 : 0.0;
  GatConv<double> conv(o, 5, 1);
  for (auto* p : conv.parameters()) p->value = random_matrix(p->value.rows(), p->value.cols(), 17);
  const LayerGraph<double> lg = conv.prepare_graph(raw, random_matrix(raw.num_edges(), 3, 18));
  MatrixD xe = lg.edge_features;
  MatrixD x = random_matrix(n, 3, 3);
  const ForwardContext ctx{c.training, 42, 3};
  const MatrixD w = random_matrix(n, conv.out_width(), 4);

  GatConvCache<double> cache;
  conv.forward(lg.graph, x, cache, ctx, &xe);
  MatrixD grad_x, grad_xe;
  conv.backward(lg.graph, cache, w, &grad_x, &grad_xe);
  auto loss = [&] {
    GatConvCache<double> scratch;
    return weighted_sum(conv.forward(lg.graph, x, scratch, ctx, &xe), w);
  };
  for (auto* p : conv.parameters()) {
    const MatrixD analytic = p->grad;
    test::expect_gradient(p->name, p->value, analytic, loss);
  }
  test::expect_gradient("input", x, grad_x, loss);
  test::expect_gradient("edge features", xe, grad_xe, loss);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, GatConvEdgeGradient,
    ::testing::Values(EdgeGradCase{"OneHead", 1, true, SelfLoops::kAdd, false},
                      EdgeGradCase{"ThreeHeadsConcat", 3, true, SelfLoops::kAdd, false},
                      EdgeGradCase{"ThreeHeadsMean", 3, false, SelfLoops::kAdd, false},
                      EdgeGradCase{"LoopsAsGiven", 2, true, SelfLoops::kKeep, false},
                      EdgeGradCase{"WithDropout", 3, true, SelfLoops::kAdd, true}),
    [](const auto& param_info) { return std::string(param_info.param.name); });

}  // namespace
}  // namespace gat
