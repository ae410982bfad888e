// Linear: hand-computed forward, Glorot initialisation keyed by (seed, layer, ordinal),
// parameter names, gradient accumulation and finite-difference checks (double precision).

#include "gat/layers/linear.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "gat/core/error.hpp"
#include "support/gradcheck.hpp"

namespace gat {
namespace {

using test::expect_gradient;
using test::expect_matrix_near;
using test::MatrixD;
using test::random_matrix;
using test::weighted_sum;

TEST(Linear, ForwardHandComputed) {
  // W = [[1, 0, 2], [0, -1, 1]], b = (0.5, 0, -1):
  //   x = (1, 2)  → (1, -2, 2 + 2) + b = (1.5, -2, 3)
  //   x = (3, -1) → (3, 1, 6 - 1) + b = (3.5, 1, 4)
  Linear<double> lin(2, 3, true, 0, 0, 0, "head");
  lin.weight.value << 1, 0, 2,  //
      0, -1, 1;
  lin.bias.value << 0.5, 0, -1;
  MatrixD x(2, 2);
  x << 1, 2, 3, -1;
  MatrixD expected(2, 3);
  expected << 1.5, -2, 3, 3.5, 1, 4;
  expect_matrix_near(lin.forward(x), expected, 0.0);
}

TEST(Linear, NamesAndParameters) {
  Linear<double> with_bias(4, 2, true, 1, 2, 3, "pool.gate");
  ASSERT_EQ(with_bias.parameters().size(), 2u);
  EXPECT_EQ(with_bias.parameters()[0], &with_bias.weight);
  EXPECT_EQ(with_bias.parameters()[1], &with_bias.bias);
  EXPECT_EQ(with_bias.weight.name, "pool.gate.weight");
  EXPECT_EQ(with_bias.bias.name, "pool.gate.bias");
  EXPECT_EQ(with_bias.in_features(), 4);
  EXPECT_EQ(with_bias.out_features(), 2);
  Linear<double> bare(4, 2, false, 1, 2, 3, "");
  ASSERT_EQ(bare.parameters().size(), 1u);
  EXPECT_EQ(bare.weight.name, "weight");
  EXPECT_FALSE(bare.has_bias());
  // Without a bias the output is x·W alone.
  const MatrixD x = random_matrix(3, 4, 1);
  expect_matrix_near(bare.forward(x), x * bare.weight.value, 1e-15);
}

TEST(Linear, GlorotInitialisationIsKeyedAndBounded) {
  // U(-b, b) with b = sqrt(6 / (in + out)); the same key gives the same weights, another
  // seed, layer or ordinal different ones; the bias starts at zero.
  const Linear<double> a(30, 20, true, 7, 1, 2, "a");
  const double bound = std::sqrt(6.0 / 50);
  EXPECT_LE(a.weight.value.cwiseAbs().maxCoeff(), bound);
  EXPECT_GT(a.weight.value.cwiseAbs().maxCoeff(), 0.9 * bound);  // 600 draws fill the range
  EXPECT_LT(std::abs(a.weight.value.mean()), 0.05);
  EXPECT_TRUE((a.bias.value.array() == 0).all());
  EXPECT_TRUE(Linear<double>(30, 20, true, 7, 1, 2, "b").weight.value == a.weight.value);
  EXPECT_FALSE(Linear<double>(30, 20, true, 8, 1, 2, "a").weight.value == a.weight.value);
  EXPECT_FALSE(Linear<double>(30, 20, true, 7, 0, 2, "a").weight.value == a.weight.value);
  EXPECT_FALSE(Linear<double>(30, 20, true, 7, 1, 1, "a").weight.value == a.weight.value);
  // float draws the same numbers, rounded.
  const Linear<float> f(30, 20, true, 7, 1, 2, "a");
  EXPECT_TRUE(f.weight.value == a.weight.value.cast<float>());
}

// L = Σ w ⊙ (x·W + b) against central differences, for W, b and x.
void check_linear_gradient(bool bias) {
  Linear<double> lin(5, 3, bias, 4, 0, 0, "lin");
  if (bias) lin.bias.value = random_matrix(1, 3, 2);
  MatrixD x = random_matrix(7, 5, 3);
  const MatrixD w = random_matrix(7, 3, 4);
  MatrixD grad_x = MatrixD::Constant(2, 2, 99.0);  // resized and overwritten
  lin.backward(x, w, &grad_x);
  auto loss = [&] { return weighted_sum(lin.forward(x), w); };
  for (auto* p : lin.parameters()) {
    const MatrixD analytic = p->grad;
    expect_gradient(p->name, p->value, analytic, loss);
  }
  expect_gradient("input", x, grad_x, loss);
}

TEST(Linear, GradientMatchesFiniteDifferences) { check_linear_gradient(true); }
TEST(Linear, GradientWithoutBias) { check_linear_gradient(false); }

TEST(Linear, BackwardAccumulatesParameterGradients) {
  // Two backward passes add up; the input gradient is overwritten each time; no input
  // gradient is needed for the parameter gradients.
  Linear<double> lin(3, 2, true, 5, 0, 0, "lin");
  const MatrixD x = random_matrix(4, 3, 6), g = random_matrix(4, 2, 7);
  MatrixD grad_x;
  lin.backward(x, g, &grad_x);
  const MatrixD w1 = lin.weight.grad, b1 = lin.bias.grad, x1 = grad_x;
  lin.backward(x, g, nullptr);
  expect_matrix_near(lin.weight.grad, 2 * w1, 1e-14);
  expect_matrix_near(lin.bias.grad, 2 * b1, 1e-14);
  lin.backward(x, g, &grad_x);
  expect_matrix_near(grad_x, x1, 0.0);
  expect_matrix_near(lin.bias.grad, 3 * g.colwise().sum(), 1e-14);
}

TEST(Linear, RejectsBadShapes) {
  EXPECT_THROW(Linear<double>(0, 3, true, 0, 0, 0, "x"), Error);
  EXPECT_THROW(Linear<double>(3, 0, true, 0, 0, 0, "x"), Error);
  Linear<double> lin(3, 2, true, 0, 0, 0, "pool.feature");
  EXPECT_THROW(lin.forward(MatrixD::Zero(4, 2)), Error);
  EXPECT_THROW(lin.backward(MatrixD::Zero(4, 3), MatrixD::Zero(4, 3), nullptr), Error);
  EXPECT_THROW(lin.backward(MatrixD::Zero(4, 3), MatrixD::Zero(5, 2), nullptr), Error);
  try {
    lin.forward(MatrixD::Zero(4, 2));
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("pool.feature.weight"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace gat
