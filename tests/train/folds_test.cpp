// Stratified k-fold splits of graph-classification labels (gat/train/folds.hpp): disjoint,
// covering, balanced per class, keyed by the seed, and on real MUTAG labels.

#include "gat/train/folds.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <vector>

#include "gat/core/error.hpp"
#include "gat/data/graph_dataset.hpp"
#include "gat/io/tu.hpp"
#include "support/data.hpp"
#include "support/io_fixtures.hpp"

namespace gat {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;

// Labels with uneven classes: 50 of class 0, 37 of class 1, 13 of class 2, 3 of class 3 (fewer
// than k), interleaved so that index order says nothing about class.
std::vector<std::int32_t> uneven_labels() {
  std::vector<std::int32_t> labels;
  const int counts[4] = {50, 37, 13, 3};
  int left[4] = {counts[0], counts[1], counts[2], counts[3]};
  for (int t = 0; labels.size() < 103; ++t) {
    const int c = (t * 7) % 4;
    if (left[c] > 0) {
      labels.push_back(c);
      --left[c];
    }
  }
  return labels;
}

void check_folds(const std::vector<std::int32_t>& labels, int k,
                 const std::vector<std::vector<std::int64_t>>& folds) {
  ASSERT_EQ(static_cast<int>(folds.size()), k);
  const auto g = static_cast<std::int64_t>(labels.size());
  // Disjoint and covering.
  std::vector<int> seen(static_cast<std::size_t>(g), 0);
  for (const auto& fold : folds) {
    EXPECT_TRUE(std::is_sorted(fold.begin(), fold.end()));
    for (const std::int64_t i : fold) {
      ASSERT_TRUE(i >= 0 && i < g);
      ++seen[i];
    }
  }
  for (std::int64_t i = 0; i < g; ++i) EXPECT_EQ(seen[i], 1) << "item " << i;
  // Per class: every fold holds floor(n_c / k) or ceil(n_c / k); fold sizes differ by <= 1.
  std::map<std::int32_t, std::int64_t> total;
  for (const auto c : labels) ++total[c];
  std::size_t smallest = folds[0].size();
  std::size_t largest = folds[0].size();
  for (const auto& fold : folds) {
    smallest = std::min(smallest, fold.size());
    largest = std::max(largest, fold.size());
    std::map<std::int32_t, std::int64_t> in_fold;
    for (const std::int64_t i : fold) ++in_fold[labels[i]];
    for (const auto& [c, n] : total) {
      EXPECT_GE(in_fold[c], n / k) << "class " << c;
      EXPECT_LE(in_fold[c], (n + k - 1) / k) << "class " << c;
    }
  }
  EXPECT_LE(largest - smallest, 1u);
}

TEST(StratifiedFolds, DisjointCoveringBalanced) {
  const auto labels = uneven_labels();
  for (const int k : {2, 3, 5, 10}) {
    SCOPED_TRACE(k);
    check_folds(labels, k, stratified_folds(labels, k, 7));
  }
  // k = G: one item per fold.
  check_folds(labels, 103, stratified_folds(labels, 103, 7));
}

TEST(StratifiedFolds, DeterministicBySeed) {
  const auto labels = uneven_labels();
  const auto a = stratified_folds(labels, 10, 42);
  EXPECT_EQ(a, stratified_folds(labels, 10, 42));
  EXPECT_NE(a, stratified_folds(labels, 10, 43));
  EXPECT_NE(a, stratified_folds(labels, 10, 0));
}

TEST(StratifiedFolds, Errors) {
  const auto labels = uneven_labels();
  auto message = [&](const std::vector<std::int32_t>& l, int k) {
    return test::error_message([&] { stratified_folds(l, k, 1); });
  };
  EXPECT_THAT(message(labels, 1), HasSubstr("at least 2 folds"));
  EXPECT_THAT(message(labels, 0), HasSubstr("at least 2 folds"));
  EXPECT_THAT(message(labels, 104), AllOf(HasSubstr("103 graphs"), HasSubstr("k <= 103")));
  EXPECT_THAT(message({}, 2), HasSubstr("from 0 graphs"));
  EXPECT_THAT(message({0, 1, -1}, 2), HasSubstr("label of item 2 is -1"));
}

TEST(StratifiedFolds, RealMutag) {
  GAT_REQUIRE_REAL_DATA(root);
  const GraphDataset d = load_tu(root + "/MUTAG", "MUTAG");
  const auto folds = stratified_folds(d.labels, 10, 2024);
  check_folds(d.labels, 10, folds);
  // 63 / 125 over 10 folds: 6 or 7 of class "-1" and 12 or 13 of class "1" in each.
  for (const auto& fold : folds) EXPECT_TRUE(fold.size() == 18 || fold.size() == 19);
}

}  // namespace
}  // namespace gat
