// GatConv: hand-computed forward values, head structure, edge cases, and finite-difference
// gradient checks of every parameter and of the input (double precision).

#include "gat/layers/gat_conv.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "gat/core/error.hpp"
#include "gat/core/threads.hpp"
#include "gat/graph/build.hpp"
#include "support/gradcheck.hpp"

namespace gat {
namespace {

using test::MatrixD;
using test::random_matrix;
using test::weighted_sum;

// A random graph on n nodes with the awkward cases: an isolated node (n - 1, no edges at
// all), a duplicate edge, and a self loop.
CsrGraph awkward_graph(NodeId n, SelfLoops loops) {
  std::vector<NodeId> src, dst;
  const CounterRng rng(7, 0, 0, 0);
  for (int k = 0; k < 3 * n; ++k) {
    const auto a = static_cast<NodeId>(rng.bits(2 * k) % (n - 1));
    const auto b = static_cast<NodeId>(rng.bits(2 * k + 1) % (n - 1));
    src.push_back(a);
    dst.push_back(b);
  }
  src.push_back(0), dst.push_back(1);  // 0 → 1 twice at least
  src.push_back(0), dst.push_back(1);
  src.push_back(2), dst.push_back(2);  // a self loop in the data
  return apply_self_loops(build_csr(n, src, dst), loops);
}

//   Graph (self loops added):   0 ──▶ 1 ◀── 2      each node also attends to itself
// One head, F = 1, W = [1, 0]ᵀ so z = x[:, 0] = (1, 2, -1); a_src = 1, a_dst = 0, so the
// score of edge j → i is LeakyReLU(z_j). Node 1 sees j ∈ {0, 1, 2} with scores
// (1, 2, -0.2): α = softmax(1, 2, -0.2) and out_1 = Σ α_j z_j. Nodes 0 and 2 see only
// themselves: α = 1, out = z.
TEST(GatConv, ForwardMatchesHandComputation) {
  GatConvOptions o;
  o.in_features = 2;
  o.out_features = 1;
  o.heads = 1;
  GatConv<double> conv(o, 0, 0);
  conv.parameter("weight").value << 1, 0;
  conv.parameter("att_src").value << 1;
  conv.parameter("att_dst").value << 0;
  conv.parameter("bias").value << 0.5;
  const CsrGraph g = conv.prepare_graph(build_csr(3, {0, 2}, {1, 1}));
  MatrixD x(3, 2);
  x << 1, 7, 2, 7, -1, 7;
  GatConvCache<double> cache;
  const MatrixD out = conv.forward(g, x, cache, ForwardContext{});
  const double e0 = std::exp(1.0), e1 = std::exp(2.0), e2 = std::exp(-0.2);
  const double expected1 = (e0 * 1 + e1 * 2 + e2 * -1) / (e0 + e1 + e2);
  EXPECT_NEAR(out(0, 0), 1.0 + 0.5, 1e-12);
  EXPECT_NEAR(out(1, 0), expected1 + 0.5, 1e-12);
  EXPECT_NEAR(out(2, 0), -1.0 + 0.5, 1e-12);
  // The attention of node 1's row (slots in source order 0, 1, 2).
  EXPECT_NEAR(cache.attention()(g.row_ptr()[1] + 2, 0), e2 / (e0 + e1 + e2), 1e-12);
}

// With H heads concatenated, head h is exactly a one-head layer holding head h's slices of
// W, a_src and a_dst; averaging heads gives the mean of those outputs.
TEST(GatConv, HeadsAreIndependentSlices) {
  const CsrGraph g = awkward_graph(12, SelfLoops::kAdd);
  GatConvOptions o;
  o.in_features = 5;
  o.out_features = 3;
  o.heads = 4;
  o.bias = false;
  GatConv<double> multi(o, 11, 0);
  const MatrixD x = random_matrix(12, 5, 1);
  GatConvCache<double> cache;
  const MatrixD concat = multi.forward(g, x, cache, ForwardContext{});
  o.concat = false;
  GatConv<double> averaged(o, 11, 0);
  const MatrixD mean = averaged.forward(g, x, cache, ForwardContext{});
  MatrixD sum = MatrixD::Zero(12, 3);
  for (int h = 0; h < 4; ++h) {
    GatConvOptions one = o;
    one.heads = 1;
    GatConv<double> single(one, 0, 0);
    single.parameter("weight").value = multi.parameter("weight").value.middleCols(3 * h, 3);
    single.parameter("att_src").value = multi.parameter("att_src").value.row(h);
    single.parameter("att_dst").value = multi.parameter("att_dst").value.row(h);
    const MatrixD head = single.forward(g, x, cache, ForwardContext{});
    EXPECT_LT((head - concat.middleCols(3 * h, 3)).cwiseAbs().maxCoeff(), 1e-12) << "head " << h;
    sum += head;
  }
  EXPECT_LT((sum / 4 - mean).cwiseAbs().maxCoeff(), 1e-12);
}

// A node with no in-edges (self loops removed, node 11 isolated) aggregates nothing: its
// output is the bias alone, finite, and gradients stay finite.
TEST(GatConv, NodeWithoutInEdgesGetsZeros) {
  const CsrGraph g = awkward_graph(12, SelfLoops::kRemove);
  ASSERT_EQ(g.in_degree(11), 0);
  GatConvOptions o;
  o.in_features = 4;
  o.out_features = 2;
  o.heads = 3;
  o.self_loops = SelfLoops::kRemove;  // the graph's policy: node 11 keeps no in-edge at all
  GatConv<double> conv(o, 3, 0);
  conv.parameter("bias").value.setConstant(0.25);
  const MatrixD x = random_matrix(12, 4, 2);
  GatConvCache<double> cache;
  const MatrixD out = conv.forward(g, x, cache, ForwardContext{});
  EXPECT_TRUE(out.allFinite());
  EXPECT_TRUE((out.row(11).array() == 0.25).all());
  MatrixD grad_x;
  conv.backward(g, cache, MatrixD::Ones(12, 6), &grad_x);
  EXPECT_TRUE(grad_x.allFinite());
  EXPECT_TRUE(conv.parameter("weight").grad.allFinite());
}

TEST(GatConv, RejectsMismatchedShapes) {
  GatConvOptions o;
  o.in_features = 4;
  GatConv<double> conv(o, 0, 0);
  const CsrGraph g = build_csr(3, {0}, {1});
  GatConvCache<double> cache;
  const MatrixD x35 = MatrixD::Zero(3, 5), x44 = MatrixD::Zero(4, 4);
  EXPECT_THROW(conv.forward(g, x35, cache, ForwardContext{}), Error);
  EXPECT_THROW(conv.forward(g, x44, cache, ForwardContext{}), Error);
  o.attention_dropout = 1.0;
  EXPECT_THROW(GatConv<double>(o, 0, 0), Error);
}

struct GradCase {
  const char* name;
  int heads;
  bool concat;
  bool residual;
  int in_features;
  SelfLoops loops;
  bool training;  // dropout on input and attention, masks fixed by the context
};

class GatConvGradient : public ::testing::TestWithParam<GradCase> {};

// Every parameter and the input against central differences of L = Σ W ⊙ out.
TEST_P(GatConvGradient, MatchesFiniteDifferences) {
  const GradCase c = GetParam();
  const NodeId n = 9;
  const CsrGraph graph = awkward_graph(n, c.loops);
  GatConvOptions o;
  o.in_features = c.in_features;
  o.out_features = 2;
  o.heads = c.heads;
  o.concat = c.concat;
  o.residual = c.residual;
  o.negative_slope = 0.2;
  o.input_dropout = c.training ? 0.3 : 0.0;
  o.attention_dropout = c.training ? 0.3 : 0.0;
  o.feature_dropout = c.training ? 0.3 : 0.0;
  o.self_loops = c.loops;  // the policy the graph was built with
  GatConv<double> conv(o, 5, 1);
  for (auto* p : conv.parameters()) p->value = random_matrix(p->value.rows(), p->value.cols(), 17);
  MatrixD x = random_matrix(n, c.in_features, 3);
  const ForwardContext ctx{c.training, 42, 3};
  const MatrixD w = random_matrix(n, conv.out_width(), 4);

  GatConvCache<double> cache;
  conv.forward(graph, x, cache, ctx);
  MatrixD grad_x;
  conv.backward(graph, cache, w, &grad_x);
  auto loss = [&] {
    GatConvCache<double> scratch;
    return weighted_sum(conv.forward(graph, x, scratch, ctx), w);
  };
  for (auto* p : conv.parameters()) {
    const MatrixD analytic = p->grad;
    test::expect_gradient(p->name, p->value, analytic, loss);
  }
  test::expect_gradient("input", x, grad_x, loss);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, GatConvGradient,
    ::testing::Values(GradCase{"OneHead", 1, true, false, 3, SelfLoops::kAdd, false},
                      GradCase{"ThreeHeadsConcat", 3, true, false, 3, SelfLoops::kAdd, false},
                      GradCase{"ThreeHeadsMean", 3, false, false, 3, SelfLoops::kAdd, false},
                      GradCase{"NoSelfLoops", 2, true, false, 3, SelfLoops::kRemove, false},
                      GradCase{"ResidualProjected", 2, true, true, 3, SelfLoops::kAdd, false},
                      GradCase{"ResidualIdentity", 2, true, true, 4, SelfLoops::kAdd, false},
                      GradCase{"WithDropout", 3, true, false, 3, SelfLoops::kAdd, true},
                      GradCase{"MeanWithDropout", 3, false, true, 3, SelfLoops::kAdd, true}),
    [](const auto& param_info) { return std::string(param_info.param.name); });

// Sparse input: the weight gradient runs over the cached transpose Xᵀ.
TEST(GatConv, SparseInputGradientMatchesFiniteDifferences) {
  const NodeId n = 9;
  const CsrGraph graph = awkward_graph(n, SelfLoops::kAdd);
  MatrixD dense = random_matrix(n, 6, 8);
  dense = (dense.array() > 0.2).select(dense, 0.0);  // about 40 % non-zeros
  const SparseInput<double> x(from_dense(dense));
  GatConvOptions o;
  o.in_features = 6;
  o.out_features = 2;
  o.heads = 2;
  o.input_dropout = 0.4;
  o.residual = true;
  GatConv<double> conv(o, 9, 0);
  const ForwardContext ctx{true, 1, 2};
  const MatrixD w = random_matrix(n, conv.out_width(), 5);
  GatConvCache<double> cache;
  const MatrixD out_sparse = conv.forward(graph, x, cache, ctx);
  conv.backward(graph, cache, w, nullptr);
  // Same layer on the densified input, no dropout: dropout masks are keyed by position in
  // the sparse values, so compare the sparse path with itself under finite differences.
  auto loss = [&] {
    GatConvCache<double> scratch;
    return weighted_sum(conv.forward(graph, x, scratch, ctx), w);
  };
  for (auto* p : conv.parameters()) {
    const MatrixD analytic = p->grad;
    test::expect_gradient(p->name, p->value, analytic, loss);
  }
  // Without dropout the sparse and dense paths agree.
  const ForwardContext eval{};
  GatConvCache<double> a, b;
  EXPECT_LT(
      (conv.forward(graph, x, a, eval) - conv.forward(graph, dense, b, eval)).cwiseAbs().maxCoeff(),
      1e-12);
  EXPECT_TRUE(out_sparse.allFinite());
}

// The paper's layer keeps its attention weights (E, H) after inference, and in training only
// up to keep_weights_bytes (computing them again from the softmax statistics past it): the
// outputs and gradients are the same bits whichever way the backward gets them.
// With feature dropout the paper's layer past keep_weights_bytes keeps only z after dropout, and
// takes the attention vectors' gradient from the input (x_usedᵀ·grad_s, then W) instead of
// from z: the same outputs, every gradient equal up to rounding, for dense and sparse input.
TEST(GatConv, AttentionVectorGradientFromTheInputWhenZIsNotKept) {
  const CsrGraph graph = awkward_graph(40, SelfLoops::kAdd);
  GatConvOptions o;
  o.in_features = 6;
  o.out_features = 3;
  o.heads = 2;
  o.input_dropout = 0.2;
  o.attention_dropout = 0.3;
  o.feature_dropout = 0.4;
  MatrixD dense = random_matrix(40, 6, 21);
  for (Eigen::Index k = 0; k < dense.size(); k += 3) dense.data()[k] = 0;  // some zeros
  const SparseInput<double> sparse(from_dense(dense));
  const MatrixD w = random_matrix(40, 6, 22);
  for (const bool use_sparse : {false, true}) {
    std::vector<MatrixD> outs, grads;
    for (const std::uint64_t limit : {GatConvOptions{}.keep_weights_bytes, std::uint64_t{0}}) {
      GatConvOptions c = o;
      c.keep_weights_bytes = limit;
      GatConv<double> conv(c, 4, 0);
      GatConvCache<double> cache;
      const ForwardContext ctx{true, 7, 3};
      outs.push_back(use_sparse ? conv.forward(graph, sparse, cache, ctx)
                                : conv.forward(graph, dense, cache, ctx));
      EXPECT_EQ(cache.projected().size() > 0, limit > 0) << "z kept only under the limit";
      conv.backward(graph, cache, w, nullptr);
      for (const auto* p : conv.parameters()) grads.push_back(p->grad);
    }
    SCOPED_TRACE(use_sparse ? "sparse input" : "dense input");
    EXPECT_TRUE(outs[0] == outs[1]);
    const std::size_t count = grads.size() / 2;
    for (std::size_t k = 0; k < count; ++k) {
      EXPECT_GT(grads[k].cwiseAbs().maxCoeff(), 0.0) << "parameter " << k;
      test::expect_matrix_near(grads[count + k], grads[k], 1e-12);
    }
  }
}

TEST(GatConv, KeepsAttentionWeightsInTrainingOnlyWhileSmall) {
  const CsrGraph graph = awkward_graph(12, SelfLoops::kAdd);
  GatConvOptions o;
  o.in_features = 5;
  o.out_features = 3;
  o.heads = 2;
  o.attention_dropout = 0.3;
  const MatrixD x = random_matrix(12, 5, 8);
  const MatrixD w = random_matrix(12, 6, 9);
  struct Run {
    MatrixD out, gx, gw, ga;
  };
  // keep_weights_bytes = limit: training, then backward; returns what it computed.
  const auto train = [&](std::uint64_t limit, bool expect_kept) {
    GatConvOptions c = o;
    c.keep_weights_bytes = limit;
    GatConv<double> conv(c, 3, 0);
    GatConvCache<double> cache;
    Run r;
    r.out = conv.forward(graph, x, cache, ForwardContext{true, 5, 9});
    EXPECT_EQ(cache.attention().size() > 0, expect_kept) << "limit " << limit;
    if (expect_kept) {
      EXPECT_EQ(cache.attention().rows(), graph.num_edges());
    }
    conv.backward(graph, cache, w, &r.gx);
    r.gw = conv.parameter("weight").grad;
    r.ga = conv.parameter("att_src").grad;
    return r;
  };
  const std::uint64_t bytes = static_cast<std::uint64_t>(graph.num_edges()) * 2 * sizeof(double);
  const Run kept = train(GatConvOptions{}.keep_weights_bytes, true);  // the default: small graph
  const Run at_limit = train(bytes, true);
  const Run again = train(bytes - 1, false);
  const Run never = train(0, false);
  for (const Run* r : {&at_limit, &again, &never}) {
    EXPECT_TRUE(r->out == kept.out);
    EXPECT_TRUE(r->gx == kept.gx);
    EXPECT_TRUE(r->gw == kept.gw);
    EXPECT_TRUE(r->ga == kept.ga);
  }

  // Inference keeps them whatever the limit, and a backward from that cache reads them.
  GatConvOptions c = o;
  c.keep_weights_bytes = 0;
  GatConv<double> conv(c, 3, 0);
  GatConvCache<double> cache;
  conv.forward(graph, x, cache, ForwardContext{});
  ASSERT_EQ(cache.attention().rows(), graph.num_edges());
  ASSERT_EQ(cache.attention().cols(), 2);
  for (NodeId i = 0; i < graph.num_nodes(); ++i) {
    if (graph.in_degree(i) == 0) continue;
    const auto seg = cache.attention().middleRows(graph.row_ptr()[i], graph.in_degree(i));
    EXPECT_NEAR(seg.col(0).sum(), 1.0, 1e-12) << "node " << i;
    EXPECT_NEAR(seg.col(1).sum(), 1.0, 1e-12) << "node " << i;
  }
  MatrixD gx_eval;
  conv.backward(graph, cache, w, &gx_eval);
  EXPECT_TRUE(gx_eval.allFinite());
  // A training pass on the same cache, past the limit, drops the weights of the inference pass.
  conv.forward(graph, x, cache, ForwardContext{true, 5, 10});
  EXPECT_EQ(cache.attention().size(), 0);
}

// Same seed → bit-identical forward and gradients at 1 and 2 threads (float).
TEST(GatConv, BitIdenticalAcrossThreadCounts) {
  const NodeId n = 3000;  // several row chunks
  const CsrGraph graph = awkward_graph(n, SelfLoops::kAdd);
  GatConvOptions o;
  o.in_features = 40;
  o.out_features = 8;
  o.heads = 8;
  o.input_dropout = 0.5;
  o.attention_dropout = 0.5;
  const RowMatrix x = random_matrix(n, 40, 6).cast<float>();
  const RowMatrix w = random_matrix(n, 64, 7).cast<float>();
  auto run = [&](int threads, RowMatrix& out, RowMatrix& gw, RowMatrix& gx) {
    set_num_threads(threads);
    GatConv<float> conv(o, 21, 0);
    GatConvCache<float> cache;
    out = conv.forward(graph, x, cache, ForwardContext{true, 5, 9});
    conv.backward(graph, cache, w, &gx);
    gw = conv.parameter("weight").grad;
  };
  RowMatrix o1, w1, x1, o2, w2, x2;
  const int before = num_threads();
  run(1, o1, w1, x1);
  run(2, o2, w2, x2);
  set_num_threads(before);
  EXPECT_TRUE(o1 == o2);
  EXPECT_TRUE(w1 == w2);
  EXPECT_TRUE(x1 == x2);
}

}  // namespace
}  // namespace gat
