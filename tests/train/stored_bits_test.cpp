// Same seed, same bits on every CPU: short training runs compared, bit for bit, with values
// recorded in this file. The thread-count tests show that a result does not depend on the
// number of threads; this one shows that it does not depend on the machine either (vector
// width, cache sizes, CPU vendor), which is what lets a README figure be reproduced elsewhere.
//
// The values hold for the build this project makes by default: GCC 12 with the baseline
// instruction set (GAT_ARCH=x86-64-v3, AVX2 + FMA, 256-bit vectors; GAT_NATIVE keeps those).
// Another compiler or instruction set rounds differently, so the test skips there, saying so.
// To record new values after a change that is meant to change results, run
//   GAT_RECORD_BITS=1 build/tests/train_tests --gtest_filter='StoredBits.*'
// and paste what it prints; say in the commit why the bits moved.

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "gat/build_config.hpp"
#include "gat/core/threads.hpp"
#include "gat/io/linqs.hpp"
#include "gat/io/tu.hpp"
#include "gat/layers/gat_model.hpp"
#include "gat/layers/graph_classifier.hpp"
#include "gat/train/graph_trainer.hpp"
#include "gat/train/trainer.hpp"
#include "support/data.hpp"

namespace gat {
namespace {

bool recording() { return std::getenv("GAT_RECORD_BITS") != nullptr; }

// The build whose bits are recorded below, or why this one is another.
std::string why_not_reference_build() {
#if defined(__clang__) || !defined(__GNUC__) || __GNUC__ != 12
  return "values recorded with GCC 12; this compiler rounds differently";
#else
  if (!(GAT_BUILD_AVX2 && GAT_BUILD_FMA && !GAT_BUILD_AVX512F)) {
    return std::string("values recorded for AVX2 + FMA without AVX-512; this build is ") +
           GAT_BUILD_ARCH_FLAGS;
  }
  return "";
#endif
}

std::uint64_t bits(double v) {
  std::uint64_t b;
  std::memcpy(&b, &v, sizeof b);
  return b;
}

// FNV-1a over the bit patterns of every parameter, in parameter order.
template <typename Params>
std::uint64_t weights_hash(const Params& params) {
  std::uint64_t h = 1469598103934665603ull;
  for (const auto* p : params) {
    for (Eigen::Index k = 0; k < p->value.size(); ++k) {
      std::uint32_t b;
      const float v = p->value.data()[k];
      std::memcpy(&b, &v, sizeof b);
      for (int s = 0; s < 32; s += 8) h = (h ^ ((b >> s) & 0xffu)) * 1099511628211ull;
    }
  }
  return h;
}

// Recorded on an AMD EPYC (AVX2, no AVX-512) with the default build; see the file comment.
const std::vector<std::uint64_t> kCora = {
    0x3fff3fdaf42a08e6ull, 0x3fff05d3c278a75bull, 0x3fff14a24b9d048eull, 0x3ffefad609c6be16ull,
    0x3ffef629e43e65afull, 0x3ffeece4b83d74abull, 0x3fff0924aed876d2ull, 0x3ffeead8816f4b06ull,
    0x3ffef09d3b277b10ull, 0x3ffee5c4632683abull, 0x3fff0c5a61a8d56full, 0x3ffee65241d71f91ull,
    0x3fff1df795f48761ull, 0x3ffee926c827803aull, 0x3ffee3aaa87c9061ull, 0x3ffeef634bf8e9bfull,
    0x3ffeea279e18b1c0ull, 0x3ffef3bfbfb8472full, 0x3ffeb56cab33b5e8ull, 0x3ffef4a132820550ull,
    0x3ffeac9449a74100ull, 0x3ffef3b46860e8bdull, 0x3ffed2fb262b2143ull, 0x3ffef106f7c0260aull,
    0xd66313d85b810787ull,
};  // 12 × (train loss, val loss), then the weights' hash
const std::vector<std::uint64_t> kMutag = {
    0x3fe6ac44d3953fdaull,
    0x3fe39a7222a329aeull,
    0x3fe2b2729506eb82ull,
    0x9a7216603cf5e5fcull,
};  // 3 train losses, then the weights' hash; re-recorded when batches were cut into two
    // shards whose gradients are added (GraphTrainOptions::shards): the sums' order moved

void compare(const char* what, const std::vector<std::uint64_t>& got,
             const std::vector<std::uint64_t>& expected) {
  if (recording()) {
    std::printf("%s = {", what);
    for (std::uint64_t b : got) std::printf("0x%016llxull, ", static_cast<unsigned long long>(b));
    std::printf("}\n");
    return;
  }
  ASSERT_EQ(got.size(), expected.size()) << what;
  for (std::size_t k = 0; k < got.size(); ++k) {
    double g, e;
    std::memcpy(&g, &got[k], sizeof g);
    std::memcpy(&e, &expected[k], sizeof e);
    EXPECT_EQ(got[k], expected[k]) << what << "[" << k << "]: got " << g << ", recorded " << e
                                   << " (the bits moved: a change of results, or a machine or "
                                      "build that rounds differently)";
  }
}

// Cora (bundled), the paper's model and training, seed 0: 12 epochs at 2 threads. Losses of
// every epoch and the final weights.
TEST(StoredBits, CoraTraining) {
  const std::string why = why_not_reference_build();
  if (!why.empty()) GTEST_SKIP() << why;
  const Dataset d = load_linqs(test::bundled_data_dir() + "/cora", "cora");
  GatModelOptions o;
  o.in_features = d.num_features();
  o.num_classes = d.num_classes();
  TrainOptions t;
  t.epochs = 12;
  t.patience = 1000;
  set_num_threads(2);
  GatModel<float> model(o, 0);
  const TrainResult r = train_node_classifier(model, d, t);
  set_num_threads(1);
  std::vector<std::uint64_t> got;
  for (const EpochStats& s : r.history) {
    got.push_back(bits(s.train_loss));
    got.push_back(bits(s.val_loss));
  }
  got.push_back(weights_hash(model.parameters()));
  compare("kCora", got, kCora);
}

// MUTAG (../shared/datasets), the graph classifier with edge features and attention pooling:
// 3 epochs on 150 graphs. This is the model whose 10-fold accuracy moved by 8 points between
// an AVX-512 build and an AVX2 build before the build was pinned.
TEST(StoredBits, MutagTraining) {
  const std::string why = why_not_reference_build();
  if (!why.empty()) GTEST_SKIP() << why;
  GAT_REQUIRE_REAL_DATA(dir);
  const GraphDataset data = load_tu(dir + "/MUTAG", "MUTAG");
  GraphClassifierOptions o;
  o.in_features = data.num_features();
  o.edge_features = data.edge_feature_size();
  o.num_classes = data.num_classes();
  GraphTrainOptions t;
  t.epochs = 3;
  std::vector<std::int64_t> train(150);
  for (int k = 0; k < 150; ++k) train[k] = (k * 7) % 188;
  set_num_threads(2);
  GraphClassifier<float> model(o, 0);
  const auto history = train_graph_classifier(model, data, train, t).history;
  set_num_threads(1);
  std::vector<std::uint64_t> got;
  for (const auto& s : history) got.push_back(bits(s.train_loss));
  got.push_back(weights_hash(model.parameters()));
  compare("kMutag", got, kMutag);
}

}  // namespace
}  // namespace gat
