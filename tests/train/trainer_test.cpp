// The trainer: determinism across thread counts, early stopping, learning, and the
// end-to-end run on real Cora.

#include "gat/train/trainer.hpp"

#include <gtest/gtest.h>

#include <thread>

#include "gat/core/error.hpp"
#include "gat/core/threads.hpp"
#include "gat/io/linqs.hpp"
#include "support/data.hpp"
#include "support/synthetic.hpp"

namespace gat {
namespace {

GatModelOptions model_for(const Dataset& d) {
  GatModelOptions o;
  o.in_features = d.num_features();
  o.num_classes = d.num_classes();
  return o;
}

// Same seed → bit-identical weights after training, at 1 and at 2 threads.
TEST(Trainer, BitIdenticalAtOneAndTwoThreads) {
  const Dataset d = test::synthetic_dataset(1500, 4, 1);
  TrainOptions t;
  t.epochs = 15;
  t.seed = 9;
  auto train = [&](int threads) {
    set_num_threads(threads);
    GatModel<float> model(model_for(d), 3);
    train_node_classifier(model, d, t);
    std::vector<RowMatrix> w;
    for (auto* p : model.parameters()) w.push_back(p->value);
    return w;
  };
  const int before = num_threads();
  const auto one = train(1), two = train(2);
  set_num_threads(before);
  ASSERT_EQ(one.size(), two.size());
  for (std::size_t k = 0; k < one.size(); ++k) EXPECT_TRUE(one[k] == two[k]) << "parameter " << k;
}

// A different seed gives different weights (the seed is really used).
TEST(Trainer, SeedMatters) {
  const Dataset d = test::synthetic_dataset(300, 3, 1);
  TrainOptions t;
  t.epochs = 3;
  GatModel<float> a(model_for(d), 1), b(model_for(d), 2);
  train_node_classifier(a, d, t);
  train_node_classifier(b, d, t);
  EXPECT_FALSE(a.parameters()[0]->value == b.parameters()[0]->value);
}

// Learns the synthetic task well above chance (1/3), stops early, and reports the restored
// best weights: the final validation accuracy equals the one recorded at the best epoch.
TEST(Trainer, LearnsAndRestoresBestWeights) {
  const Dataset d = test::synthetic_dataset(600, 3, 2);
  TrainOptions t;
  t.epochs = 400;
  t.patience = 20;
  GatModel<float> model(model_for(d), 5);
  std::vector<EpochStats> seen;
  const TrainResult r =
      train_node_classifier(model, d, t, [&](const EpochStats& s) { seen.push_back(s); });
  EXPECT_EQ(static_cast<int>(seen.size()), r.epochs_run);
  EXPECT_LT(r.epochs_run, 400) << "early stopping never triggered";
  ASSERT_GE(r.best_epoch, 1);
  EXPECT_DOUBLE_EQ(r.val_acc, r.history[r.best_epoch - 1].val_acc);
  EXPECT_GT(r.test_acc, 0.6);
}

TEST(Trainer, RejectsMismatchedModel) {
  const Dataset d = test::synthetic_dataset(100, 3, 2);
  GatModelOptions o = model_for(d);
  o.in_features += 1;
  GatModel<float> model(o, 0);
  EXPECT_THROW(train_node_classifier(model, d, {}), Error);
}

// A learning rate that blows up stops with an error naming the epoch, never NaN weights.
TEST(Trainer, DivergenceIsAnError) {
  const Dataset d = test::synthetic_dataset(200, 3, 2);
  TrainOptions t;
  t.adam.lr = 1e30;
  t.epochs = 50;
  GatModel<float> model(model_for(d), 0);
  try {
    train_node_classifier(model, d, t);
    FAIL() << "expected divergence to be reported";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("epoch"), std::string::npos) << e.what();
  }
}

// End to end on real Cora with the paper's settings: ≥ 80 % test accuracy.
TEST(Trainer, CoraReachesPaperAccuracy) {
  const std::string root = test::bundled_data_dir();
  const Dataset d = load_linqs(root + "/cora", "cora");
  GatModel<float> model(model_for(d), 0);
  const TrainResult r = train_node_classifier(model, d, TrainOptions{});
  EXPECT_GE(r.test_acc, 0.80);
}

}  // namespace
}  // namespace gat

namespace gat {
namespace {

// Training from arrays (graph, FeatureView, labels, split) in a std::thread with a per-call
// thread count gives the bits of the same run from the main thread through a Dataset.
TEST(Trainer, FromArraysInAWorkerThreadSameBits) {
  const Dataset d = test::synthetic_dataset(800, 3, 5);
  TrainOptions t;
  t.epochs = 8;
  t.seed = 2;
  const int before = num_threads();
  set_num_threads(1);
  GatModel<float> reference(model_for(d), 4);
  const TrainResult r1 = train_node_classifier(reference, d, t);

  GatModel<float> worker_model(model_for(d), 4);
  TrainResult r2;
  std::thread worker([&] {
    TrainOptions two = t;
    two.threads = 2;
    Split split{d.train, d.val, d.test};
    r2 = train_node_classifier(worker_model, d.graph, d.feature_view(), d.labels, split, two);
  });
  worker.join();
  set_num_threads(before);
  ASSERT_EQ(r1.history.size(), r2.history.size());
  for (std::size_t e = 0; e < r1.history.size(); ++e) {
    EXPECT_EQ(r1.history[e].train_loss, r2.history[e].train_loss) << "epoch " << e + 1;
  }
  const auto a = reference.parameters(), b = worker_model.parameters();
  for (std::size_t k = 0; k < a.size(); ++k) EXPECT_TRUE(a[k]->value == b[k]->value) << k;
}

}  // namespace
}  // namespace gat
