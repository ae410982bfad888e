// Channel-wise aggregation (multi-dimensional attention): out[i, c] = Σ_{p = (j → i)}
// alpha[p, c] · z[j, c] for C = H·F channels. The dedicated kernel must agree with
// aggregate_forward/backward called with C heads of width 1, which computes the same sums in the
// same order.

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "gat/ops/aggregate.hpp"
#include "support/gradcheck.hpp"
#include "support/graphs.hpp"
#include "support/op_fixtures.hpp"

namespace gat::ops {
namespace {

using test::check_graph;
using test::expect_error;
using test::expect_gradient;
using test::expect_matrix_near;
using test::expect_same_bits;
using test::MatrixD;
using test::random_graph;
using test::random_matrix;
using test::small_aggregate_graph;
using test::weighted_sum;
using MatrixF = Matrix<float>;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// The hand-computed tests run on small_aggregate_graph(), drawn in support/graphs.hpp: N = 4,
// E = 5, slots 0..4 = edges 1→0, 0→2, 1→2, 1→2 (a duplicate), 2→2 (a self loop); node 1 has no
// in-edges and node 3 is isolated. C = 3 channels.

MatrixD small_z() {
  MatrixD z(4, 3);
  z << 1, 2, 3,    //
      10, -1, 4,   //
      0.5, 2, -2,  //
      7, 7, 7;
  return z;
}
// alpha (E, C): one weight per edge and channel.
MatrixD small_alpha() {
  MatrixD alpha(5, 3);
  alpha << 0.5, 2, 0,  //
      1, 0, -1,        //
      0.25, 1, 0.5,    //
      0.25, 0, 2,      //
      2, -1, 1;
  return alpha;
}

TEST(AggregateChannelsForward, HandComputed) {
  const CsrGraph g = small_aggregate_graph();
  ASSERT_EQ(g.src(), (std::vector<NodeId>{1, 0, 1, 1, 2}));
  // Prefilled with NaN: every entry must be overwritten, including rows without in-edges.
  MatrixD out = MatrixD::Constant(4, 3, kNaN);
  aggregate_channels_forward<double>(g, small_alpha(), small_z(), out);
  // out[0] = alpha0 ⊙ z1 = [0.5·10, 2·-1, 0·4]                        = [5, -2, 0]
  // out[1] = nothing flows in                                          = [0, 0, 0]
  // out[2] = alpha1 ⊙ z0 + alpha2 ⊙ z1 + alpha3 ⊙ z1 + alpha4 ⊙ z2, channel by channel:
  //   c = 0:  1·1  + 0.25·10 + 0.25·10 + 2·0.5  = 1 + 2.5 + 2.5 + 1     = 7
  //   c = 1:  0·2  + 1·-1    + 0·-1    - 1·2    = -1 - 2                = -3
  //   c = 2: -1·3  + 0.5·4   + 2·4     + 1·-2   = -3 + 2 + 8 - 2        = 5
  //   (the duplicate 1→2 counts twice with its own weights; the self loop brings z2 itself)
  // out[3] = nothing flows in (z3 = 7s must not leak anywhere)         = [0, 0, 0]
  MatrixD expected(4, 3);
  expected << 5, -2, 0,  //
      0, 0, 0,           //
      7, -3, 5,          //
      0, 0, 0;
  expect_matrix_near(out, expected);
}

TEST(AggregateChannelsBackward, HandComputed) {
  const CsrGraph g = small_aggregate_graph();
  MatrixD grad_out(4, 3);
  grad_out << 1, 0, -1,  //
      5, 5, 5,           // node 1 has no in-edges: its gradient must reach nothing
      0, 2, 1,           //
      9, 9, 9;           // node 3 is isolated: likewise
  MatrixD grad_alpha = MatrixD::Constant(5, 3, kNaN);  // overwritten
  MatrixD grad_z = MatrixD::Ones(4, 3);                // accumulated
  aggregate_channels_backward<double>(g, small_alpha(), small_z(), grad_out, grad_alpha, grad_z);
  // grad_alpha[p] = grad_out[dst p] ⊙ z[src p]:
  //   slot 0 (1→0): [1, 0, -1] ⊙ [10, -1, 4]     = [10, 0, -4]
  //   slot 1 (0→2): [0, 2, 1]  ⊙ [1, 2, 3]       = [0, 4, 3]
  //   slots 2, 3 (1→2): [0, 2, 1] ⊙ [10, -1, 4]  = [0, -2, 4]
  //   slot 4 (2→2): [0, 2, 1]  ⊙ [0.5, 2, -2]    = [0, 4, -2]
  MatrixD expected_alpha(5, 3);
  expected_alpha << 10, 0, -4,  //
      0, 4, 3,                  //
      0, -2, 4,                 //
      0, -2, 4,                 //
      0, 4, -2;
  expect_matrix_near(grad_alpha, expected_alpha);
  // grad_z[j] = 1 + Σ_{p out of j} alpha[p] ⊙ grad_out[dst p]:
  //   z0: slot 1   [1, 0, -1] ⊙ [0, 2, 1]                          = [0, 0, -1]
  //   z1: slot 0   [0.5, 2, 0] ⊙ [1, 0, -1]                         = [0.5, 0, 0]
  //     + slot 2   [0.25, 1, 0.5] ⊙ [0, 2, 1]                       = [0, 2, 0.5]
  //     + slot 3   [0.25, 0, 2] ⊙ [0, 2, 1]                         = [0, 0, 2]
  //   z2: slot 4   [2, -1, 1] ⊙ [0, 2, 1]                           = [0, -2, 1]
  //   z3: no out-edges
  MatrixD expected_z(4, 3);
  expected_z << 1, 1, 0,  //
      1.5, 3, 3.5,        //
      1, -1, 2,           //
      1, 1, 1;
  expect_matrix_near(grad_z, expected_z);
}

// ---- agreement with aggregate_* called with C heads of width 1 -------------------------------

// C channels: 3, 5 and 200 take the run-time-width kernel; 8 and 64 fixed-width ones.
class AggregateChannelsWidths : public ::testing::TestWithParam<int> {};

TEST_P(AggregateChannelsWidths, MatchesAggregateWithWidthOneHeads) {
  const Eigen::Index c = GetParam();
  // random_graph asserts that it has self loops, duplicate edges and an isolated node (11).
  const CsrGraph g = random_graph(171);
  const Eigen::Index n = g.num_nodes(), e = g.num_edges();
  const MatrixD alpha = random_matrix(e, c, 172), z = random_matrix(n, c, 173);
  const MatrixD grad_out = random_matrix(n, c, 174), grad_z0 = random_matrix(n, c, 175);

  // Double: the same products summed in the same order (slot order for out, transposed-slot
  // order onto grad_z's old value for grad_z). grad_alpha is one product per entry: the same
  // bits. The sums may still differ in the last bit, as whether a multiply and an add are
  // fused into one FMA is the compiler's choice per loop (GCC contracts across Eigen's inlined
  // packet ops, clang does not); 1e-14 on values of order 1 is that and nothing more.
  MatrixD out_ref(n, c), out = MatrixD::Constant(n, c, kNaN);
  aggregate_forward<double>(g, alpha, z, out_ref);
  aggregate_channels_forward<double>(g, alpha, z, out);
  expect_matrix_near(out, out_ref, 1e-14);
  MatrixD grad_alpha_ref(e, c), grad_z_ref = grad_z0;
  aggregate_backward<double>(g, alpha, z, grad_out, grad_alpha_ref, grad_z_ref);
  MatrixD grad_alpha = MatrixD::Constant(e, c, kNaN), grad_z = grad_z0;
  aggregate_channels_backward<double>(g, alpha, z, grad_out, grad_alpha, grad_z);
  EXPECT_EQ(grad_alpha, grad_alpha_ref);
  expect_matrix_near(grad_z, grad_z_ref, 1e-14);

  // Float: to float precision (inputs in [-1, 1), at most a handful of terms per sum).
  const MatrixF alpha_f = alpha.cast<float>(), z_f = z.cast<float>();
  const MatrixF grad_out_f = grad_out.cast<float>();
  MatrixF out_f_ref(n, c), out_f(n, c);
  aggregate_forward<float>(g, alpha_f, z_f, out_f_ref);
  aggregate_channels_forward<float>(g, alpha_f, z_f, out_f);
  expect_matrix_near(out_f.cast<double>(), out_f_ref.cast<double>(), 1e-6);
  MatrixF grad_alpha_f_ref(e, c), grad_z_f_ref = grad_z0.cast<float>();
  aggregate_backward<float>(g, alpha_f, z_f, grad_out_f, grad_alpha_f_ref, grad_z_f_ref);
  MatrixF grad_alpha_f(e, c), grad_z_f = grad_z0.cast<float>();
  aggregate_channels_backward<float>(g, alpha_f, z_f, grad_out_f, grad_alpha_f, grad_z_f);
  expect_matrix_near(grad_alpha_f.cast<double>(), grad_alpha_f_ref.cast<double>(), 1e-6);
  expect_matrix_near(grad_z_f.cast<double>(), grad_z_f_ref.cast<double>(), 1e-6);
}

// ---- finite differences ------------------------------------------------------------------------

void check_channel_gradients(const CsrGraph& g, Eigen::Index c, std::uint64_t seed) {
  const Eigen::Index n = g.num_nodes(), e = g.num_edges();
  MatrixD alpha = random_matrix(e, c, seed);
  MatrixD z = random_matrix(n, c, seed + 1);
  const MatrixD w = random_matrix(n, c, seed + 2);
  // L = Σ w ⊙ out, so that grad_out = w.
  auto loss = [&] {
    MatrixD out(n, c);
    aggregate_channels_forward<double>(g, alpha, z, out);
    return weighted_sum(out, w);
  };
  MatrixD grad_alpha = MatrixD::Constant(e, c, kNaN);  // overwritten
  const MatrixD grad_z0 = random_matrix(n, c, seed + 3);
  MatrixD grad_z = grad_z0;  // accumulated
  aggregate_channels_backward<double>(g, alpha, z, w, grad_alpha, grad_z);
  expect_gradient("aggregate_channels grad_alpha", alpha, grad_alpha, loss);
  expect_gradient("aggregate_channels grad_z", z, grad_z - grad_z0, loss);
}

TEST_P(AggregateChannelsWidths, GradientCheckGraph) {
  check_channel_gradients(check_graph(), GetParam(), 181);
}

TEST_P(AggregateChannelsWidths, GradientRandomGraph) {
  check_channel_gradients(random_graph(185), GetParam(), 186);
}

INSTANTIATE_TEST_SUITE_P(Channels, AggregateChannelsWidths, ::testing::Values(3, 5, 8, 64, 200),
                         [](const auto& param_info) {
                           return "C" + std::to_string(param_info.param);
                         });

// ---- properties ------------------------------------------------------------------------------

TEST(AggregateChannelsBackward, GradAlphaMayBeAlpha) {
  const CsrGraph g = random_graph(191);
  const Eigen::Index n = g.num_nodes(), e = g.num_edges(), c = 8;
  const MatrixD alpha = random_matrix(e, c, 192), z = random_matrix(n, c, 193);
  const MatrixD grad_out = random_matrix(n, c, 194);
  MatrixD grad_alpha(e, c), grad_z = MatrixD::Zero(n, c);
  aggregate_channels_backward<double>(g, alpha, z, grad_out, grad_alpha, grad_z);
  MatrixD in_place = alpha, grad_z_in_place = MatrixD::Zero(n, c);
  aggregate_channels_backward<double>(g, in_place, z, grad_out, in_place, grad_z_in_place);
  EXPECT_EQ(in_place, grad_alpha);
  EXPECT_EQ(grad_z_in_place, grad_z);
}

TEST(AggregateChannels, BitIdenticalAtOneAndTwoThreads) {
  // A graph large enough to split into many chunks: N = 3000, 8 random in-edges per node on
  // average (duplicates kept) plus one self loop each.
  const CsrGraph g = test::random_multigraph(197, 3000, 3000, 8 * 3000,
                                             {false, Duplicates::kKeep, SelfLoops::kAdd});
  for (const Eigen::Index c : {Eigen::Index{64}, Eigen::Index{5}}) {
    SCOPED_TRACE("C = " + std::to_string(c));
    const Eigen::Index n = g.num_nodes(), e = g.num_edges();
    const MatrixF alpha = random_matrix(e, c, 198).cast<float>();
    const MatrixF z = random_matrix(n, c, 199).cast<float>();
    const MatrixF grad_out = random_matrix(n, c, 200).cast<float>();
    const MatrixF grad_z0 = random_matrix(n, c, 201).cast<float>();
    expect_same_bits([&] {
      MatrixF out(n, c), grad_alpha(e, c), grad_z = grad_z0;
      aggregate_channels_forward<float>(g, alpha, z, out);
      aggregate_channels_backward<float>(g, alpha, z, grad_out, grad_alpha, grad_z);
      return std::vector<MatrixF>{out, grad_alpha, grad_z};
    });
  }
}

TEST(AggregateChannels, EmptyGraphAndNoChannels) {
  const CsrGraph empty;
  const MatrixD alpha(0, 4), z(0, 4);
  MatrixD out(0, 4), grad_alpha(0, 4), grad_z(0, 4);
  aggregate_channels_forward<double>(empty, alpha, z, out);
  aggregate_channels_backward<double>(empty, alpha, z, out, grad_alpha, grad_z);
  EXPECT_EQ(out.size(), 0);
  // C = 0 is a valid (if useless) width: nothing to compute.
  const CsrGraph g = small_aggregate_graph();
  MatrixD out0(4, 0), grad_alpha0(5, 0), grad_z0(4, 0);
  aggregate_channels_forward<double>(g, MatrixD(5, 0), MatrixD(4, 0), out0);
  aggregate_channels_backward<double>(g, MatrixD(5, 0), MatrixD(4, 0), out0, grad_alpha0, grad_z0);
  EXPECT_EQ(out0.size(), 0);
}

TEST(AggregateChannels, ShapeMismatchesThrow) {
  const CsrGraph g = small_aggregate_graph();          // N = 4, E = 5
  const MatrixD alpha = small_alpha(), z = small_z();  // (5, 3), (4, 3)
  MatrixD out(4, 3), grad_alpha(5, 3), grad_z(4, 3);
  const MatrixD grad_out = MatrixD::Zero(4, 3);
  // Forward: z with the wrong node count, alpha with the wrong edge count or width, out.
  expect_error([&] { aggregate_channels_forward<double>(g, alpha, MatrixD(3, 3), out); },
               "aggregate_channels_forward", "z has 3 rows", "4 nodes");
  expect_error([&] { aggregate_channels_forward<double>(g, MatrixD(4, 3), z, out); },
               "aggregate_channels_forward", "alpha has shape (4, 3)", "(5, 3)");
  expect_error([&] { aggregate_channels_forward<double>(g, MatrixD(5, 2), z, out); },
               "alpha has shape (5, 2)");
  MatrixD wrong_out(4, 2);
  expect_error([&] { aggregate_channels_forward<double>(g, alpha, z, wrong_out); },
               "out has shape (4, 2)", "(4, 3)");
  // Backward: each argument in turn.
  expect_error(
      [&] {
        aggregate_channels_backward<double>(g, MatrixD(5, 1), z, grad_out, grad_alpha, grad_z);
      },
      "aggregate_channels_backward", "alpha has shape (5, 1)");
  expect_error(
      [&] { aggregate_channels_backward<double>(g, alpha, z, MatrixD(4, 2), grad_alpha, grad_z); },
      "grad_out has shape (4, 2)");
  MatrixD wrong_grad_alpha(6, 3), wrong_grad_z(5, 3);
  expect_error(
      [&] { aggregate_channels_backward<double>(g, alpha, z, grad_out, wrong_grad_alpha, grad_z); },
      "grad_alpha has shape (6, 3)", "(5, 3)");
  expect_error(
      [&] { aggregate_channels_backward<double>(g, alpha, z, grad_out, grad_alpha, wrong_grad_z); },
      "grad_z has shape (5, 3)", "(4, 3)");
}

}  // namespace
}  // namespace gat::ops
