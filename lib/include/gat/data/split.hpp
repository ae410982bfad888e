#pragma once
// Train / validation / test splits of the nodes of a dataset: random stratified splits drawn
// from a seed, and the checks every split must pass. Files holding splits are read by
// gat/io/arrays.hpp (read_split_file, read_index_file). Shapes: N nodes, C classes.

#include <cstdint>
#include <string>
#include <vector>

#include "gat/core/types.hpp"

namespace gat {

/// @brief Node indices of each part of a split: ascending, disjoint, each in [0, N).
struct Split {
  std::vector<NodeId> train, val, test;
};

/// @brief What random_split draws: per-class training nodes, then validation and test sizes.
/// The defaults are the Planetoid sizes of the GAT paper (20 per class, 500, 1000).
struct RandomSplitSpec {
  int train_per_class = 20;
  std::int64_t val = 500;
  std::int64_t test = 1000;
};

/// @brief Parses "random:TRAIN_PER_CLASS,VAL,TEST" (e.g. "random:20,500,1000"; spaces around the
/// numbers allowed) or plain "random" for the defaults. Throws gat::Error quoting the text and
/// the expected form for anything else, including negative or out-of-range numbers.
RandomSplitSpec parse_random_split(const std::string& spec);

/// @brief A stratified random split, as PyTorch Geometric's RandomNodeSplit("random") draws it:
/// for each class c in order, spec.train_per_class nodes of class c drawn at random; then, from
/// all nodes left, spec.val nodes for validation and, after them, spec.test nodes for test.
/// A class with fewer than train_per_class nodes, or val + test larger than what the training
/// draw leaves, is an error naming the class or the counts (never a silently smaller split).
/// Each draw is a partial Fisher-Yates shuffle driven by the counter-based generator of
/// gat/core/random.hpp, so a seed gives the same split on every platform and standard library.
/// @param labels (N) class of each node, in [0, num_classes)
/// @return ascending, disjoint index lists; C·train_per_class, val and test long
Split random_split(const std::vector<std::int32_t>& labels, int num_classes,
                   const RandomSplitSpec& spec, std::uint64_t seed);

/// @brief Throws gat::Error unless every index of `split` lies in [0, num_nodes), each list is
/// strictly ascending, and no node is in two lists; the message names the node and the lists.
void validate_split(const Split& split, NodeId num_nodes);

}  // namespace gat
