// Sparse and dense attention are one model computed two ways: same outputs, same gradients
// for every parameter and the input; and dense refuses, before allocating, what won't fit.

#include "gat/ops/dense_attention.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "gat/core/error.hpp"
#include "gat/graph/build.hpp"
#include "gat/layers/gat_conv.hpp"
#include "gat/layers/gat_model.hpp"
#include "gat/train/loss.hpp"
#include "support/gradcheck.hpp"

namespace gat {
namespace {

using test::MatrixD;
using test::random_matrix;

// Random graph on n nodes: nodes n-2 and n-1 have no edges at all, a few self loops and
// duplicate edges are in the data (the dense mask counts duplicates, as the CSR does).
CsrGraph random_graph(NodeId n, std::uint64_t seed, SelfLoops loops) {
  const CounterRng rng(seed, 0, 0, 5);
  std::vector<NodeId> src, dst;
  for (int k = 0; k < 4 * n; ++k) {
    src.push_back(static_cast<NodeId>(rng.bits(2 * k) % (n - 2)));
    dst.push_back(static_cast<NodeId>(rng.bits(2 * k + 1) % (n - 2)));
  }
  src.insert(src.end(), {3, 3, 1});
  dst.insert(dst.end(), {5, 5, 1});
  return apply_self_loops(build_csr(n, src, dst), loops);
}

double max_relative_difference(const MatrixD& a, const MatrixD& b) {
  const double scale = std::max(1e-3, std::max(a.cwiseAbs().maxCoeff(), b.cwiseAbs().maxCoeff()));
  return (a - b).cwiseAbs().maxCoeff() / scale;
}

struct Case {
  const char* name;
  int heads;
  bool concat;
  SelfLoops loops;
};

class SparseVsDense : public ::testing::TestWithParam<Case> {};

TEST_P(SparseVsDense, SameOutputsAndGradients) {
  const Case c = GetParam();
  const NodeId n = 23;
  const CsrGraph graph = random_graph(n, 3, c.loops);
  ASSERT_EQ(graph.in_degree(n - 1),
            c.loops == SelfLoops::kAdd ? 1 : 0);  // isolated but for its loop
  GatConvOptions o;
  o.in_features = 5;
  o.out_features = 3;
  o.heads = c.heads;
  o.concat = c.concat;
  o.residual = true;
  o.self_loops = c.loops;  // the policy the graph was built with
  GatConv<double> sparse(o, 4, 0);
  o.attention = AttentionMode::kDense;
  GatConv<double> dense(o, 4, 0);  // same seed: same initial parameters
  const MatrixD x = random_matrix(n, 5, 9);
  const MatrixD w = random_matrix(n, sparse.out_width(), 10);
  GatConvCache<double> cs, cd;
  const MatrixD out_s = sparse.forward(graph, x, cs, ForwardContext{});
  const MatrixD out_d = dense.forward(graph, x, cd, ForwardContext{});
  EXPECT_LT(max_relative_difference(out_s, out_d), 1e-5);
  MatrixD gx_s, gx_d;
  sparse.backward(graph, cs, w, &gx_s);
  dense.backward(graph, cd, w, &gx_d);
  EXPECT_LT(max_relative_difference(gx_s, gx_d), 1e-5) << "input gradient";
  const auto ps = sparse.parameters(), pd = dense.parameters();
  ASSERT_EQ(ps.size(), pd.size());
  for (std::size_t k = 0; k < ps.size(); ++k) {
    EXPECT_LT(max_relative_difference(ps[k]->grad, pd[k]->grad), 1e-5) << ps[k]->name;
  }
}

INSTANTIATE_TEST_SUITE_P(Cases, SparseVsDense,
                         ::testing::Values(Case{"OneHeadLoops", 1, true, SelfLoops::kAdd},
                                           Case{"FourHeadsConcat", 4, true, SelfLoops::kAdd},
                                           Case{"FourHeadsMean", 4, false, SelfLoops::kAdd},
                                           Case{"NoSelfLoops", 3, true, SelfLoops::kRemove},
                                           Case{"LoopsAsGiven", 2, false, SelfLoops::kKeep}),
                         [](const auto& param_info) { return std::string(param_info.param.name); });

// The dense path on its own against finite differences, with attention dropout active
// (dense masks are drawn per (i, j) entry, so they differ from the sparse path's).
TEST(DenseAttention, GradientMatchesFiniteDifferences) {
  const NodeId n = 11;
  const CsrGraph graph = random_graph(n, 8, SelfLoops::kAdd);
  GatConvOptions o;
  o.in_features = 4;
  o.out_features = 2;
  o.heads = 3;
  o.attention_dropout = 0.3;
  o.attention = AttentionMode::kDense;
  GatConv<double> conv(o, 2, 1);
  MatrixD x = random_matrix(n, 4, 1);
  const MatrixD w = random_matrix(n, conv.out_width(), 2);
  const ForwardContext ctx{true, 3, 4};
  GatConvCache<double> cache;
  conv.forward(graph, x, cache, ctx);
  MatrixD gx;
  conv.backward(graph, cache, w, &gx);
  auto loss = [&] {
    GatConvCache<double> scratch;
    return (conv.forward(graph, x, scratch, ctx).array() * w.array()).sum();
  };
  for (auto* p : conv.parameters()) {
    const MatrixD analytic = p->grad;
    test::expect_gradient(p->name, p->value, analytic, loss);
  }
  test::expect_gradient("input", x, gx, loss);
}

// Whole models agree too, through ELU, two layers and the loss, on sparse input.
TEST(DenseAttention, WholeModelMatchesSparse) {
  const NodeId n = 30;
  const CsrGraph raw = random_graph(n, 5, SelfLoops::kKeep);
  GatModelOptions o;
  o.in_features = 6;
  o.num_classes = 3;
  o.hidden = 4;
  o.heads = 2;
  o.out_heads = 2;
  GatModel<double> sparse(o, 1);
  o.attention = AttentionMode::kDense;
  GatModel<double> dense(o, 1);
  const CsrGraph g = sparse.prepare_graph(raw);
  MatrixD xd = random_matrix(n, 6, 3);
  xd = (xd.array() > 0.3).select(xd, 0.0);
  const SparseInput<double> x(from_dense(xd));
  std::vector<std::int32_t> labels(n), nodes{0, 4, 9, 17, 28, 29};
  for (NodeId i = 0; i < n; ++i) labels[i] = i % 3;
  GatModelCache<double> cs, cd;
  MatrixD gs, gd;
  const MatrixD ls = sparse.forward(g, x, cs, ForwardContext{});
  const MatrixD ld = dense.forward(g, x, cd, ForwardContext{});
  EXPECT_LT(max_relative_difference(ls, ld), 1e-5);
  nll_loss<double>(ls, labels, nodes, &gs);
  nll_loss<double>(ld, labels, nodes, &gd);
  sparse.backward(g, cs, gs);
  dense.backward(g, cd, gd);
  const auto ps = sparse.parameters(), pd = dense.parameters();
  for (std::size_t k = 0; k < ps.size(); ++k) {
    EXPECT_LT(max_relative_difference(ps[k]->grad, pd[k]->grad), 1e-5) << ps[k]->name;
  }
}

// 50 000 nodes × 8 heads would need (1 + 3·8)·50 000²·4 bytes = 250 GB in training: the
// layer refuses before allocating, and says how much it needs.
TEST(DenseAttention, RefusesWhatDoesNotFit) {
  EXPECT_EQ(ops::dense_attention_bytes(50000, 8, true, 4), 25ull * 50000 * 50000 * 4);
  try {
    ops::check_dense_attention_fits(50000, 8, true, 4, std::uint64_t{1} << 30);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("232.83 GiB"), std::string::npos) << m;
    EXPECT_NE(m.find("sparse"), std::string::npos) << m;
  }
  EXPECT_NO_THROW(ops::check_dense_attention_fits(100, 8, true, 4, std::uint64_t{1} << 30));

  // Through the layer, with a tiny limit: an error, not an allocation failure.
  const CsrGraph graph = build_csr(300, {0, 1}, {1, 2});
  GatConvOptions o;
  o.in_features = 2;
  o.heads = 8;
  o.attention = AttentionMode::kDense;
  o.dense_memory_limit = 1 << 20;
  GatConv<float> conv(o, 0, 0);
  GatConvCache<float> cache;
  const RowMatrix x = RowMatrix::Zero(300, 2);
  EXPECT_THROW(conv.forward(graph, x, cache, ForwardContext{}), Error);
}

}  // namespace
}  // namespace gat
