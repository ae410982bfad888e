#include "gat/data/split.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "gat/core/error.hpp"
#include "support/io_fixtures.hpp"

namespace gat {
namespace {

using test::error_message;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

// N nodes with class i % C, so that every class holds N / C nodes spread over the indices.
std::vector<std::int32_t> round_robin(int n, int classes) {
  std::vector<std::int32_t> labels(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) labels[static_cast<std::size_t>(i)] = i % classes;
  return labels;
}

TEST(ParseRandomSplit, AcceptedForms) {
  RandomSplitSpec s = parse_random_split("random:20,500,1000");
  EXPECT_EQ(s.train_per_class, 20);
  EXPECT_EQ(s.val, 500);
  EXPECT_EQ(s.test, 1000);
  s = parse_random_split(" random: 1 , 0 ,3 ");
  EXPECT_EQ(s.train_per_class, 1);
  EXPECT_EQ(s.val, 0);
  EXPECT_EQ(s.test, 3);
  s = parse_random_split("random");
  EXPECT_EQ(s.train_per_class, 20);
  EXPECT_EQ(s.val, 500);
  EXPECT_EQ(s.test, 1000);
}

TEST(ParseRandomSplit, ErrorsQuoteTheTextAndTheForm) {
  for (const char* text : {"random:1,2", "random:1,2,3,4", "random:a,2,3", "random:-1,2,3",
                           "random:1,,3", "rand:1,2,3", "", "random:1,2,3x",
                           "random:1,2,99999999999", "random:3000000000,1,1", "public"}) {
    SCOPED_TRACE(text);
    EXPECT_THAT(error_message([&] { parse_random_split(text); }),
                AllOf(HasSubstr("invalid split '" + std::string(text) + "'"),
                      HasSubstr("expected random:TRAIN_PER_CLASS,VAL,TEST (e.g. "
                                "random:20,500,1000)")));
  }
}

TEST(RandomSplit, SizesStratificationAndDisjointness) {
  const auto labels = round_robin(150, 3);
  const Split s = random_split(labels, 3, {5, 20, 30}, 7);
  EXPECT_EQ(s.train.size(), 15u);
  EXPECT_EQ(s.val.size(), 20u);
  EXPECT_EQ(s.test.size(), 30u);
  int per_class[3] = {0, 0, 0};
  for (const NodeId i : s.train) ++per_class[labels[static_cast<std::size_t>(i)]];
  EXPECT_THAT(per_class, ElementsAre(5, 5, 5));
  // Ascending, in range, disjoint.
  EXPECT_NO_THROW(validate_split(s, 150));
}

TEST(RandomSplit, SameSeedSameSplitOtherSeedOtherSplit) {
  const auto labels = round_robin(400, 4);
  const RandomSplitSpec spec{10, 50, 100};
  const Split a = random_split(labels, 4, spec, 3);
  const Split b = random_split(labels, 4, spec, 3);
  EXPECT_EQ(a.train, b.train);
  EXPECT_EQ(a.val, b.val);
  EXPECT_EQ(a.test, b.test);
  const Split c = random_split(labels, 4, spec, 4);
  EXPECT_NE(a.train, c.train);
  EXPECT_NE(a.test, c.test);
}

// The draw is a function of the seed alone, the same with every compiler and standard library
// (no std::shuffle or std::uniform_int_distribution): these are the nodes for seeds 0 and 1, as
// an independent Python transcription of the draw (splitmix64 keys, partial Fisher-Yates) gives.
TEST(RandomSplit, StableAcrossPlatforms) {
  const auto labels = round_robin(20, 2);
  const Split s0 = random_split(labels, 2, {2, 3, 4}, 0);
  const Split s1 = random_split(labels, 2, {2, 3, 4}, 1);
  EXPECT_THAT(s0.train, ElementsAre(4, 5, 9, 18));
  EXPECT_THAT(s0.val, ElementsAre(1, 14, 16));
  EXPECT_THAT(s0.test, ElementsAre(0, 6, 8, 15));
  EXPECT_THAT(s1.train, ElementsAre(9, 12, 16, 17));
}

TEST(RandomSplit, ValidationDoesNotDependOnTheTestSize) {
  const auto labels = round_robin(300, 3);
  const Split a = random_split(labels, 3, {5, 40, 10}, 9);
  const Split b = random_split(labels, 3, {5, 40, 100}, 9);
  EXPECT_EQ(a.train, b.train);
  EXPECT_EQ(a.val, b.val);
  // The smaller test set is not a prefix of the other in index order, but a subset of it.
  EXPECT_TRUE(std::includes(b.test.begin(), b.test.end(), a.test.begin(), a.test.end()));
}

TEST(RandomSplit, EveryNodeUsed) {
  const auto labels = round_robin(12, 3);
  const Split s = random_split(labels, 3, {2, 3, 3}, 5);
  std::vector<NodeId> all = s.train;
  all.insert(all.end(), s.val.begin(), s.val.end());
  all.insert(all.end(), s.test.begin(), s.test.end());
  std::sort(all.begin(), all.end());
  EXPECT_THAT(all, ElementsAre(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11));
}

TEST(RandomSplit, ZeroCounts) {
  const Split s = random_split(round_robin(10, 2), 2, {0, 0, 0}, 1);
  EXPECT_THAT(s.train, IsEmpty());
  EXPECT_THAT(s.val, IsEmpty());
  EXPECT_THAT(s.test, IsEmpty());
  // A class may have no nodes when none are asked of it.
  EXPECT_NO_THROW(random_split(round_robin(10, 2), 3, {0, 2, 2}, 1));
}

TEST(RandomSplit, Errors) {
  std::vector<std::int32_t> labels = {0, 0, 0, 0, 1, 1, 1, 2, 2, 2, 2};
  EXPECT_THAT(error_message([&] {
                random_split(labels, 3, {4, 0, 0}, 0);
              }),
              HasSubstr("random split: class 1 has 3 nodes, fewer than the 4 training nodes per "
                        "class asked for"));
  EXPECT_THAT(error_message([&] {
                random_split(labels, 3, {2, 4, 2}, 0);
              }),
              HasSubstr("random split: val 4 + test 2 nodes asked for, but 5 of the 11 nodes "
                        "remain after the 6 training nodes"));
  EXPECT_THAT(error_message([&] {
                random_split(labels, 2, {1, 0, 0}, 0);
              }),
              HasSubstr("random split: node 7 has class 2, outside [0, 2)"));
  labels[0] = -1;
  EXPECT_THAT(error_message([&] {
                random_split(labels, 3, {1, 0, 0}, 0);
              }),
              HasSubstr("node 0 has class -1"));
  EXPECT_THAT(error_message([&] {
                random_split(labels, 0, {1, 0, 0}, 0);
              }),
              HasSubstr("need at least one class"));
  EXPECT_THAT(error_message([&] {
                random_split(round_robin(4, 1), 1, {-1, 0, 0}, 0);
              }),
              HasSubstr("counts must not be negative"));
}

TEST(ValidateSplit, Errors) {
  EXPECT_NO_THROW(validate_split({{0, 2}, {1}, {3}}, 4));
  EXPECT_NO_THROW(validate_split({}, 0));
  EXPECT_THAT(error_message([&] {
                validate_split({{0, 4}, {}, {}}, 4);
              }),
              HasSubstr("split: train holds node 4, outside [0, 4)"));
  EXPECT_THAT(error_message([&] {
                validate_split({{}, {2, 1}, {}}, 4);
              }),
              HasSubstr("split: val is not strictly ascending (2 before 1)"));
  EXPECT_THAT(error_message([&] {
                validate_split({{1}, {}, {1}}, 4);
              }),
              HasSubstr("split: node 1 is in both train and test"));
  EXPECT_THAT(error_message([&] {
                validate_split({{1, 1}, {}, {}}, 4);
              }),
              HasSubstr("not strictly ascending"));
}

}  // namespace
}  // namespace gat
