// GatModel: the whole network (layers, ELU, loss) against finite differences.

#include "gat/layers/gat_model.hpp"

#include <gtest/gtest.h>

#include <vector>

#include "gat/graph/build.hpp"
#include "gat/train/loss.hpp"
#include "support/gradcheck.hpp"

namespace gat {
namespace {

using test::MatrixD;
using test::random_matrix;

// 10 nodes, two triangles joined by a path, node 9 isolated:
//   0─1─2─0   2─3─4   4─5─6─4   7─8
CsrGraph small_graph() {
  const std::vector<NodeId> src{0, 1, 2, 2, 3, 4, 5, 6, 7};
  const std::vector<NodeId> dst{1, 2, 0, 3, 4, 5, 6, 4, 8};
  return build_csr(10, src, dst, {true, Duplicates::kDrop, SelfLoops::kKeep});
}

class GatModelGradient : public ::testing::TestWithParam<int> {};

// Three-layer model (two hidden ELU layers) with dropout active, sparse and dense input;
// L = NLL over a few labelled nodes; every parameter checked.
TEST_P(GatModelGradient, WholeModelMatchesFiniteDifferences) {
  const bool sparse = GetParam() == 1;
  GatModelOptions o;
  o.in_features = 7;
  o.num_classes = 3;
  o.layers = 3;
  o.hidden = 2;
  o.heads = 3;
  o.out_heads = 2;
  o.dropout = 0.2;
  o.attention_dropout = 0.2;
  GatModel<double> model(o, 13);
  const CsrGraph g = model.prepare_graph(small_graph());
  MatrixD dense = random_matrix(10, 7, 2);
  dense = (dense.array() > 0.0).select(dense, 0.0);
  const SparseInput<double> xs(from_dense(dense));
  const std::vector<std::int32_t> labels{0, 1, 2, 0, 1, 2, 0, 1, 2, 0};
  const std::vector<std::int32_t> nodes{0, 3, 5, 8, 9};
  const ForwardContext ctx{true, 77, 4};

  GatModelCache<double> cache;
  auto run = [&](GatModelCache<double>& c) {
    return sparse ? model.forward(g, xs, c, ctx) : model.forward(g, dense, c, ctx);
  };
  MatrixD grad_logits;
  nll_loss<double>(run(cache), labels, nodes, &grad_logits);
  zero_grad(model.parameters());
  MatrixD grad_x;
  model.backward(g, cache, grad_logits, sparse ? nullptr : &grad_x);
  auto loss = [&] {
    GatModelCache<double> scratch;
    return nll_loss<double>(run(scratch), labels, nodes);
  };
  for (auto* p : model.parameters()) {
    const MatrixD analytic = p->grad;
    test::expect_gradient(p->name, p->value, analytic, loss);
  }
  if (!sparse) test::expect_gradient("input", dense, grad_x, loss);
}

INSTANTIATE_TEST_SUITE_P(Inputs, GatModelGradient, ::testing::Values(0, 1),
                         [](const auto& param_info) {
                           return param_info.param ? "Sparse" : "Dense";
                         });

TEST(GatModel, PaperShapes) {
  GatModelOptions o;
  o.in_features = 1433;
  o.num_classes = 7;
  GatModel<float> model(o, 0);
  ASSERT_EQ(model.layers().size(), 2u);
  EXPECT_EQ(model.layers()[0].out_width(), 64);
  EXPECT_EQ(model.layers()[1].out_width(), 7);
  long count = 0;
  for (auto* p : model.parameters()) count += p->value.size();
  // 1433·64 + 2·8·8 + 64  +  64·7 + 2·7 + 7: the paper's ≈ 92k parameters for Cora.
  EXPECT_EQ(count, 1433 * 64 + 128 + 64 + 64 * 7 + 14 + 7);
}

}  // namespace
}  // namespace gat
