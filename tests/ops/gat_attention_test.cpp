// The fused attention (gat/ops/gat_attention.hpp) against the separate ops it replaces:
// edge_score, segment_softmax, dropout and aggregate, forward and backward, bit for bit, for
// compile-time shapes (8 × 8, 1 × 8), compile-time heads only (1 × 7, Cora's output layer;
// 16 × 4) and run-time ones (3 × 5, 10 × 2), with and without dropout, in float and double, on
// graphs with nodes that have no in-edges or no out-edges, a graph without edges, and one
// large enough for the prefetching path. The backward runs as in training, on the softmax
// statistics of a forward that kept no weights; the weights computed again from those
// statistics are the bits a forward that kept them wrote. Its gradients are the separate ops'
// gradients, which their
// own tests check by finite differences; the layer tests check the whole layer's gradients the same
// way.

#include "gat/ops/gat_attention.hpp"

#include <gtest/gtest.h>

#include <utility>
#include <vector>

#include "gat/graph/build.hpp"
#include "gat/ops/aggregate.hpp"
#include "gat/ops/dropout.hpp"
#include "gat/ops/edge_score.hpp"
#include "gat/ops/segment_softmax.hpp"
#include "support/gradcheck.hpp"
#include "support/graphs.hpp"
#include "support/op_fixtures.hpp"

namespace gat::ops {
namespace {

using test::expect_error;
using test::random_matrix;

template <typename T>
struct Outputs {
  Matrix<T> alpha, out, grad_s_src, grad_s_dst, grad_z;
};

struct Case {
  int heads, features;
  double rate;
};

// The separate ops in the order the layer ran them before the fusion.
template <typename T>
Outputs<T> separate(const CsrGraph& g, const Matrix<T>& s_src, const Matrix<T>& s_dst, T slope,
                    const AttentionDropout& d, const Matrix<T>& z, const Matrix<T>& grad_out) {
  const Eigen::Index n = g.num_nodes(), h = s_src.cols();
  Outputs<T> o;
  o.alpha.resize(g.num_edges(), h);
  edge_score_forward<T>(g, s_src, s_dst, slope, o.alpha);
  segment_softmax_forward<T>(g.row_ptr(), o.alpha, o.alpha);
  Matrix<T> used = o.alpha;
  if (d.rate > 0) dropout<T>(used, d.rate, d.rng);
  o.out.resize(n, z.cols());
  aggregate_forward<T>(g, used, z, o.out);
  Matrix<T> grad_alpha(g.num_edges(), h);
  o.grad_z = Matrix<T>::Ones(n, z.cols());  // accumulated into: start from something
  aggregate_backward<T>(g, used, z, grad_out, grad_alpha, o.grad_z);
  if (d.rate > 0) dropout<T>(grad_alpha, d.rate, d.rng);
  segment_softmax_backward<T>(g.row_ptr(), o.alpha, grad_alpha, grad_alpha);
  o.grad_s_src = Matrix<T>::Zero(n, h);
  o.grad_s_dst = Matrix<T>::Zero(n, h);
  edge_score_backward<T>(g, s_src, s_dst, slope, grad_alpha, o.grad_s_src, o.grad_s_dst);
  return o;
}

// The fused op as the layer runs it in training: the forward keeps no weights, the backward
// computes them again from the softmax statistics. Along the way it checks that a forward
// that keeps α gives the same output, statistics and mask, and that the weights computed
// again from the statistics are the bits the forward kept.
template <typename T>
Outputs<T> fused(const CsrGraph& g, const Matrix<T>& s_src, const Matrix<T>& s_dst, T slope,
                 const AttentionDropout& d, const Matrix<T>& z, const Matrix<T>& grad_out) {
  const Eigen::Index n = g.num_nodes(), h = s_src.cols();
  Outputs<T> o;
  o.alpha.resize(3, 1);  // stale shape: the forward must resize it
  o.out.resize(n, z.cols());
  DropoutMask mask{1, 2, 3};  // stale contents: the forward must replace them
  SoftmaxStats<T> stats;
  gat_attention_forward<T>(g, s_src, s_dst, slope, d, z, o.out, stats, mask, &o.alpha);
  EXPECT_EQ(mask.size(), d.rate > 0 ? static_cast<std::size_t>(g.num_edges() * ((h + 7) / 8)) : 0);
  EXPECT_EQ(stats.max.rows(), n);
  EXPECT_EQ(stats.max.cols(), h);
  EXPECT_EQ(stats.inv_sum.rows(), n);
  EXPECT_EQ(stats.inv_sum.cols(), h);
  Matrix<T> again(g.num_edges(), h);
  gat_attention_weights<T>(g, s_src, s_dst, slope, stats, again);
  EXPECT_TRUE(again == o.alpha) << "the weights computed again from the statistics";

  // Training: no weights kept. The output, statistics and mask are the same.
  Matrix<T> out(n, z.cols());
  DropoutMask train_mask;
  SoftmaxStats<T> train_stats{Matrix<T>::Ones(2, 2), Matrix<T>::Ones(1, 3)};  // stale shapes
  gat_attention_forward<T>(g, s_src, s_dst, slope, d, z, out, train_stats, train_mask, nullptr);
  EXPECT_TRUE(out == o.out) << "out without alpha";
  EXPECT_TRUE(train_stats.max == stats.max) << "max without alpha";
  EXPECT_TRUE(train_stats.inv_sum == stats.inv_sum) << "inv_sum without alpha";
  EXPECT_EQ(train_mask, mask);

  o.grad_s_src = Matrix<T>::Zero(n, h);
  o.grad_s_dst = Matrix<T>::Zero(n, h);
  o.grad_z = Matrix<T>::Ones(n, z.cols());
  gat_attention_backward<T>(g, s_src, s_dst, slope, d.rate, train_mask, train_stats, nullptr, z,
                            grad_out, o.grad_s_src, o.grad_s_dst, o.grad_z);

  // A backward that reads the kept weights instead of computing them gives the same bits.
  Matrix<T> gs = Matrix<T>::Zero(n, h), gd = Matrix<T>::Zero(n, h);
  Matrix<T> gz = Matrix<T>::Ones(n, z.cols());
  gat_attention_backward<T>(g, s_src, s_dst, slope, d.rate, mask, stats, &o.alpha, z, grad_out, gs,
                            gd, gz);
  EXPECT_TRUE(gs == o.grad_s_src) << "grad_s_src from the kept weights";
  EXPECT_TRUE(gd == o.grad_s_dst) << "grad_s_dst from the kept weights";
  EXPECT_TRUE(gz == o.grad_z) << "grad_z from the kept weights";
  return o;
}

template <typename T>
void expect_same(const Outputs<T>& a, const Outputs<T>& b) {
  // operator== on Eigen matrices compares every entry exactly.
  EXPECT_TRUE(a.alpha == b.alpha) << "alpha";
  EXPECT_TRUE(a.out == b.out) << "out";
  EXPECT_TRUE(a.grad_s_src == b.grad_s_src) << "grad_s_src";
  EXPECT_TRUE(a.grad_s_dst == b.grad_s_dst) << "grad_s_dst";
  EXPECT_TRUE(a.grad_z == b.grad_z) << "grad_z";
}

template <typename T>
void check_case(const CsrGraph& g, const Case& c, std::uint64_t seed) {
  const Eigen::Index n = g.num_nodes();
  const Matrix<T> s_src = random_matrix(n, c.heads, seed, -3, 3).cast<T>();
  const Matrix<T> s_dst = random_matrix(n, c.heads, seed + 1, -3, 3).cast<T>();
  const Matrix<T> z = random_matrix(n, c.heads * c.features, seed + 2).cast<T>();
  const Matrix<T> grad_out = random_matrix(n, c.heads * c.features, seed + 3).cast<T>();
  const AttentionDropout d{c.rate, CounterRng(seed, 4, 1, kStreamAttentionDropout)};
  const T slope = T(0.2);
  expect_same(separate<T>(g, s_src, s_dst, slope, d, z, grad_out),
              fused<T>(g, s_src, s_dst, slope, d, z, grad_out));
}

class GatAttention : public ::testing::TestWithParam<Case> {};

TEST_P(GatAttention, SameBitsAsTheSeparateOps) {
  const Case c = GetParam();
  for (const CsrGraph& g :
       {test::random_graph(7), test::big_random_graph(3), test::small_aggregate_graph()}) {
    SCOPED_TRACE("graph with " + std::to_string(g.num_edges()) + " edges");
    check_case<float>(g, c, 11);
    check_case<double>(g, c, 12);
  }
}

TEST_P(GatAttention, SameBitsAtOneAndTwoThreads) {
  const Case c = GetParam();
  const CsrGraph g = test::big_random_graph(5);
  test::expect_same_bits([&] {
    const Eigen::Index n = g.num_nodes();
    const Matrix<float> s_src = random_matrix(n, c.heads, 1, -3, 3).cast<float>();
    const Matrix<float> s_dst = random_matrix(n, c.heads, 2, -3, 3).cast<float>();
    const Matrix<float> z = random_matrix(n, c.heads * c.features, 3).cast<float>();
    const Matrix<float> grad_out = random_matrix(n, c.heads * c.features, 4).cast<float>();
    const AttentionDropout d{c.rate, CounterRng(9, 0, 0, kStreamAttentionDropout)};
    Outputs<float> o = fused<float>(g, s_src, s_dst, 0.2f, d, z, grad_out);
    return std::vector<Matrix<float>>{o.alpha, o.out, o.grad_s_src, o.grad_s_dst, o.grad_z};
  });
}

// 8 × 8 and 1 × 8 have compile-time kernels, 1 × 7 and 16 × 4 compile-time heads only, 3 × 5
// and 10 × 2 run-time shapes (10 and 16 heads: two mask bytes per slot).
INSTANTIATE_TEST_SUITE_P(Shapes, GatAttention,
                         ::testing::Values(Case{8, 8, 0.6}, Case{8, 8, 0.0}, Case{1, 8, 0.5},
                                           Case{1, 7, 0.6}, Case{1, 7, 0.0}, Case{3, 5, 0.3},
                                           Case{10, 2, 0.5}, Case{16, 4, 0.5}),
                         [](const ::testing::TestParamInfo<Case>& shape) {
                           return "H" + std::to_string(shape.param.heads) + "F" +
                                  std::to_string(shape.param.features) +
                                  (shape.param.rate > 0 ? "Dropout" : "");
                         });

TEST(GatAttention, HandComputedWeights) {
  // Equal scores: each neighbourhood's weights are 1 / degree.
  const CsrGraph g = test::small_aggregate_graph();
  const Matrix<double> s = Matrix<double>::Zero(4, 1);
  const Matrix<double> z = random_matrix(4, 2, 5);
  Matrix<double> alpha, out(4, 2);
  const AttentionDropout none{0.0, CounterRng(1, 0, 0, 0)};
  DropoutMask mask;
  SoftmaxStats<double> stats;
  gat_attention_forward<double>(g, s, s, 0.2, none, z, out, stats, mask, &alpha);
  ASSERT_EQ(alpha.rows(), g.num_edges());
  ASSERT_EQ(alpha.cols(), 1);
  // Node 2 has four in-slots with equal scores: a quarter each; node 0 one slot: weight 1.
  EXPECT_DOUBLE_EQ(alpha(0, 0), 1.0);
  for (EdgeId p = 1; p < 5; ++p) EXPECT_DOUBLE_EQ(alpha(p, 0), 0.25);
  EXPECT_TRUE(out.row(1).isZero()) << "node 1 has no in-edges";
  EXPECT_TRUE(out.row(3).isZero()) << "node 3 is isolated";
  EXPECT_DOUBLE_EQ(out(0, 0), z(1, 0));
  // Every score is LeakyReLU(0) = 0: maxima 0, sums 1 and 4; nodes without in-edges get zeros.
  EXPECT_TRUE(stats.max.isZero());
  EXPECT_DOUBLE_EQ(stats.inv_sum(0, 0), 1.0);
  EXPECT_DOUBLE_EQ(stats.inv_sum(2, 0), 0.25);
  EXPECT_EQ(stats.inv_sum(1, 0), 0.0);
  EXPECT_EQ(stats.inv_sum(3, 0), 0.0);
}

// A graph without nodes, and nodes without edges (kept weights or not): nothing to add.
TEST(GatAttention, EmptyGraphsLeaveTheGradientsAsTheyWere) {
  using MatrixD = Matrix<double>;
  for (const NodeId n : {0, 3}) {
    const CsrGraph g(n, std::vector<EdgeId>(static_cast<std::size_t>(n) + 1, 0), {});
    const MatrixD s = MatrixD::Ones(n, 2), z = MatrixD::Ones(n, 6);
    MatrixD out(n, 6), alpha;
    SoftmaxStats<double> stats;
    DropoutMask mask;
    gat_attention_forward<double>(g, s, s, 0.2, {0.5, CounterRng(1, 0, 0, 0)}, z, out, stats, mask,
                                  &alpha);
    const std::vector<const MatrixD*> weights = {nullptr, &alpha};
    for (const MatrixD* kept : weights) {
      MatrixD gs = MatrixD::Constant(n, 2, 3.0), gd = gs, gz = MatrixD::Constant(n, 6, 4.0);
      gat_attention_backward<double>(g, s, s, 0.2, 0.5, mask, stats, kept, z, z, gs, gd, gz);
      EXPECT_TRUE(gs == MatrixD::Constant(n, 2, 3.0) && gd == gs) << n << " nodes";
      EXPECT_TRUE(gz == MatrixD::Constant(n, 6, 4.0)) << n << " nodes";
    }
  }
}

TEST(GatAttention, RefusesShapesThatDisagree) {
  const CsrGraph g = test::small_aggregate_graph();
  const Matrix<float> s = Matrix<float>::Zero(4, 2), z = Matrix<float>::Zero(4, 6);
  Matrix<float> alpha(g.num_edges(), 2), out(4, 6);
  const AttentionDropout none{};
  DropoutMask mask;
  SoftmaxStats<float> stats;
  Matrix<float> out_short(3, 6);
  expect_error(
      [&] {
        gat_attention_forward<float>(g, s, s, 0.2f, none, z, out_short, stats, mask, nullptr);
      },
      "gat_attention_forward", "out");
  const Matrix<float> z_odd = Matrix<float>::Zero(4, 5);
  Matrix<float> out_odd(4, 5);
  expect_error(
      [&] {
        gat_attention_forward<float>(g, s, s, 0.2f, none, z_odd, out_odd, stats, mask, &alpha);
      },
      "z has shape (4, 5)", "multiple of H = 2");
  const AttentionDropout all{1.0, CounterRng(1, 0, 0, 0)};
  expect_error(
      [&] { gat_attention_forward<float>(g, s, s, 0.2f, all, z, out, stats, mask, nullptr); },
      "dropout rate must lie in [0, 1)");
  gat_attention_forward<float>(g, s, s, 0.2f, none, z, out, stats, mask, nullptr);
  Matrix<float> gs(4, 2), gd(4, 2), gz(4, 5);
  expect_error(
      [&] {
        gat_attention_backward<float>(g, s, s, 0.2f, 0.0, mask, stats, nullptr, z, out, gs, gd, gz);
      },
      "gat_attention_backward", "grad_z");
  Matrix<float> gz_ok(4, 6);
  expect_error(
      [&] {
        gat_attention_backward<float>(g, s, s, 0.2f, 0.5, mask, stats, nullptr, z, out, gs, gd,
                                      gz_ok);
      },
      "dropout mask has 0 bytes, expected 5");
  // Statistics of another graph or head count.
  SoftmaxStats<float> bad_max{Matrix<float>::Zero(3, 2), stats.inv_sum};
  expect_error(
      [&] {
        gat_attention_backward<float>(g, s, s, 0.2f, 0.0, mask, bad_max, nullptr, z, out, gs, gd,
                                      gz_ok);
      },
      "gat_attention_backward", "stats.max has shape (3, 2)");
  SoftmaxStats<float> bad_sum{stats.max, Matrix<float>::Zero(4, 1)};
  expect_error(
      [&] {
        gat_attention_backward<float>(g, s, s, 0.2f, 0.0, mask, bad_sum, nullptr, z, out, gs, gd,
                                      gz_ok);
      },
      "gat_attention_backward", "stats.inv_sum has shape (4, 1)");
  expect_error([&] { gat_attention_weights<float>(g, s, s, 0.2f, bad_sum, alpha); },
               "gat_attention_weights", "stats.inv_sum");
  Matrix<float> bad_alpha(g.num_edges() + 1, 2);
  expect_error([&] { gat_attention_weights<float>(g, s, s, 0.2f, stats, bad_alpha); },
               "gat_attention_weights", "alpha");
  expect_error(
      [&] {
        gat_attention_backward<float>(g, s, s, 0.2f, 0.0, mask, stats, &bad_alpha, z, out, gs, gd,
                                      gz_ok);
      },
      "gat_attention_backward", "alpha has shape");
}

}  // namespace
}  // namespace gat::ops
