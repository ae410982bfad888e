// Adam with L2 weight decay against a hand computation.

#include "gat/optim/adam.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "gat/core/error.hpp"

namespace gat {
namespace {

// Two steps on one weight w0 = 1 with gradient 0.5 (plus decay λ·w):
//   g1 = 0.5 + 0.1·1 = 0.6; m1 = 0.1·0.6; v1 = 0.001·0.36; m̂ = 0.6; v̂ = 0.36;
//   w1 = 1 - 0.01·0.6/(0.6 + ε).
TEST(Adam, MatchesHandComputation) {
  Parameter<double> p("w", 1, 1);
  p.value(0, 0) = 1.0;
  AdamOptions o;
  o.lr = 0.01;
  o.weight_decay = 0.1;
  Adam<double> adam({&p}, o);
  p.grad(0, 0) = 0.5;
  adam.step();
  const double w1 = 1.0 - 0.01 * 0.6 / (std::sqrt(0.36) + 1e-8);
  EXPECT_NEAR(p.value(0, 0), w1, 1e-15);
  // Second step: g2 = 0.5 + 0.1·w1.
  adam.step();
  const double g2 = 0.5 + 0.1 * w1;
  const double m2 = 0.9 * (0.1 * 0.6) + 0.1 * g2, v2 = 0.999 * (0.001 * 0.36) + 0.001 * g2 * g2;
  const double mhat = m2 / (1 - 0.81), vhat = v2 / (1 - 0.999 * 0.999);
  EXPECT_NEAR(p.value(0, 0), w1 - 0.01 * mhat / (std::sqrt(vhat) + 1e-8), 1e-15);
  EXPECT_EQ(adam.steps(), 2);
}

TEST(Adam, RejectsBadOptions) {
  Parameter<float> p("w", 1, 1);
  AdamOptions o;
  o.lr = 0;
  EXPECT_THROW(Adam<float>({&p}, o), Error);
  o.lr = 0.01;
  o.beta2 = 1.0;
  EXPECT_THROW(Adam<float>({&p}, o), Error);
}

}  // namespace
}  // namespace gat
