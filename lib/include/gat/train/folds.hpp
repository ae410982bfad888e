#pragma once
// Stratified k-fold splits for cross-validation on graph-classification datasets, as the TU
// benchmarks are evaluated (10-fold CV): every fold holds each class in about the proportion of
// the whole dataset.

#include <cstdint>
#include <vector>

namespace gat {

/// @brief Splits the G items with the given class labels into k disjoint folds covering all of
/// them, each class spread evenly: a class with n_c items puts floor(n_c / k) or ceil(n_c / k) in
/// every fold, and fold sizes differ by at most one.
/// @param labels (G) class index of each item, each >= 0.
/// @param k number of folds, 2 <= k <= G.
/// @param seed the items of each class are shuffled by CounterRng(seed, 0, class, kStreamShuffle),
///   so the folds are a pure function of (labels, k, seed).
/// @return k folds, each a list of item indices in ascending order.
/// A class with fewer than k items leaves some folds without it; that is allowed (small classes
/// cannot be helped), and the ±1 balance still holds.
std::vector<std::vector<std::int64_t>> stratified_folds(const std::vector<std::int32_t>& labels,
                                                        int k, std::uint64_t seed);

}  // namespace gat
