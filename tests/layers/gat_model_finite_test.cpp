// GatModel at inference refuses to return non-finite outputs: finite but huge weights (as a
// tampered or diverged checkpoint holds) overflow inside a layer, and the error names it,
// instead of predicting class 0 for every node with exit code 0.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "gat/core/error.hpp"
#include "gat/graph/build.hpp"
#include "gat/layers/gat_model.hpp"
#include "support/gradcheck.hpp"

namespace gat {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;

// 6 nodes: a triangle 0─1─2 and a path 3─4─5, both directions.
CsrGraph six_nodes() {
  const std::vector<NodeId> src{0, 1, 1, 2, 2, 0, 3, 4, 4, 5};
  const std::vector<NodeId> dst{1, 0, 2, 1, 0, 2, 4, 3, 5, 4};
  return build_csr(6, src, dst, {true, Duplicates::kDrop, SelfLoops::kKeep});
}

GatModelOptions small_options() {
  GatModelOptions o;
  o.in_features = 5;
  o.num_classes = 3;
  o.hidden = 4;
  o.heads = 2;
  return o;
}

std::string forward_error(const GatModel<float>& model, bool training) {
  const CsrGraph g = model.prepare_graph(six_nodes());
  const Matrix<float> x = test::random_matrix(6, 5, 3).cast<float>().cwiseAbs();
  GatModelCache<float> cache;
  try {
    const Matrix<float> out = model.forward(g, x, cache, ForwardContext{training, 1, 0});
    return out.allFinite() ? "finite" : "non-finite without an error";
  } catch (const Error& e) {
    return e.what();
  }
}

TEST(GatModelFinite, HugeWeightsAreAnErrorNamingTheLayer) {
  GatModel<float> model(small_options(), 7);
  EXPECT_EQ(forward_error(model, false), "finite");
  // 1e30 is a finite float, but x·W·a reaches 1e60: the first layer's scores overflow.
  for (auto* p : model.parameters()) p->value.setConstant(1e30f);
  EXPECT_THAT(forward_error(model, false),
              AllOf(HasSubstr("layer 1 of 2"), HasSubstr("non-finite"), HasSubstr("NaN or Inf")));
}

// Only the last layer's weights are huge: the error names layer 2.
TEST(GatModelFinite, NamesTheLayerWhereValuesFirstOverflow) {
  GatModel<float> model(small_options(), 7);
  for (auto* p : model.layers()[1].parameters()) p->value.setConstant(1e30f);
  EXPECT_THAT(forward_error(model, false), HasSubstr("layer 2 of 2"));
}

// In training the check is the trainer's (a non-finite loss is "training diverged"); the
// forward pass itself returns.
TEST(GatModelFinite, TrainingLeavesTheCheckToTheTrainer) {
  GatModel<float> model(small_options(), 7);
  for (auto* p : model.parameters()) p->value.setConstant(1e30f);
  EXPECT_EQ(forward_error(model, true), "non-finite without an error");
}

}  // namespace
}  // namespace gat
