// Synthetic graph generators: determinism (by seed and across thread counts), the statistics
// each generator promises, structural invariants and argument validation.
//
// Tolerances. Erdős–Rényi and CSBM edges are independent Bernoulli trials, so a realised
// count K of M trials with probability p has standard deviation √(M·p·(1 - p)). Every
// statistical check below uses a bound of at least 4 such standard deviations, chosen by
// picking sizes large enough that the stated relative tolerance (2 % for degrees and
// densities) is ≥ 4σ; the draws are deterministic by seed, so a check either always passes
// or always fails, and a failure means the sampler is biased, not unlucky.

#include "gat/graph/generate.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <numeric>
#include <string>
#include <vector>

#include "gat/core/error.hpp"
#include "gat/core/threads.hpp"

namespace gat {
namespace {

using ::testing::HasSubstr;

void expect_same(const CsrGraph& x, const CsrGraph& y) {
  EXPECT_EQ(x.num_nodes(), y.num_nodes());
  EXPECT_TRUE(x.row_ptr() == y.row_ptr());
  EXPECT_TRUE(x.src() == y.src());
}

bool same(const CsrGraph& x, const CsrGraph& y) {
  return x.row_ptr() == y.row_ptr() && x.src() == y.src();
}

// Rows strictly ascending (so no duplicates) and no self loops.
void expect_simple(const CsrGraph& g) {
  EXPECT_EQ(g.num_self_loops(), 0);
  for (NodeId i = 0; i < g.num_nodes(); ++i) {
    for (EdgeId p = g.row_ptr()[i] + 1; p < g.row_ptr()[i + 1]; ++p) {
      ASSERT_LT(g.src()[p - 1], g.src()[p]) << "row " << i << " unsorted or duplicated";
    }
  }
}

// Every edge j→i has its reverse i→j.
void expect_symmetric(const CsrGraph& g) {
  const auto& t = g.transpose();
  ASSERT_EQ(t.row_ptr, g.row_ptr()) << "in- and out-degrees differ";
  // Transposed row i lists the destinations of i's out-edges ascending; symmetric means they
  // are exactly i's sources.
  EXPECT_TRUE(std::equal(t.dst.begin(), t.dst.end(), g.src().begin()));
}

// The graph built by `make` at one and at two threads.
void expect_thread_independent(const std::function<CsrGraph()>& make) {
  const int before = num_threads();
  set_num_threads(1);
  const CsrGraph one = make();
  set_num_threads(2);
  const CsrGraph two = make();
  set_num_threads(before);
  expect_same(one, two);
}

double average_degree(const CsrGraph& g) {
  return static_cast<double>(g.num_edges()) / g.num_nodes();
}

// Message of the gat::Error thrown by f; fails the test when nothing is thrown.
std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  ADD_FAILURE() << "no gat::Error thrown";
  return "";
}

// ---- Erdős–Rényi ---------------------------------------------------------------------------

TEST(ErdosRenyi, DeterministicBySeed) {
  for (bool undirected : {true, false}) {
    const CsrGraph a = erdos_renyi(3000, 12, 7, undirected);
    const CsrGraph b = erdos_renyi(3000, 12, 7, undirected);
    const CsrGraph c = erdos_renyi(3000, 12, 8, undirected);
    expect_same(a, b);
    EXPECT_FALSE(same(a, c)) << "the seed is ignored";
  }
}

TEST(ErdosRenyi, SameAtAnyThreadCount) {
  expect_thread_independent([] { return erdos_renyi(5000, 9, 3); });
  expect_thread_independent([] { return erdos_renyi(5000, 9, 3, false); });
  expect_thread_independent([] { return erdos_renyi_density(700, 0.4, 3); });
}

// Average in-degree within 2 % of the target. The number of independent pairs is
// M = N·d/2 (undirected) or N·d (directed), so the relative standard deviation of the
// average degree is about 1/√M; every case has N·d ≥ 80000, making 2 % at least 4σ.
TEST(ErdosRenyi, HitsTargetAverageDegree) {
  struct Case {
    NodeId n;
    double d;
  };
  for (const Case& k : {Case{4000, 20}, Case{100000, 3}, Case{16000, 64}}) {
    for (bool undirected : {true, false}) {
      const CsrGraph g = erdos_renyi(k.n, k.d, 11, undirected);
      EXPECT_NEAR(average_degree(g), k.d, 0.02 * k.d)
          << "n = " << k.n << ", d = " << k.d << (undirected ? " undirected" : " directed");
      expect_simple(g);
      if (undirected) expect_symmetric(g);
    }
  }
}

// Degrees of G(N, p) are Binomial(N - 1, p): variance (N - 1)·p·(1 - p) ≈ d. A generator that
// spread edges evenly (or clumped them) would miss this by far more than the 10 % allowed;
// the sampling error of a variance from 20000 degrees is about √(2/20000) = 1 %.
TEST(ErdosRenyi, DegreeVarianceIsBinomial) {
  const NodeId n = 20000;
  const double d = 10;
  const CsrGraph g = erdos_renyi(n, d, 5);
  const auto deg = g.in_degrees();
  const double mean = average_degree(g);
  double var = 0;
  for (EdgeId x : deg) var += (x - mean) * (x - mean);
  var /= n;
  const double p = d / (n - 1);
  EXPECT_NEAR(var, (n - 1) * p * (1 - p), 0.1 * d);
}

TEST(ErdosRenyi, EdgeCases) {
  EXPECT_EQ(erdos_renyi(0, 0, 1).num_nodes(), 0);
  EXPECT_EQ(erdos_renyi(1, 0, 1).num_edges(), 0);
  EXPECT_EQ(erdos_renyi(50, 0, 1).num_edges(), 0);
  // Degree N - 1 is the complete graph.
  EXPECT_EQ(erdos_renyi(50, 49, 1).num_edges(), 50 * 49);
  EXPECT_EQ(erdos_renyi(50, 49, 1, false).num_edges(), 50 * 49);
}

TEST(ErdosRenyi, SameAsDensityVariant) {
  expect_same(erdos_renyi(2000, 8, 4), erdos_renyi_density(2000, 8.0 / 1999, 4));
}

// Realised density within 2 % of the target. With M trials at probability p the relative
// standard deviation is √((1 - p)/(M·p)); the sizes make 2 % at least 4σ
// (n = 3000, p = 0.01 undirected: M = 4.5M pairs, σ = 0.47 %).
TEST(ErdosRenyiDensity, HitsTargetDensity) {
  struct Case {
    NodeId n;
    double p;
  };
  for (const Case& k : {Case{3000, 0.01}, Case{1000, 0.1}, Case{1000, 0.5}, Case{300, 0.9}}) {
    for (bool undirected : {true, false}) {
      const CsrGraph g = erdos_renyi_density(k.n, k.p, 21, undirected);
      const double density = static_cast<double>(g.num_edges()) / (double(k.n) * (k.n - 1));
      EXPECT_NEAR(density, k.p, 0.02 * k.p)
          << "n = " << k.n << ", p = " << k.p << (undirected ? " undirected" : " directed");
      expect_simple(g);
      if (undirected) expect_symmetric(g);
    }
  }
}

TEST(ErdosRenyiDensity, ZeroAndOne) {
  EXPECT_EQ(erdos_renyi_density(100, 0, 1).num_edges(), 0);
  for (bool undirected : {true, false}) {
    const CsrGraph g = erdos_renyi_density(100, 1, 1, undirected);
    EXPECT_EQ(g.num_edges(), 100 * 99);
    expect_simple(g);
  }
}

TEST(ErdosRenyi, RejectsBadArguments) {
  EXPECT_THAT(error_of([] { erdos_renyi(-1, 0, 1); }), HasSubstr("n must be non-negative"));
  EXPECT_THAT(error_of([] { erdos_renyi(100, -1, 1); }), HasSubstr("average_degree"));
  EXPECT_THAT(error_of([] { erdos_renyi(100, 100, 1); }), HasSubstr("average_degree"));
  EXPECT_THAT(error_of([] { erdos_renyi(100, std::nan(""), 1); }), HasSubstr("average_degree"));
  EXPECT_THAT(error_of([] { erdos_renyi(1, 0.5, 1); }), HasSubstr("average_degree"));
  EXPECT_THAT(error_of([] { erdos_renyi_density(-5, 0.1, 1); }), HasSubstr("n must be"));
  EXPECT_THAT(error_of([] { erdos_renyi_density(10, 1.5, 1); }), HasSubstr("density"));
  EXPECT_THAT(error_of([] { erdos_renyi_density(10, -0.1, 1); }), HasSubstr("density"));
}

// ---- R-MAT -----------------------------------------------------------------------------------

RmatOptions rmat_options(int scale, EdgeId edges, std::uint64_t seed, bool undirected = true) {
  RmatOptions o;
  o.scale = scale;
  o.edges = edges;
  o.seed = seed;
  o.undirected = undirected;
  return o;
}

TEST(Rmat, DeterministicBySeed) {
  for (bool undirected : {true, false}) {
    const CsrGraph a = rmat(rmat_options(12, 30000, 1, undirected));
    expect_same(a, rmat(rmat_options(12, 30000, 1, undirected)));
    EXPECT_FALSE(same(a, rmat(rmat_options(12, 30000, 2, undirected))));
  }
  // The positional overload is the options version with scrambled ids.
  expect_same(rmat(10, 5000, 0.57, 0.19, 0.19, 3), rmat(rmat_options(10, 5000, 3)));
}

TEST(Rmat, SameAtAnyThreadCount) {
  expect_thread_independent([] { return rmat(rmat_options(13, 100000, 4)); });
}

// Duplicates and self loops are dropped and replaced by further draws, so the count is exact:
// no tolerance is needed. Undirected graphs store each of the `edges` pairs twice.
TEST(Rmat, ExactEdgeCountWithoutLoopsOrDuplicates) {
  for (bool undirected : {true, false}) {
    const EdgeId edges = 8 << 12;
    const CsrGraph g = rmat(rmat_options(12, edges, 5, undirected));
    EXPECT_EQ(g.num_nodes(), 1 << 12);
    EXPECT_EQ(g.num_edges(), undirected ? 2 * edges : edges);
    expect_simple(g);
    if (undirected) expect_symmetric(g);
  }
}

// Power law: with a = 0.57, node 0 of the unscrambled matrix is an end of a draw with
// probability ≈ 2·(a + b)^scale = 2·0.76^14 ≈ 4 %, hundreds of times the mean share 2/N, and
// stays far above the mean after repeats are dropped; Erdős–Rényi's maximum is the mean plus a
// few √mean. We ask for max ≥ 20·mean and for the top 1 % of nodes to hold ≥ 10 % of the
// edge ends (measured: 170·mean and 29 %; Erdős–Rényi: 2.1·mean and 1.7 %). Even parameters
// (a = b = c = d = 1/4) make R-MAT Erdős–Rényi-like, which checks that the parameters are used.
TEST(Rmat, HeavyTailedDegrees) {
  auto stats = [](const CsrGraph& g) {
    auto deg = g.in_degrees();
    std::sort(deg.rbegin(), deg.rend());
    const double mean = average_degree(g);
    const auto top = static_cast<std::size_t>(deg.size() / 100);
    const double top_share =
        std::accumulate(deg.begin(), deg.begin() + top, 0.0) / static_cast<double>(g.num_edges());
    return std::pair{deg.front() / mean, top_share};
  };
  const auto [skewed_max, skewed_top] = stats(rmat(rmat_options(14, 8 << 14, 6)));
  EXPECT_GT(skewed_max, 20);
  EXPECT_GT(skewed_top, 0.10);
  RmatOptions even = rmat_options(14, 8 << 14, 6);
  even.a = even.b = even.c = 0.25;
  const auto [even_max, even_top] = stats(rmat(even));
  EXPECT_LT(even_max, 4);
  EXPECT_LT(even_top, 0.04);
}

// Scrambling relabels nodes only: the sorted degree sequences agree.
TEST(Rmat, ScramblingKeepsDegreeDistribution) {
  RmatOptions o = rmat_options(10, 6000, 8);
  o.scramble_ids = false;
  const CsrGraph plain = rmat(o);
  const CsrGraph scrambled = rmat(rmat_options(10, 6000, 8));
  auto a = plain.in_degrees(), b = scrambled.in_degrees();
  // Without scrambling, node 0 (every level in quadrant a) is the hub.
  EXPECT_EQ(std::max_element(a.begin(), a.end()) - a.begin(), 0);
  EXPECT_FALSE(a == b);
  std::sort(a.begin(), a.end());
  std::sort(b.begin(), b.end());
  EXPECT_EQ(a, b);
}

TEST(Rmat, SmallAndSaturated) {
  EXPECT_EQ(rmat(rmat_options(0, 0, 1)).num_nodes(), 1);
  EXPECT_EQ(rmat(rmat_options(5, 0, 1)).num_edges(), 0);
  // Every pair of 8 nodes: the rare cells are reached by drawing on.
  const CsrGraph complete = rmat(rmat_options(3, 28, 1));
  EXPECT_EQ(complete.num_edges(), 56);
  expect_simple(complete);
  RmatOptions directed = rmat_options(3, 56, 1, false);
  EXPECT_EQ(rmat(directed).num_edges(), 56);
}

TEST(Rmat, RejectsBadArguments) {
  auto with = [](const std::function<void(RmatOptions&)>& edit) {
    RmatOptions o = rmat_options(8, 100, 1);
    edit(o);
    return error_of([&] { rmat(o); });
  };
  EXPECT_THAT(with([](RmatOptions& o) { o.scale = 31; }), HasSubstr("scale"));
  EXPECT_THAT(with([](RmatOptions& o) { o.scale = -1; }), HasSubstr("scale"));
  EXPECT_THAT(with([](RmatOptions& o) { o.edges = -1; }), HasSubstr("edges"));
  EXPECT_THAT(with([](RmatOptions& o) { o.edges = 256 * 255 / 2 + 1; }), HasSubstr("exceeds"));
  EXPECT_THAT(with([](RmatOptions& o) { o.a = 1.2; }), HasSubstr("a must be in [0, 1]"));
  EXPECT_THAT(with([](RmatOptions& o) { o.c = -0.1; }), HasSubstr("c must be in [0, 1]"));
  EXPECT_THAT(with([](RmatOptions& o) { o.a = o.b = o.c = 0.4; }), HasSubstr("a + b + c"));
  // All mass on the diagonal: every draw is a self loop, so no edge can ever be made.
  EXPECT_THAT(with([](RmatOptions& o) {
                o.a = 0.5;
                o.b = o.c = 0;
              }),
              HasSubstr("b + c must be positive"));
  // Every pair of 16 nodes with a = 0.97: pairs such as {14, 15} need three d quadrants and
  // one b or c (probability 2·10^-8 per draw), out of reach of the 64·edges + 2^20 draws.
  EXPECT_THAT(with([](RmatOptions& o) {
                o.scale = 4;
                o.edges = 120;
                o.a = 0.97;
                o.b = o.c = 0.01;
              }),
              HasSubstr("distinct edges after"));
}

// ---- CSBM ------------------------------------------------------------------------------------

CsbmOptions csbm_options(NodeId nodes, int classes, double p_in, double p_out, int features,
                         std::uint64_t seed) {
  CsbmOptions o;
  o.nodes = nodes;
  o.classes = classes;
  o.p_in = p_in;
  o.p_out = p_out;
  o.features = features;
  o.seed = seed;
  return o;
}

TEST(Csbm, DeterministicBySeed) {
  const CsbmSample a = csbm(csbm_options(1000, 3, 0.02, 0.004, 6, 1));
  const CsbmSample b = csbm(csbm_options(1000, 3, 0.02, 0.004, 6, 1));
  const CsbmSample c = csbm(csbm_options(1000, 3, 0.02, 0.004, 6, 2));
  expect_same(a.graph, b.graph);
  EXPECT_EQ(a.labels, b.labels);
  EXPECT_TRUE(a.features == b.features);
  EXPECT_FALSE(same(a.graph, c.graph));
  EXPECT_FALSE(a.labels == c.labels);
  EXPECT_FALSE(a.features == c.features);
}

TEST(Csbm, SameAtAnyThreadCount) {
  const int before = num_threads();
  set_num_threads(1);
  const CsbmSample one = csbm(csbm_options(3000, 4, 0.01, 0.002, 7, 3));
  set_num_threads(2);
  const CsbmSample two = csbm(csbm_options(3000, 4, 0.01, 0.002, 7, 3));
  set_num_threads(before);
  expect_same(one.graph, two.graph);
  EXPECT_TRUE(one.features == two.features);
}

// Labels balanced; intra- and inter-class edge densities match p_in and p_out within 5σ of
// the Binomial count of each kind of pair (σ_rel = 0.6 % intra, 1.3 % inter here).
TEST(Csbm, EdgeProbabilitiesMatch) {
  const NodeId n = 3000;
  const int classes = 3;
  const double p_in = 0.02, p_out = 0.002;
  const CsbmSample s = csbm(csbm_options(n, classes, p_in, p_out, 0, 4));
  expect_simple(s.graph);
  expect_symmetric(s.graph);
  std::vector<double> size(classes, 0);
  for (auto y : s.labels) size[y] += 1;
  for (double c : size) EXPECT_EQ(c, n / classes);
  double intra = 0, inter = 0;  // undirected edges of each kind (each stored twice)
  const auto dst = s.graph.dst();
  for (EdgeId p = 0; p < s.graph.num_edges(); ++p) {
    (s.labels[s.graph.src()[p]] == s.labels[dst[p]] ? intra : inter) += 0.5;
  }
  double intra_pairs = 0, inter_pairs = 0;
  for (double c : size) intra_pairs += c * (c - 1) / 2;
  inter_pairs = double(n) * (n - 1) / 2 - intra_pairs;
  const double sd_in = std::sqrt(intra_pairs * p_in * (1 - p_in));
  const double sd_out = std::sqrt(inter_pairs * p_out * (1 - p_out));
  EXPECT_NEAR(intra, intra_pairs * p_in, 5 * sd_in);
  EXPECT_NEAR(inter, inter_pairs * p_out, 5 * sd_out);
}

// Features are class mean + standard normal noise: per-class sample means lie within 5σ
// (σ = 1/√N_c) of μ_c in every coordinate, ‖μ_c‖ = feature_signal, and the residual
// variance is 1 within 5σ (σ = √(2/(N·F)) for a Gaussian). Nearest-mean classification beats
// chance, i.e. features carry the class.
TEST(Csbm, FeaturesAreClassCorrelated) {
  CsbmOptions o = csbm_options(4000, 4, 0.0, 0.0, 16, 5);
  o.feature_signal = 2.0;
  const CsbmSample s = csbm(o);
  ASSERT_EQ(s.features.rows(), 4000);
  ASSERT_EQ(s.features.cols(), 16);
  ASSERT_EQ(s.class_means.rows(), 4);
  for (int c = 0; c < 4; ++c) EXPECT_NEAR(s.class_means.row(c).norm(), 2.0, 1e-5);

  Eigen::MatrixXd sum = Eigen::MatrixXd::Zero(4, 16);
  std::vector<double> count(4, 0);
  double residual = 0;
  int nearest_right = 0;
  for (NodeId i = 0; i < 4000; ++i) {
    const int y = s.labels[i];
    sum.row(y) += s.features.row(i).cast<double>();
    count[y] += 1;
    residual += (s.features.row(i) - s.class_means.row(y)).cast<double>().squaredNorm();
    int best = 0;
    for (int c = 1; c < 4; ++c) {
      if ((s.features.row(i) - s.class_means.row(c)).squaredNorm() <
          (s.features.row(i) - s.class_means.row(best)).squaredNorm()) {
        best = c;
      }
    }
    nearest_right += best == y;
  }
  for (int c = 0; c < 4; ++c) {
    const Eigen::RowVectorXd mean = sum.row(c) / count[c];
    const double max_dev = (mean - s.class_means.row(c).cast<double>()).cwiseAbs().maxCoeff();
    EXPECT_LT(max_dev, 5 / std::sqrt(count[c])) << "class " << c;
  }
  EXPECT_NEAR(residual / (4000 * 16), 1.0, 5 * std::sqrt(2.0 / (4000 * 16)));
  EXPECT_GT(nearest_right / 4000.0, 0.5);  // chance: 0.25
}

TEST(Csbm, ProbabilitiesFromDegreeAndHomophily) {
  const CsbmProbabilities p = csbm_probabilities(3000, 3, 10, 0.8);
  EXPECT_NEAR(p.p_in, 8.0 / 999, 1e-12);
  EXPECT_NEAR(p.p_out, 2.0 / 2000, 1e-12);
  const CsbmSample s = csbm(csbm_options(3000, 3, p.p_in, p.p_out, 0, 6));
  // Average degree 10 over 30000 slots: relative σ ≈ 1/√15000 = 0.8 %; allow 4 %.
  EXPECT_NEAR(average_degree(s.graph), 10, 0.4);
  EXPECT_THAT(error_of([] { csbm_probabilities(100, 3, 40, 0.9); }), HasSubstr("p_in"));
  EXPECT_THAT(error_of([] { csbm_probabilities(100, 3, 5, 1.5); }), HasSubstr("homophily"));
  EXPECT_THAT(error_of([] { csbm_probabilities(100, 1, 5, 0.5); }), HasSubstr("homophily"));
  EXPECT_THAT(error_of([] { csbm_probabilities(5, 3, 1, 0.5); }), HasSubstr("nodes"));
}

TEST(Csbm, RejectsBadArguments) {
  auto with = [](const std::function<void(CsbmOptions&)>& edit) {
    CsbmOptions o = csbm_options(100, 2, 0.1, 0.01, 4, 1);
    edit(o);
    return error_of([&] { csbm(o); });
  };
  EXPECT_THAT(with([](CsbmOptions& o) { o.classes = 0; }), HasSubstr("classes"));
  EXPECT_THAT(with([](CsbmOptions& o) { o.nodes = 1; }), HasSubstr("nodes"));
  EXPECT_THAT(with([](CsbmOptions& o) { o.p_in = 1.1; }), HasSubstr("p_in"));
  EXPECT_THAT(with([](CsbmOptions& o) { o.p_out = -0.1; }), HasSubstr("p_out"));
  EXPECT_THAT(with([](CsbmOptions& o) { o.features = -1; }), HasSubstr("features"));
  EXPECT_THAT(with([](CsbmOptions& o) { o.feature_signal = -1; }), HasSubstr("feature_signal"));
}

}  // namespace
}  // namespace gat
