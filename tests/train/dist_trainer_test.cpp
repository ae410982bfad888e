// Distributed training against the single process: the same model, P processes (threads of one
// test, gat::test::ThreadGroup) each holding one part. P = 1 gives the single process's bits;
// P = 2, 3, 4 its losses and accuracies to 1e-5 (sums taken in another order round
// differently), and twice the same bits. The backward itself is checked by this equality: the
// single-process gradients are finite-difference checked (tests/layers), and any halo row's
// gradient lost or counted twice moves the losses far past 1e-5 within a few epochs.

#include "gat/train/dist_trainer.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "gat/core/error.hpp"
#include "gat/core/threads.hpp"
#include "gat/graph/partition.hpp"
#include "gat/io/linqs.hpp"
#include "gat/io/partition.hpp"
#include "support/data.hpp"
#include "support/synthetic.hpp"
#include "support/thread_group.hpp"

namespace gat {
namespace {

struct Outcome {
  TrainResult result;
  std::vector<RowMatrix> weights;
};

std::vector<RowMatrix> weights_of(GatModel<float>& model) {
  std::vector<RowMatrix> w;
  for (const auto* p : model.parameters()) w.push_back(p->value);
  return w;
}

GatModelOptions model_for(const Dataset& d) {
  GatModelOptions o;
  o.in_features = d.num_features();
  o.num_classes = d.num_classes();
  o.dropout = 0.6;
  o.attention_dropout = 0.6;
  o.feature_dropout = 0.3;
  return o;
}

Outcome single(const Dataset& d, const GatModelOptions& o, const TrainOptions& t) {
  GatModel<float> model(o, 7);
  Outcome out;
  out.result = train_node_classifier(model, d, t);
  out.weights = weights_of(model);
  return out;
}

// Trains on `parts` parts; checks that every process ends with the same weights and result.
Outcome distributed(const Dataset& d, const GatModelOptions& o, const TrainOptions& t, int parts,
                    PartitionMethod method) {
  const std::vector<std::int32_t> assignment = partition_nodes(d.graph, parts, method, 1);
  std::vector<GraphPart> held;
  for (int k = 0; k < parts; ++k) held.push_back(make_part(d, assignment, parts, k));
  std::vector<Outcome> outs(static_cast<std::size_t>(parts));
  test::ThreadGroup group(parts);
  group.run([&](Communicator& comm) {
    GatModel<float> model(o, 7);
    Outcome& mine = outs[static_cast<std::size_t>(comm.rank())];
    mine.result =
        train_node_classifier(model, held[static_cast<std::size_t>(comm.rank())], t, comm);
    mine.weights = weights_of(model);
  });
  for (int k = 1; k < parts; ++k) {
    EXPECT_EQ(outs[k].weights, outs[0].weights) << "process " << k << " of " << parts;
    EXPECT_EQ(outs[k].result.test_acc, outs[0].result.test_acc);
  }
  return outs[0];
}

double relative(double a, double b) {
  return std::abs(a - b) / std::max({std::abs(a), std::abs(b), 1e-30});
}

void expect_same_history(const TrainResult& a, const TrainResult& b, double tol) {
  ASSERT_EQ(a.history.size(), b.history.size());
  for (std::size_t e = 0; e < a.history.size(); ++e) {
    const EpochStats &x = a.history[e], &y = b.history[e];
    EXPECT_LE(relative(x.train_loss, y.train_loss), tol) << "epoch " << x.epoch;
    EXPECT_LE(relative(x.val_loss, y.val_loss), tol) << "epoch " << x.epoch;
    EXPECT_LE(std::abs(x.train_acc - y.train_acc), tol) << "epoch " << x.epoch;
    EXPECT_LE(std::abs(x.val_acc - y.val_acc), tol) << "epoch " << x.epoch;
  }
  EXPECT_EQ(a.best_epoch, b.best_epoch);
  EXPECT_LE(std::abs(a.test_acc - b.test_acc), tol);
}

Dataset cora() { return load_linqs(test::bundled_data_dir() + "/cora", "cora"); }

class DistTrainer : public ::testing::Test {
 protected:
  void SetUp() override {
    threads_ = num_threads();
    set_num_threads(1);
  }
  void TearDown() override { set_num_threads(threads_); }
  int threads_ = 1;
};

// A group of one holds the whole graph: the same bits as the single process, dropout included.
TEST_F(DistTrainer, OneProcessGivesTheSingleProcessBits) {
  const Dataset d = cora();
  TrainOptions t;
  t.epochs = 5;
  t.seed = 3;
  const Outcome one = single(d, model_for(d), t);
  const GraphPart whole = make_part(d, std::vector<std::int32_t>(d.num_nodes(), 0), 1, 0);
  GatModel<float> model(model_for(d), 7);
  SoloCommunicator solo;
  const TrainResult r = train_node_classifier(model, whole, t, solo);
  EXPECT_EQ(weights_of(model), one.weights);
  expect_same_history(r, one.result, 1e-12);
}

// Cora on 2, 3 (METIS) and 4 (random) parts: the single process's history to 1e-5 over 40
// epochs with every dropout on.
TEST_F(DistTrainer, CoraOnTwoThreeAndFourPartsEqualsTheSingleProcess) {
  const Dataset d = cora();
  TrainOptions t;
  t.epochs = 40;
  t.seed = 5;
  const GatModelOptions o = model_for(d);
  const Outcome one = single(d, o, t);
  expect_same_history(distributed(d, o, t, 2, PartitionMethod::kMetis).result, one.result, 1e-5);
  expect_same_history(distributed(d, o, t, 3, PartitionMethod::kMetis).result, one.result, 1e-5);
  expect_same_history(distributed(d, o, t, 4, PartitionMethod::kRandom).result, one.result, 1e-5);
}

TEST_F(DistTrainer, TheSameBitsTwice) {
  const Dataset d = cora();
  TrainOptions t;
  t.epochs = 8;
  t.seed = 11;
  const Outcome a = distributed(d, model_for(d), t, 3, PartitionMethod::kMetis);
  const Outcome b = distributed(d, model_for(d), t, 3, PartitionMethod::kMetis);
  EXPECT_EQ(a.weights, b.weights);
  ASSERT_EQ(a.result.history.size(), b.result.history.size());
  for (std::size_t e = 0; e < a.result.history.size(); ++e) {
    EXPECT_EQ(a.result.history[e].train_loss, b.result.history[e].train_loss);
    EXPECT_EQ(a.result.history[e].val_loss, b.result.history[e].val_loss);
  }
}

// Dense features (the dense projection's row-keyed input dropout and its input gradient in the
// second layer), three layers, residual connections, averaged output heads, and graphs with self
// loops kept or removed (nodes without in-edges).
TEST_F(DistTrainer, DenseFeaturesResidualAndSelfLoopPolicies) {
  Dataset d = test::synthetic_dataset(600, 4, 2);
  d.dense_features = Matrix<float>::Zero(d.num_nodes(), d.features.cols);
  for (NodeId i = 0; i < d.num_nodes(); ++i) {
    for (EdgeId k = d.features.row_ptr[i]; k < d.features.row_ptr[i + 1]; ++k) {
      d.dense_features(i, d.features.col[k]) = d.features.val[k] + 0.25f;
    }
  }
  TrainOptions t;
  t.epochs = 15;
  t.seed = 4;
  for (const SelfLoops loops : {SelfLoops::kAdd, SelfLoops::kKeep, SelfLoops::kRemove}) {
    GatModelOptions o = model_for(d);
    o.layers = 3;
    o.residual = true;
    o.out_heads = 2;
    o.self_loops = loops;
    const Outcome one = single(d, o, t);
    SCOPED_TRACE(to_string(loops));
    expect_same_history(distributed(d, o, t, 3, PartitionMethod::kMetis).result, one.result, 1e-5);
  }
}

TEST_F(DistTrainer, RefusesWhatItCannotTrain) {
  const Dataset d = cora();
  const std::vector<std::int32_t> assignment =
      partition_nodes(d.graph, 2, PartitionMethod::kRandom);
  const GraphPart part1 = make_part(d, assignment, 2, 1);
  TrainOptions t;
  t.epochs = 1;
  SoloCommunicator solo;
  GatModel<float> model(model_for(d), 7);
  // Part 1 of 2 in a group of one.
  EXPECT_THROW(train_node_classifier(model, part1, t, solo), Error);
  // A variant of the layer.
  GatModelOptions v = model_for(d);
  v.score = ScoreFunction::kGatV2;
  GatModel<float> variant(v, 7);
  const GraphPart whole = make_part(d, std::vector<std::int32_t>(d.num_nodes(), 0), 1, 0);
  try {
    train_node_classifier(variant, whole, t, solo);
    FAIL() << "a gatv2 model was trained";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("--score gat"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace gat
