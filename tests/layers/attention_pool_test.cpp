// Global attention pooling and GraphPool: hand-computed values, β per graph (one-node graphs,
// mixed sizes, sums to one), empty graphs, finite-difference checks of every parameter and
// of the node features (double precision), the PoolKind switch, and thread-count invariance.

#include "gat/layers/attention_pool.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <ostream>
#include <string>
#include <vector>

#include "gat/core/error.hpp"
#include "gat/core/threads.hpp"
#include "gat/ops/pooling.hpp"
#include "support/gradcheck.hpp"

namespace gat {
namespace {

using test::expect_gradient;
using test::expect_matrix_near;
using test::MatrixD;
using test::random_matrix;
using test::weighted_sum;

// Offsets of a batch from its graph sizes.
std::vector<EdgeId> offsets_of(const std::vector<EdgeId>& sizes) {
  std::vector<EdgeId> offsets = {0};
  for (EdgeId s : sizes) offsets.push_back(offsets.back() + s);
  return offsets;
}

AttentionPoolOptions pool_options(std::int64_t in, std::int64_t hidden, std::int64_t out) {
  AttentionPoolOptions o;
  o.in_features = in;
  o.gate_hidden = hidden;
  o.feature_out = out;
  return o;
}

// One graph of two nodes, in = 2, gate weight (1, 0)ᵀ so s_i = h[i, 0]:
//   h = [[0, 1], [ln 3, 5]]  →  s = (0, ln 3), β = (1, 3) / 4 = (1/4, 3/4)
//   g = 1/4 · (0, 1) + 3/4 · (ln 3, 5) = (3/4 · ln 3, 4)
TEST(AttentionPool, ForwardHandComputed) {
  AttentionPool<double> pool(pool_options(2, 0, 0), 0, "pool");
  pool.gate().weight.value << 1, 0;
  MatrixD h(2, 2);
  h << 0, 1, std::log(3.0), 5;
  AttentionPoolCache<double> cache;
  const MatrixD g = pool.forward({0, 2}, h, cache);
  ASSERT_EQ(g.rows(), 1);
  ASSERT_EQ(g.cols(), 2);
  EXPECT_NEAR(g(0, 0), 0.75 * std::log(3.0), 1e-15);
  EXPECT_NEAR(g(0, 1), 4.0, 1e-15);
  EXPECT_NEAR(cache.beta(0, 0), 0.25, 1e-15);
  EXPECT_NEAR(cache.beta(1, 0), 0.75, 1e-15);
  EXPECT_NEAR(cache.scores(1, 0), std::log(3.0), 1e-15);
}

// A one-node graph has β = 1 exactly (its score minus the maximum is 0, e^0 / e^0), so its
// pooled vector is exactly its value v — with or without gate and feature networks, in float
// and double.
template <typename T>
void check_single_node_graphs(std::int64_t hidden, std::int64_t out) {
  AttentionPool<T> pool(pool_options(3, hidden, out), 1, "pool");
  // Three one-node graphs around an empty one.
  const std::vector<EdgeId> offsets = {0, 1, 2, 2, 3};
  const Matrix<T> h = (random_matrix(3, 3, 2) * 10).cast<T>();
  AttentionPoolCache<T> cache;
  const Matrix<T> g = pool.forward(offsets, h, cache);
  const Matrix<T>& v = out > 0 ? cache.values : h;
  for (int i = 0; i < 3; ++i) EXPECT_EQ(cache.beta(i, 0), T(1)) << "node " << i;
  EXPECT_TRUE(g.row(0) == v.row(0));
  EXPECT_TRUE(g.row(1) == v.row(1));
  EXPECT_TRUE((g.row(2).array() == T(0)).all());  // the empty graph
  EXPECT_TRUE(g.row(3) == v.row(2));
}

TEST(AttentionPool, SingleNodeGraphHasBetaOne) {
  check_single_node_graphs<double>(0, 0);
  check_single_node_graphs<double>(4, 0);
  check_single_node_graphs<double>(0, 5);
  check_single_node_graphs<double>(4, 5);
  check_single_node_graphs<float>(0, 0);
  check_single_node_graphs<float>(4, 5);
}

// Graphs of 1, 2 and 50 nodes in one batch, against a direct computation per graph:
// s = tanh(h·W₁ + b₁)·w₂, β = exp(s) / Σ exp(s), v = h·W_v + b_v, g = Σ β v.
TEST(AttentionPool, MixedGraphSizesMatchDirectComputation) {
  const std::vector<EdgeId> offsets = offsets_of({1, 2, 50});
  const Eigen::Index n = 53;
  AttentionPool<double> pool(pool_options(4, 3, 6), 2, "pool");
  for (auto* p : pool.parameters()) p->value = random_matrix(p->value.rows(), p->value.cols(), 3);
  const MatrixD h = random_matrix(n, 4, 4, -2, 2);
  AttentionPoolCache<double> cache;
  const MatrixD g = pool.forward(offsets, h, cache);

  const Linear<double>& gh = *pool.gate_hidden();
  const Linear<double>& fe = *pool.feature();
  MatrixD hidden = h * gh.weight.value;
  hidden.rowwise() += gh.bias.value.row(0);
  hidden = hidden.array().tanh().matrix();
  const MatrixD s = hidden * pool.gate().weight.value;
  MatrixD v = h * fe.weight.value;
  v.rowwise() += fe.bias.value.row(0);
  for (int k = 0; k < 3; ++k) {
    const EdgeId b = offsets[k], e = offsets[k + 1];
    double total = 0;
    for (EdgeId i = b; i < e; ++i) total += std::exp(s(i, 0));
    MatrixD expected = MatrixD::Zero(1, 6);
    double beta_sum = 0;
    for (EdgeId i = b; i < e; ++i) {
      const double beta = std::exp(s(i, 0)) / total;
      EXPECT_NEAR(cache.beta(i, 0), beta, 1e-14) << "node " << i;
      expected += beta * v.row(i);
      beta_sum += cache.beta(i, 0);
    }
    EXPECT_NEAR(beta_sum, 1.0, 1e-14) << "graph " << k;
    expect_matrix_near(g.row(k), expected, 1e-13);
  }
  EXPECT_EQ(cache.beta(0, 0), 1.0);  // the one-node graph
}

// β sums to one per graph in float too, over graphs from 1 to 300 nodes and scores spread
// wide enough that most exponentials underflow without the maximum subtracted.
TEST(AttentionPool, BetaSumsToOnePerGraphInFloat) {
  const std::vector<EdgeId> offsets = offsets_of({1, 2, 50, 0, 7, 300, 3});
  const Eigen::Index n = offsets.back();
  AttentionPool<float> pool(pool_options(5, 0, 0), 3, "pool");
  pool.gate().weight.value *= 40.0f;
  const Matrix<float> h = random_matrix(n, 5, 5, -3, 3).cast<float>();
  AttentionPoolCache<float> cache;
  const Matrix<float> g = pool.forward(offsets, h, cache);
  EXPECT_TRUE(g.allFinite());
  for (std::size_t k = 0; k + 1 < offsets.size(); ++k) {
    double sum = 0;
    for (EdgeId i = offsets[k]; i < offsets[k + 1]; ++i) {
      EXPECT_GE(cache.beta(i, 0), 0.0f);
      sum += cache.beta(i, 0);
    }
    if (offsets[k] == offsets[k + 1]) continue;  // the empty graph has no weights
    EXPECT_NEAR(sum, 1.0, 1e-6) << "graph " << k;
  }
}

TEST(AttentionPool, EmptyGraphGivesZerosAndFiniteGradients) {
  const std::vector<EdgeId> offsets = {0, 3, 3, 5};  // graph 1 has no nodes
  AttentionPool<double> pool(pool_options(3, 2, 4), 4, "pool");
  const MatrixD h = random_matrix(5, 3, 6);
  AttentionPoolCache<double> cache;
  const MatrixD g = pool.forward(offsets, h, cache);
  EXPECT_TRUE(g.allFinite());
  EXPECT_TRUE((g.row(1).array() == 0).all());
  MatrixD grad_h;
  pool.backward(offsets, cache, MatrixD::Ones(3, 4), &grad_h);
  EXPECT_TRUE(grad_h.allFinite());
  for (auto* p : pool.parameters()) EXPECT_TRUE(p->grad.allFinite()) << p->name;
  // A batch of empty graphs only.
  const MatrixD none(0, 3);
  const MatrixD g0 = pool.forward({0, 0, 0}, none, cache);
  EXPECT_EQ(g0.rows(), 2);
  EXPECT_TRUE((g0.array() == 0).all());
}

struct GradCase {
  const char* name;
  std::int64_t gate_hidden;
  std::int64_t feature_out;
  bool bias;
};

// Test names print the case's name rather than its bytes.
void PrintTo(const GradCase& c, std::ostream* os) { *os << c.name; }

class AttentionPoolGradient : public ::testing::TestWithParam<GradCase> {};

// Every parameter and the node features against central differences of L = Σ w ⊙ g, on a
// batch of graphs of 3, 0, 1, 4 and 2 nodes.
TEST_P(AttentionPoolGradient, MatchesFiniteDifferences) {
  const GradCase c = GetParam();
  const std::vector<EdgeId> offsets = offsets_of({3, 0, 1, 4, 2});
  const Eigen::Index n = offsets.back();
  AttentionPoolOptions o = pool_options(4, c.gate_hidden, c.feature_out);
  o.bias = c.bias;
  AttentionPool<double> pool(o, 7, "pool");
  // Random values everywhere (biases included, which start at zero).
  std::uint64_t seed = 10;
  for (auto* p : pool.parameters()) {
    p->value = random_matrix(p->value.rows(), p->value.cols(), seed++);
  }
  MatrixD h = random_matrix(n, 4, 8, -1.5, 1.5);
  const MatrixD w = random_matrix(5, pool.out_width(), 9);
  AttentionPoolCache<double> cache;
  pool.forward(offsets, h, cache);
  MatrixD grad_h = MatrixD::Constant(1, 1, 99.0);  // resized and overwritten
  pool.backward(offsets, cache, w, &grad_h);
  auto loss = [&] {
    AttentionPoolCache<double> scratch;
    return weighted_sum(pool.forward(offsets, h, scratch), w);
  };
  for (auto* p : pool.parameters()) {
    const MatrixD analytic = p->grad;
    expect_gradient(p->name, p->value, analytic, loss);
  }
  expect_gradient("h", h, grad_h, loss);
}

INSTANTIATE_TEST_SUITE_P(Cases, AttentionPoolGradient,
                         ::testing::Values(GradCase{"LinearGate", 0, 0, true},
                                           GradCase{"HiddenGate", 3, 0, true},
                                           GradCase{"FeatureNetwork", 0, 5, true},
                                           GradCase{"HiddenGateAndFeatures", 3, 5, true},
                                           GradCase{"NoBiases", 3, 5, false}),
                         [](const auto& param_info) { return std::string(param_info.param.name); });

TEST(AttentionPool, BackwardAccumulatesAndWorksWithoutInputGradient) {
  const std::vector<EdgeId> offsets = {0, 2, 5};
  AttentionPool<double> pool(pool_options(3, 2, 2), 8, "pool");
  const MatrixD h = random_matrix(5, 3, 11), w = random_matrix(2, 2, 12);
  AttentionPoolCache<double> cache;
  pool.forward(offsets, h, cache);
  pool.backward(offsets, cache, w, nullptr);
  std::vector<MatrixD> first;
  for (auto* p : pool.parameters()) first.push_back(p->grad);
  MatrixD grad_h;
  pool.backward(offsets, cache, w, &grad_h);
  const auto params = pool.parameters();
  for (std::size_t k = 0; k < params.size(); ++k) {
    expect_matrix_near(params[k]->grad, 2 * first[k], 1e-14);
  }
}

TEST(AttentionPool, ParameterNamesAndOrder) {
  AttentionPool<double> full(pool_options(3, 2, 4), 0, "pool");
  std::vector<std::string> names;
  for (auto* p : full.parameters()) names.push_back(p->name);
  EXPECT_EQ(names, (std::vector<std::string>{"pool.gate_hidden.weight", "pool.gate_hidden.bias",
                                             "pool.gate.weight", "pool.feature.weight",
                                             "pool.feature.bias"}));
  AttentionPool<double> plain(pool_options(3, 0, 0), 0, "readout");
  ASSERT_EQ(plain.parameters().size(), 1u);
  EXPECT_EQ(plain.parameters()[0]->name, "readout.gate.weight");
  EXPECT_EQ(plain.gate().weight.value.rows(), 3);
  EXPECT_EQ(plain.gate().weight.value.cols(), 1);
  EXPECT_EQ(plain.gate_hidden(), nullptr);
  EXPECT_EQ(plain.feature(), nullptr);
  EXPECT_EQ(plain.out_width(), 3);
  EXPECT_EQ(full.out_width(), 4);
  // The three networks draw different initial weights (distinct ordinals).
  AttentionPool<double> wide(pool_options(3, 1, 1), 0, "pool");
  EXPECT_FALSE(wide.gate_hidden()->weight.value == wide.feature()->weight.value);
}

TEST(AttentionPool, RejectsBadOptionsAndShapes) {
  EXPECT_THROW(AttentionPool<double>(pool_options(0, 0, 0), 0, "p"), Error);
  EXPECT_THROW(AttentionPool<double>(pool_options(3, -1, 0), 0, "p"), Error);
  EXPECT_THROW(AttentionPool<double>(pool_options(3, 0, -2), 0, "p"), Error);
  AttentionPool<double> pool(pool_options(3, 0, 0), 0, "p");
  AttentionPoolCache<double> cache;
  EXPECT_THROW(pool.forward({0, 4}, MatrixD::Zero(4, 2), cache), Error);  // width
  EXPECT_THROW(pool.forward({0, 3}, MatrixD::Zero(4, 3), cache), Error);  // offsets
  pool.forward({0, 1, 4}, MatrixD::Zero(4, 3), cache);
  EXPECT_THROW(pool.backward({0, 1, 4}, cache, MatrixD::Zero(3, 3), nullptr), Error);
  EXPECT_THROW(pool.backward({0, 1, 4}, cache, MatrixD::Zero(2, 4), nullptr), Error);
  EXPECT_THROW(pool.backward({0, 2, 5}, cache, MatrixD::Zero(2, 3), nullptr), Error);
}

// ---- PoolKind and GraphPool ------------------------------------------------------------

TEST(PoolKind, ParsesNamesAndListsThemOnError) {
  EXPECT_EQ(parse_pool_kind("attention"), PoolKind::kAttention);
  EXPECT_EQ(parse_pool_kind("mean"), PoolKind::kMean);
  EXPECT_EQ(parse_pool_kind("sum"), PoolKind::kSum);
  EXPECT_EQ(parse_pool_kind("max"), PoolKind::kMax);
  for (PoolKind k : {PoolKind::kAttention, PoolKind::kMean, PoolKind::kSum, PoolKind::kMax}) {
    EXPECT_EQ(parse_pool_kind(pool_kind_name(k)), k);
  }
  try {
    parse_pool_kind("avg");
    ADD_FAILURE() << "no error for an unknown name";
  } catch (const Error& e) {
    const std::string what = e.what();
    for (const char* name : {"avg", "attention", "mean", "sum", "max"}) {
      EXPECT_NE(what.find(name), std::string::npos) << what;
    }
  }
}

TEST(GraphPool, DispatchesToTheSegmentOps) {
  const std::vector<EdgeId> offsets = {0, 3, 3, 4, 8};
  const MatrixD h = random_matrix(8, 3, 13);
  // gate_hidden and feature_out concern attention only: the plain kinds pool h as it is.
  const AttentionPoolOptions o = pool_options(3, 2, 5);
  MatrixD expected(4, 3);
  std::vector<EdgeId> argmax;
  for (PoolKind kind : {PoolKind::kMean, PoolKind::kSum, PoolKind::kMax}) {
    GraphPool<double> pool(kind, o, 0, "pool");
    EXPECT_TRUE(pool.parameters().empty());
    EXPECT_EQ(pool.attention(), nullptr);
    EXPECT_EQ(pool.out_width(), 3);
    GraphPoolCache<double> cache;
    const MatrixD g = pool.forward(offsets, h, cache);
    if (kind == PoolKind::kMean) ops::segment_mean_forward<double>(offsets, h, expected);
    if (kind == PoolKind::kSum) ops::segment_sum_forward<double>(offsets, h, expected);
    if (kind == PoolKind::kMax) ops::segment_max_forward<double>(offsets, h, expected, argmax);
    expect_matrix_near(g, expected, 0.0);
  }
  GraphPool<double> att(PoolKind::kAttention, o, 5, "pool");
  AttentionPool<double> direct(o, 5, "pool");
  ASSERT_NE(att.attention(), nullptr);
  EXPECT_EQ(att.out_width(), 5);
  EXPECT_EQ(att.parameters().size(), direct.parameters().size());
  GraphPoolCache<double> cache;
  AttentionPoolCache<double> direct_cache;
  expect_matrix_near(att.forward(offsets, h, cache), direct.forward(offsets, h, direct_cache), 0.0);
  expect_matrix_near(cache.attention.beta, direct_cache.beta, 0.0);
}

// The node-feature gradient through GraphPool, for every kind.
TEST(GraphPool, GradientMatchesFiniteDifferencesForEveryKind) {
  const std::vector<EdgeId> offsets = offsets_of({3, 0, 1, 4});
  for (PoolKind kind : {PoolKind::kAttention, PoolKind::kMean, PoolKind::kSum, PoolKind::kMax}) {
    GraphPool<double> pool(kind, pool_options(3, 2, 0), 14, "pool");
    MatrixD h = random_matrix(8, 3, 15);
    const MatrixD w = random_matrix(4, pool.out_width(), 16);
    GraphPoolCache<double> cache;
    pool.forward(offsets, h, cache);
    MatrixD grad_h;
    pool.backward(offsets, cache, w, &grad_h);
    auto loss = [&] {
      GraphPoolCache<double> scratch;
      return weighted_sum(pool.forward(offsets, h, scratch), w);
    };
    expect_gradient(std::string("h through ") + pool_kind_name(kind), h, grad_h, loss);
    for (auto* p : pool.parameters()) {
      const MatrixD analytic = p->grad;
      expect_gradient(p->name, p->value, analytic, loss);
    }
  }
}

// Same inputs → bit-identical β, pooled vectors and gradients at 1 and 2 threads (float),
// on a batch large enough to split into several chunks of rows and of graphs.
TEST(AttentionPool, BitIdenticalAcrossThreadCounts) {
  std::vector<EdgeId> sizes;
  const CounterRng rng(3, 0, 0, 0);
  for (std::uint64_t k = 0; k < 200; ++k) sizes.push_back(static_cast<EdgeId>(rng.bits(k) % 40));
  const std::vector<EdgeId> offsets = offsets_of(sizes);
  const Eigen::Index n = offsets.back();
  const Matrix<float> h = random_matrix(n, 16, 17).cast<float>();
  const Matrix<float> w = random_matrix(200, 8, 18).cast<float>();
  auto run = [&](int threads) {
    set_num_threads(threads);
    AttentionPool<float> pool(pool_options(16, 8, 8), 21, "pool");
    AttentionPoolCache<float> cache;
    std::vector<Matrix<float>> out{pool.forward(offsets, h, cache)};
    Matrix<float> grad_h;
    pool.backward(offsets, cache, w, &grad_h);
    out.push_back(cache.beta);
    out.push_back(grad_h);
    for (auto* p : pool.parameters()) out.push_back(p->grad);
    return out;
  };
  const int before = num_threads();
  const auto one = run(1);
  const auto two = run(2);
  set_num_threads(before);
  ASSERT_EQ(one.size(), two.size());
  for (std::size_t k = 0; k < one.size(); ++k) EXPECT_TRUE(one[k] == two[k]) << "output " << k;
}

}  // namespace
}  // namespace gat
