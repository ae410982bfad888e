// CSBM datasets: packaging (names, features, split) and learnability by a GAT.

#include "gat/data/synthetic.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <set>
#include <string>
#include <vector>

#include "gat/core/error.hpp"
#include "gat/layers/gat_model.hpp"
#include "gat/train/trainer.hpp"

namespace gat {
namespace {

using ::testing::HasSubstr;

CsbmOptions small_csbm(NodeId nodes, std::uint64_t seed) {
  CsbmOptions o;
  o.nodes = nodes;
  o.classes = 3;
  o.p_in = 0.04;
  o.p_out = 0.005;
  o.features = 16;
  o.feature_signal = 1.0;
  o.seed = seed;
  return o;
}

TEST(CsbmDataset, PackagesTheSample) {
  const CsbmOptions o = small_csbm(300, 1);
  const Dataset d = csbm_dataset(o);
  const CsbmSample s = csbm(o);
  EXPECT_EQ(d.name, "csbm");
  EXPECT_EQ(d.num_nodes(), 300);
  EXPECT_EQ(d.num_classes(), 3);
  EXPECT_EQ(d.num_features(), 16);
  EXPECT_EQ(d.class_names, (std::vector<std::string>{"class0", "class1", "class2"}));
  ASSERT_EQ(d.node_names.size(), 300u);
  EXPECT_EQ(d.node_names[0], "0");
  EXPECT_EQ(d.node_names[299], "299");
  EXPECT_EQ(d.labels, s.labels);
  EXPECT_TRUE(d.graph.row_ptr() == s.graph.row_ptr() && d.graph.src() == s.graph.src());
  EXPECT_TRUE(to_dense(d.features) == s.features);  // every Gaussian entry is kept
}

// Each class of 100 nodes gives round(0.1·100) = 10 to train and round(0.2·100) = 20 to val;
// the splits are disjoint, ascending and cover every node.
TEST(CsbmDataset, StratifiedDeterministicSplit) {
  const Dataset d = csbm_dataset(small_csbm(300, 2));
  EXPECT_EQ(d.train.size(), 30u);
  EXPECT_EQ(d.val.size(), 60u);
  EXPECT_EQ(d.test.size(), 210u);
  for (const auto* split : {&d.train, &d.val, &d.test}) {
    EXPECT_TRUE(std::is_sorted(split->begin(), split->end()));
  }
  std::vector<int> per_class(3, 0);
  for (NodeId i : d.train) ++per_class[d.labels[i]];
  EXPECT_EQ(per_class, (std::vector<int>{10, 10, 10}));
  std::set<NodeId> all(d.train.begin(), d.train.end());
  all.insert(d.val.begin(), d.val.end());
  all.insert(d.test.begin(), d.test.end());
  EXPECT_EQ(all.size(), 300u);

  const Dataset again = csbm_dataset(small_csbm(300, 2));
  EXPECT_EQ(d.train, again.train);
  EXPECT_EQ(d.val, again.val);
  const Dataset other = csbm_dataset(small_csbm(300, 3));
  EXPECT_FALSE(d.train == other.train);

  // Fractions summing to 1 leave no test nodes; rounding never over-fills a class.
  const Dataset halves = csbm_dataset(small_csbm(301, 2), 0.5, 0.5);
  EXPECT_EQ(halves.train.size() + halves.val.size(), 301u);
  EXPECT_TRUE(halves.test.empty());
}

TEST(CsbmDataset, RejectsBadArguments) {
  auto error_of = [](const CsbmOptions& o, double train, double val) {
    try {
      csbm_dataset(o, train, val);
    } catch (const Error& e) {
      return std::string(e.what());
    }
    ADD_FAILURE() << "no gat::Error thrown";
    return std::string();
  };
  const CsbmOptions o = small_csbm(100, 1);
  EXPECT_THAT(error_of(o, -0.1, 0.2), HasSubstr("train_fraction"));
  EXPECT_THAT(error_of(o, 0.1, 1.2), HasSubstr("val_fraction"));
  EXPECT_THAT(error_of(o, 0.6, 0.6), HasSubstr("at most 1"));
  CsbmOptions featureless = o;
  featureless.features = 0;
  EXPECT_THAT(error_of(featureless, 0.1, 0.2), HasSubstr("features"));
  CsbmOptions bad = o;
  bad.p_in = 2;
  EXPECT_THAT(error_of(bad, 0.1, 0.2), HasSubstr("p_in"));
}

// A generated graph is learnable: a default (paper-sized, paper-dropout) 2-layer GAT trained
// for at most 300 epochs on 10 % of the nodes beats chance (1/3) by a wide margin.
// Features alone tell two classes apart with accuracy ≈ Φ(1/√2) ≈ 0.76; edges are 80 %
// homophilous (expected degree ≈ 8 inside + 2 across), so attention over neighbourhoods
// sharpens that.
TEST(CsbmDataset, LearnableByGat) {
  const Dataset d = csbm_dataset(small_csbm(600, 7));
  GatModelOptions m;
  m.in_features = d.num_features();
  m.num_classes = d.num_classes();
  GatModel<float> model(m, 1);
  TrainOptions t;
  t.epochs = 300;
  t.patience = 100;
  const TrainResult r = train_node_classifier(model, d, t);
  EXPECT_GT(r.test_acc, 0.8) << "after " << r.epochs_run << " epochs";
}

}  // namespace
}  // namespace gat
