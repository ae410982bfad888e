// The cosine score, e[j→i, h] = β[h] · cos((W_q x_i)[h], z[j,h]), against values computed by
// hand, plus what it refuses. Its finite-difference, thread bit-identity and checkpoint tests
// are the registry-wide ones (gat_conv_variants_test.cpp, io/checkpoint_variants_test.cpp).

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>

#include "gat/core/error.hpp"
#include "gat/graph/build.hpp"
#include "gat/layers/gat_conv.hpp"
#include "support/op_fixtures.hpp"

namespace gat {
namespace {

using test::MatrixD;

GatConvOptions cosine_options() {
  GatConvOptions o;
  o.in_features = 2;
  o.out_features = 2;
  o.heads = 1;
  o.bias = false;
  o.score = parse_score_function("cosine");
  return o;
}

TEST(CosineScore, MatchesHandComputation) {
  GatConv<double> conv(cosine_options(), 0, 0);
  EXPECT_EQ(conv.parameter("inv_temperature").value(0, 0), 5.0) << "β starts at 1/τ₀ = 5";
  conv.parameter("weight").value << 1, 0, 0, 1;        // z = x
  conv.parameter("weight_query").value << 1, 0, 0, 1;  // q = x
  conv.parameter("inv_temperature").value << 2;
  // Edges 0 → 1 and 2 → 1, plus the self loops prepare_graph adds.
  const CsrGraph g = conv.prepare_graph(build_csr(3, {0, 2}, {1, 1}));
  MatrixD x(3, 2);
  x << 1, 0, 1, 1, 0, -1;
  GatConvCache<double> cache;
  const MatrixD out = conv.forward(g, x, cache, ForwardContext{});
  // Node 1: q = (1, 1)/√2; cos with z_0 = (1, 0), z_1 = (1, 1), z_2 = (0, −1) is
  // 1/√2, 1, −1/√2, so e = 2·cos = √2, 2, −√2.
  const double e[3] = {std::sqrt(2.0), 2.0, -std::sqrt(2.0)};
  const double denom = std::exp(e[0]) + std::exp(e[1]) + std::exp(e[2]);
  MatrixD expected_row = MatrixD::Zero(1, 2);
  for (EdgeId p = g.row_ptr()[1]; p < g.row_ptr()[2]; ++p) {
    const NodeId j = g.src()[p];
    const double alpha = std::exp(e[j]) / denom;
    EXPECT_NEAR(cache.attention()(p, 0), alpha, 1e-12) << "edge " << j << " → 1";
    expected_row += alpha * x.row(j);
  }
  test::expect_matrix_near(MatrixD(out.row(1)), expected_row, 1e-12);
  // Nodes 0 and 2 only have their self loop: weight 1 on themselves.
  test::expect_matrix_near(MatrixD(out.row(0)), MatrixD(x.row(0)), 1e-12);
}

TEST(CosineScore, IsScaleInvariantInTheFeatures) {
  // Scaling x scales q and z alike: the cosines, hence the weights, do not change.
  GatConv<double> conv(cosine_options(), 3, 0);
  const CsrGraph g = conv.prepare_graph(build_csr(4, {0, 1, 2, 3, 0}, {1, 2, 3, 0, 2}));
  const MatrixD x = test::random_matrix(4, 2, 8);
  GatConvCache<double> a, b;
  conv.forward(g, x, a, ForwardContext{});
  const MatrixD scaled = 1000.0 * x;
  conv.forward(g, scaled, b, ForwardContext{});
  test::expect_matrix_near(a.attention(), b.attention(), 1e-12);
}

TEST(CosineScore, AZeroRowStaysFinite) {
  // A node whose features are all zero has no direction: its cosines are 0, not NaN.
  GatConv<double> conv(cosine_options(), 1, 0);
  const CsrGraph g = conv.prepare_graph(build_csr(3, {0, 2}, {1, 1}));
  MatrixD x(3, 2);
  x << 1, 0, 0, 0, 0, -1;
  GatConvCache<double> cache;
  const MatrixD out = conv.forward(g, x, cache, ForwardContext{});
  EXPECT_TRUE(out.allFinite());
  MatrixD grad_x;
  conv.backward(g, cache, MatrixD::Ones(3, 2), &grad_x);
  EXPECT_TRUE(grad_x.allFinite());
}

TEST(CosineScore, RefusesMultiDimensionalAttention) {
  GatConvOptions o = cosine_options();
  o.multi_dim = true;
  try {
    GatConv<double>(o, 0, 0);
    ADD_FAILURE() << "multi-dimensional cosine accepted";
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), ::testing::HasSubstr("cosine"));
    EXPECT_THAT(e.what(), ::testing::HasSubstr("multi_dim"));
  }
}

}  // namespace
}  // namespace gat
