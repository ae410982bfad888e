// gat::infer and gat::embed: one inference pass from a graph as built (the model applies its
// self-loop policy), sparse or dense features, any hidden layer, and the checks on the input.

#include "gat/train/infer.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <thread>

#include "gat/core/error.hpp"
#include "gat/core/sparse_matrix.hpp"
#include "gat/graph/build.hpp"
#include "support/io_fixtures.hpp"
#include "support/synthetic.hpp"

namespace gat {
namespace {

using ::testing::HasSubstr;

GatModelOptions model_for(const Dataset& d, int layers = 2) {
  GatModelOptions o;
  o.in_features = static_cast<int>(d.num_features());
  o.num_classes = d.num_classes();
  o.layers = layers;
  return o;
}

// The same pass as the five types it replaces: prepare_graph, SparseInput, GatModelCache,
// ForwardContext and cache.hidden.
TEST(Infer, SameAsTheForwardPassItWraps) {
  const Dataset d = test::synthetic_dataset(300, 3, 1);
  const GatModel<float> model(model_for(d), 2);
  const CsrGraph prepared = model.prepare_graph(d.graph);
  const SparseInput<float> x(d.features);
  GatModelCache<float> cache;
  const RowMatrix logits = model.forward(prepared, x, cache, ForwardContext{});

  const Inference out = infer(model, d.graph, d.features);
  EXPECT_TRUE(out.logits == logits);
  EXPECT_TRUE(out.embedding == cache.hidden.back());
  EXPECT_TRUE(embed(model, d.graph, d.features) == cache.hidden.back());
  EXPECT_EQ(out.embedding.cols(), model.options().heads * model.options().hidden);
}

TEST(Infer, DenseFeaturesInPlaceMatchSparse) {
  const Dataset d = test::synthetic_dataset(300, 3, 2);
  const GatModel<float> model(model_for(d), 3);
  const Matrix<float> dense = to_dense(d.features);
  const Inference sparse = infer(model, d.graph, d.features);
  // A raw pointer into the caller's memory: no copy is made.
  const Inference in_place =
      infer(model, d.graph, FeatureView(dense.data(), dense.rows(), dense.cols()));
  EXPECT_TRUE(sparse.logits.isApprox(in_place.logits, 1e-5f));
  EXPECT_TRUE(sparse.embedding.isApprox(in_place.embedding, 1e-5f));
}

TEST(Infer, SameBitsAtAnyThreadCountFromAnyThread) {
  const Dataset d = test::synthetic_dataset(2000, 3, 3);
  const GatModel<float> model(model_for(d), 4);
  InferOptions one;
  one.threads = 1;
  const Inference a = infer(model, d.graph, d.features, one);
  Inference b;
  std::thread worker([&] {
    InferOptions two;
    two.threads = 2;
    b = infer(model, d.graph, d.features, two);
  });
  worker.join();
  EXPECT_TRUE(a.logits == b.logits);
  EXPECT_TRUE(a.embedding == b.embedding);
}

TEST(Infer, AnotherGraph) {
  // Inductive use: weights do not depend on N, so a model runs on a graph of another size.
  const Dataset train = test::synthetic_dataset(200, 3, 4);
  const Dataset other = test::synthetic_dataset(350, 3, 5);
  const GatModel<float> model(model_for(train), 1);
  const Inference out = infer(model, other.graph, other.features);
  EXPECT_EQ(out.logits.rows(), 350);
  EXPECT_TRUE(out.logits.allFinite());
}

TEST(Infer, ChoosesTheHiddenLayer) {
  const Dataset d = test::synthetic_dataset(200, 3, 6);
  const GatModel<float> model(model_for(d, 3), 1);
  InferOptions first;
  first.embedding_layer = 0;
  const CsrGraph prepared = model.prepare_graph(d.graph);
  GatModelCache<float> cache;
  model.forward(prepared, SparseInput<float>(d.features), cache, ForwardContext{});
  EXPECT_TRUE(infer(model, d.graph, d.features, first).embedding == cache.hidden[0]);
  EXPECT_TRUE(infer(model, d.graph, d.features).embedding == cache.hidden[1]);
}

TEST(Infer, Errors) {
  const Dataset d = test::synthetic_dataset(100, 3, 7);
  const GatModel<float> model(model_for(d), 1);
  const Matrix<float> narrow = Matrix<float>::Zero(100, 3);
  EXPECT_THAT(test::error_message([&] { infer(model, d.graph, FeatureView(narrow)); }),
              HasSubstr("the features have 3 columns but the model expects"));
  const Matrix<float> short_rows = Matrix<float>::Zero(99, d.num_features());
  EXPECT_THAT(test::error_message([&] { infer(model, d.graph, FeatureView(short_rows)); }),
              HasSubstr("99 feature rows for a graph of 100 nodes"));
  InferOptions bad;
  bad.embedding_layer = 1;
  EXPECT_THAT(test::error_message([&] { infer(model, d.graph, d.features, bad); }),
              HasSubstr("embedding_layer 1 is not a hidden layer"));
  const GatModel<float> one_layer(model_for(d, 1), 1);
  EXPECT_THAT(test::error_message([&] { embed(one_layer, d.graph, d.features); }),
              HasSubstr("one-layer model has no hidden layer"));
}

// A graph that did not go through prepare_graph is refused by the layers, not silently run
// without the self loops the model's policy adds.
TEST(Infer, LayersRefuseAnUnpreparedGraph) {
  const Dataset d = test::synthetic_dataset(100, 3, 8);
  const GatModel<float> model(model_for(d), 1);
  GatModelCache<float> cache;
  EXPECT_THAT(test::error_message([&] {
                model.forward(d.graph, SparseInput<float>(d.features), cache, ForwardContext{});
              }),
              HasSubstr("prepare_graph"));
}

}  // namespace
}  // namespace gat
