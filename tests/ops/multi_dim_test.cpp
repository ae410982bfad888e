// Multi-dimensional ("per-channel") attention from the existing primitives. The original GAT
// score with one attention weight per feature channel c = h·F + f,
//   e[p, c]     = LeakyReLU(a_dst[c] · z[i, c] + a_src[c] · z[j, c])     for slot p = (j → i)
//   alpha[:, c] = softmax of e[:, c] over each neighbourhood
//   out[i, c]   = Σ_{p into i} alpha[p, c] · z[j, c],
// is plain GAT with the H·F channels as H·F heads of width 1: a (H, F) read as (H·F, 1)
// makes head_dot compute s = z ⊙ a, edge_score and segment_softmax run on H·F columns,
// and aggregate takes alpha (E, H·F) with z as H·F heads of one feature. These tests check
// that the existing kernels (and their width dispatch) give exactly that, forward and
// backward, and that the multi-dimensional score kernels (edge_dot_multidim,
// edge_additive_multidim) compose with them the same way.

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <utility>
#include <vector>

#include "gat/ops/aggregate.hpp"
#include "gat/ops/edge_additive.hpp"
#include "gat/ops/edge_dot.hpp"
#include "gat/ops/edge_score.hpp"
#include "gat/ops/segment_softmax.hpp"
#include "support/gradcheck.hpp"
#include "support/graphs.hpp"
#include "support/op_fixtures.hpp"

namespace gat::ops {
namespace {

using test::check_graph;
using test::expect_gradient;
using test::expect_matrix_near;
using test::expect_same_bits;
using test::grid_matrix;
using test::MatrixD;
using test::random_graph;
using test::random_matrix;
using test::weighted_sum;
using MatrixF = Matrix<float>;

constexpr double kSlope = 0.2;

// An (H, F) attention matrix seen as (H·F, 1): H·F heads of one feature each.
template <typename T>
Eigen::Map<const Matrix<T>> as_channel_heads(const Matrix<T>& a) {
  return Eigen::Map<const Matrix<T>>(a.data(), a.size(), 1);
}
template <typename T>
Eigen::Map<Matrix<T>> as_channel_heads(Matrix<T>& a) {
  return Eigen::Map<Matrix<T>>(a.data(), a.size(), 1);
}

// What the forward keeps for the backward.
template <typename T>
struct PerChannelCache {
  Matrix<T> s_src, s_dst, alpha;
};

// Per-channel GAT through the existing kernels (see the top of the file).
template <typename T>
Matrix<T> per_channel_forward(const CsrGraph& g, const Matrix<T>& z, const Matrix<T>& a_src,
                              const Matrix<T>& a_dst, PerChannelCache<T>& cache) {
  const Eigen::Index n = g.num_nodes(), w = z.cols();
  cache.s_src.resize(n, w);
  cache.s_dst.resize(n, w);
  head_dot_forward<T>(z, as_channel_heads(a_src), cache.s_src);  // z ⊙ a_src
  head_dot_forward<T>(z, as_channel_heads(a_dst), cache.s_dst);  // z ⊙ a_dst
  cache.alpha.resize(g.num_edges(), w);
  edge_score_forward<T>(g, cache.s_src, cache.s_dst, T(kSlope), cache.alpha);
  segment_softmax_forward<T>(g.row_ptr(), cache.alpha, cache.alpha);
  Matrix<T> out(n, w);
  aggregate_forward<T>(g, cache.alpha, z, out);  // alpha (E, H·F): H·F heads of width 1
  return out;
}

// Its backward, the same composition as GatConv::backward. Gradients accumulate.
template <typename T>
void per_channel_backward(const CsrGraph& g, const Matrix<T>& z, const Matrix<T>& a_src,
                          const Matrix<T>& a_dst, const PerChannelCache<T>& cache,
                          const Matrix<T>& grad_out, Matrix<T>& grad_z, Matrix<T>& grad_a_src,
                          Matrix<T>& grad_a_dst) {
  const Eigen::Index n = g.num_nodes(), w = z.cols();
  Matrix<T> grad_alpha(g.num_edges(), w);
  aggregate_backward<T>(g, cache.alpha, z, grad_out, grad_alpha, grad_z);
  segment_softmax_backward<T>(g.row_ptr(), cache.alpha, grad_alpha, grad_alpha);
  Matrix<T> grad_s_src = Matrix<T>::Zero(n, w), grad_s_dst = Matrix<T>::Zero(n, w);
  edge_score_backward<T>(g, cache.s_src, cache.s_dst, T(kSlope), grad_alpha, grad_s_src,
                         grad_s_dst);
  head_dot_backward<T>(z, as_channel_heads(a_src), grad_s_src, grad_z,
                       as_channel_heads(grad_a_src));
  head_dot_backward<T>(z, as_channel_heads(a_dst), grad_s_dst, grad_z,
                       as_channel_heads(grad_a_dst));
}

// Reference: node by node and channel by channel, straight from the definition.
MatrixD reference_per_channel(const CsrGraph& g, const MatrixD& z, const MatrixD& a_src,
                              const MatrixD& a_dst) {
  const Eigen::Index w = z.cols(), f = a_src.cols();
  MatrixD out = MatrixD::Zero(g.num_nodes(), w);
  for (NodeId i = 0; i < g.num_nodes(); ++i) {
    const EdgeId b = g.row_ptr()[i], end = g.row_ptr()[i + 1];
    if (b == end) continue;
    for (Eigen::Index c = 0; c < w; ++c) {
      std::vector<double> score;
      for (EdgeId p = b; p < end; ++p) {
        const double x = a_dst(c / f, c % f) * z(i, c) + a_src(c / f, c % f) * z(g.src()[p], c);
        score.push_back(x > 0 ? x : kSlope * x);
      }
      const double mx = *std::max_element(score.begin(), score.end());
      double total = 0;
      for (double& s : score) total += (s = std::exp(s - mx));
      for (EdgeId p = b; p < end; ++p) out(i, c) += score[p - b] / total * z(g.src()[p], c);
    }
  }
  return out;
}

// (H, F) shapes. As H·F heads of width 1, (8, 8) is 64 heads and (16, 8) is 128: none of them
// has a fixed-shape aggregate kernel (dispatch_heads(H·F, 1) falls to the run-time one), and
// H·F = 8, 16 do have fixed-head-count edge_score / segment_softmax kernels.
class PerChannelShapes : public ::testing::TestWithParam<std::pair<int, int>> {};

TEST_P(PerChannelShapes, ForwardMatchesReference) {
  const auto [h, f] = GetParam();
  for (const CsrGraph& g : {check_graph(), random_graph(161)}) {
    const Eigen::Index n = g.num_nodes();
    const MatrixD z = random_matrix(n, h * f, 162, -2.0, 2.0);
    const MatrixD a_src = random_matrix(h, f, 163), a_dst = random_matrix(h, f, 164);
    const MatrixD expected = reference_per_channel(g, z, a_src, a_dst);
    PerChannelCache<double> cache;
    expect_matrix_near(per_channel_forward<double>(g, z, a_src, a_dst, cache), expected, 1e-13);
    PerChannelCache<float> cache_f;
    const MatrixF out_f = per_channel_forward<float>(g, z.cast<float>(), a_src.cast<float>(),
                                                     a_dst.cast<float>(), cache_f);
    expect_matrix_near(out_f.cast<double>(), expected, 1e-5);
  }
}

TEST_P(PerChannelShapes, Gradient) {
  const auto [h, f] = GetParam();
  const CsrGraph g = check_graph();
  const Eigen::Index n = g.num_nodes(), w = h * f;
  // No pre-activation near the kink of LeakyReLU, where a finite difference would straddle
  // it: the first draw (seeds 165, 168, ...) whose pre-activations all keep 1e-3 away.
  const std::vector<NodeId> dst = g.dst();
  MatrixD z, a_src, a_dst;
  auto off_kink = [&] {
    for (EdgeId p = 0; p < g.num_edges(); ++p) {
      for (Eigen::Index c = 0; c < w; ++c) {
        const double x =
            a_dst(c / f, c % f) * z(dst[p], c) + a_src(c / f, c % f) * z(g.src()[p], c);
        if (std::abs(x) < 1e-3) return false;
      }
    }
    return true;
  };
  std::uint64_t seed = 165;
  for (int attempt = 0;; ++attempt, seed += 3) {
    ASSERT_LT(attempt, 50) << "every draw had a pre-activation near the kink";
    z = random_matrix(n, w, seed, -2.0, 2.0);
    a_src = random_matrix(h, f, seed + 1);
    a_dst = random_matrix(h, f, seed + 2);
    if (off_kink()) break;
  }
  const MatrixD weight = random_matrix(n, w, 1168);
  auto loss = [&] {
    PerChannelCache<double> cache;
    return weighted_sum(weight, per_channel_forward<double>(g, z, a_src, a_dst, cache));
  };
  PerChannelCache<double> cache;
  per_channel_forward<double>(g, z, a_src, a_dst, cache);
  MatrixD grad_z = MatrixD::Zero(n, w), grad_a_src = MatrixD::Zero(h, f);
  MatrixD grad_a_dst = MatrixD::Zero(h, f);
  per_channel_backward<double>(g, z, a_src, a_dst, cache, weight, grad_z, grad_a_src, grad_a_dst);
  expect_gradient("per-channel GAT grad_z", z, grad_z, loss);
  expect_gradient("per-channel GAT grad_a_src", a_src, grad_a_src, loss);
  expect_gradient("per-channel GAT grad_a_dst", a_dst, grad_a_dst, loss);
}

INSTANTIATE_TEST_SUITE_P(HeadsByFeatures, PerChannelShapes,
                         ::testing::Values(std::pair{1, 1}, std::pair{3, 2}, std::pair{1, 8},
                                           std::pair{2, 8}, std::pair{3, 5}, std::pair{8, 8},
                                           std::pair{16, 8}),
                         test::heads_by_features_name);

TEST(PerChannel, OneChannelIsOneHeadOfWidthOne) {
  // With one channel per head (F = 1), per-channel attention is ordinary GAT with H heads:
  // the same kernels on the same data, so the same bits.
  const CsrGraph g = random_graph(171);
  const Eigen::Index n = g.num_nodes(), h = 4;
  const MatrixD z = random_matrix(n, h, 172), a_src = random_matrix(h, 1, 173);
  const MatrixD a_dst = random_matrix(h, 1, 174);
  PerChannelCache<double> cache;
  const MatrixD out = per_channel_forward<double>(g, z, a_src, a_dst, cache);
  MatrixD s_src(n, h), s_dst(n, h), alpha(g.num_edges(), h), expected(n, h);
  head_dot_forward<double>(z, a_src, s_src);
  head_dot_forward<double>(z, a_dst, s_dst);
  edge_score_forward<double>(g, s_src, s_dst, kSlope, alpha);
  segment_softmax_forward<double>(g.row_ptr(), alpha, alpha);
  aggregate_forward<double>(g, alpha, z, expected);
  EXPECT_TRUE(out == expected);
}

// ---- the multi-dimensional score kernels composed with softmax and aggregation --------------

// Per-channel GATv2: alpha = softmax(edge_additive_multidim(l, r, a)) per channel, and
// out[i, c] = Σ_p alpha[p, c] · v[j, c]. Returns out; alpha is kept for the backward.
MatrixD gatv2_per_channel_forward(const CsrGraph& g, const MatrixD& l, const MatrixD& r,
                                  const MatrixD& a, const MatrixD& v, MatrixD& alpha) {
  alpha.resize(g.num_edges(), v.cols());
  edge_additive_multidim_forward<double>(g, l, r, a, kSlope, alpha);
  segment_softmax_forward<double>(g.row_ptr(), alpha, alpha);
  MatrixD out(g.num_nodes(), v.cols());
  aggregate_forward<double>(g, alpha, v, out);
  return out;
}

TEST(PerChannel, AdditiveScoresComposeWithSoftmaxAndAggregation) {
  const CsrGraph g = check_graph();
  const Eigen::Index n = g.num_nodes(), h = 2, f = 3, w = h * f;
  // l and r on a grid (multiples of 0.1 plus 0.02): every l[i] + r[j] is at least 0.04 from
  // the kink of LeakyReLU.
  MatrixD l = grid_matrix(n, w, 175), r = grid_matrix(n, w, 176);
  MatrixD a = random_matrix(h, f, 177), v = random_matrix(n, w, 178);
  const MatrixD weight = random_matrix(n, w, 179);
  auto loss = [&] {
    MatrixD alpha;
    return weighted_sum(weight, gatv2_per_channel_forward(g, l, r, a, v, alpha));
  };
  MatrixD alpha;
  gatv2_per_channel_forward(g, l, r, a, v, alpha);
  MatrixD grad_alpha(g.num_edges(), w), grad_v = MatrixD::Zero(n, w);
  aggregate_backward<double>(g, alpha, v, weight, grad_alpha, grad_v);
  segment_softmax_backward<double>(g.row_ptr(), alpha, grad_alpha, grad_alpha);
  MatrixD grad_l = MatrixD::Zero(n, w), grad_r = MatrixD::Zero(n, w), grad_a = MatrixD::Zero(h, f);
  edge_additive_multidim_backward<double>(g, l, r, a, kSlope, grad_alpha, grad_l, grad_r, grad_a);
  expect_gradient("per-channel GATv2 grad_l", l, grad_l, loss);
  expect_gradient("per-channel GATv2 grad_r", r, grad_r, loss);
  expect_gradient("per-channel GATv2 grad_a", a, grad_a, loss);
  expect_gradient("per-channel GATv2 grad_v", v, grad_v, loss);
}

TEST(PerChannel, DotScoresComposeWithSoftmaxAndAggregation) {
  // Per-channel scaled-dot attention: alpha = softmax(q ⊙ k / √F) per channel, values v.
  const CsrGraph g = random_graph(181);
  const Eigen::Index n = g.num_nodes(), h = 3, f = 2, w = h * f;
  const double scale = 1 / std::sqrt(double(f));
  MatrixD q = random_matrix(n, w, 182), k = random_matrix(n, w, 183), v = random_matrix(n, w, 184);
  const MatrixD weight = random_matrix(n, w, 185);
  auto forward = [&](MatrixD& alpha) {
    alpha.resize(g.num_edges(), w);
    edge_dot_multidim_forward<double>(g, q, k, scale, alpha);
    segment_softmax_forward<double>(g.row_ptr(), alpha, alpha);
    MatrixD out(n, w);
    aggregate_forward<double>(g, alpha, v, out);
    return out;
  };
  auto loss = [&] {
    MatrixD alpha;
    return weighted_sum(weight, forward(alpha));
  };
  MatrixD alpha;
  forward(alpha);
  MatrixD grad_alpha(g.num_edges(), w), grad_v = MatrixD::Zero(n, w);
  aggregate_backward<double>(g, alpha, v, weight, grad_alpha, grad_v);
  segment_softmax_backward<double>(g.row_ptr(), alpha, grad_alpha, grad_alpha);
  MatrixD grad_q = MatrixD::Zero(n, w), grad_k = MatrixD::Zero(n, w);
  edge_dot_multidim_backward<double>(g, q, k, scale, grad_alpha, grad_q, grad_k);
  expect_gradient("per-channel dot grad_q", q, grad_q, loss);
  expect_gradient("per-channel dot grad_k", k, grad_k, loss);
  expect_gradient("per-channel dot grad_v", v, grad_v, loss);
}

TEST(PerChannel, SameBitsAtOneAndTwoThreads) {
  // 64 channels (H = 8, F = 8) as 64 heads of width 1 on 2000 nodes, forward and backward.
  const CsrGraph g = test::big_random_graph(187);
  const Eigen::Index n = g.num_nodes(), h = 8, f = 8;
  const MatrixF z = random_matrix(n, h * f, 188).cast<float>();
  const MatrixF a_src = random_matrix(h, f, 189).cast<float>();
  const MatrixF a_dst = random_matrix(h, f, 190).cast<float>();
  const MatrixF grad_out = random_matrix(n, h * f, 191).cast<float>();
  expect_same_bits([&] {
    PerChannelCache<float> cache;
    const MatrixF out = per_channel_forward<float>(g, z, a_src, a_dst, cache);
    MatrixF grad_z = MatrixF::Zero(n, h * f), grad_a_src = MatrixF::Zero(h, f);
    MatrixF grad_a_dst = MatrixF::Zero(h, f);
    per_channel_backward<float>(g, z, a_src, a_dst, cache, grad_out, grad_z, grad_a_src,
                                grad_a_dst);
    return std::vector<MatrixF>{out, cache.alpha, grad_z, grad_a_src, grad_a_dst};
  });
}

}  // namespace
}  // namespace gat::ops
