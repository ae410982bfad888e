#include "gat/train/folds.hpp"

#include <algorithm>
#include <utility>

#include "gat/core/error.hpp"
#include "gat/core/random.hpp"

namespace gat {

std::vector<std::vector<std::int64_t>> stratified_folds(const std::vector<std::int32_t>& labels,
                                                        int k, std::uint64_t seed) {
  const auto g = static_cast<std::int64_t>(labels.size());
  GAT_CHECK(k >= 2, "stratified_folds: need at least 2 folds, got k = " << k);
  GAT_CHECK(k <= g, "stratified_folds: cannot make " << k << " non-empty folds from " << g
                                                     << " graphs; use k <= " << g);
  std::int32_t num_classes = 0;
  for (std::int64_t i = 0; i < g; ++i) {
    GAT_CHECK(labels[i] >= 0, "stratified_folds: label of item " << i << " is " << labels[i]
                                                                 << "; class indices are >= 0");
    num_classes = std::max(num_classes, labels[i] + 1);
  }

  // Items grouped by class (counting sort, ascending index within a class).
  std::vector<std::int64_t> start(static_cast<std::size_t>(num_classes) + 1, 0);
  for (const std::int32_t c : labels) ++start[c + 1];
  for (std::int32_t c = 0; c < num_classes; ++c) start[c + 1] += start[c];
  std::vector<std::int64_t> by_class(static_cast<std::size_t>(g));
  {
    std::vector<std::int64_t> next(start.begin(), start.end() - 1);
    for (std::int64_t i = 0; i < g; ++i) by_class[next[labels[i]]++] = i;
  }

  // Fisher-Yates within each class, one counter-based stream per class so that a class's order
  // does not depend on the others. bits % (j + 1) is biased by at most (j + 1) / 2^64.
  for (std::int32_t c = 0; c < num_classes; ++c) {
    const CounterRng rng(seed, 0, static_cast<std::uint64_t>(c), kStreamShuffle);
    std::int64_t* items = by_class.data() + start[c];
    for (std::int64_t j = start[c + 1] - start[c] - 1; j > 0; --j) {
      const auto r = static_cast<std::int64_t>(rng.bits(static_cast<std::uint64_t>(j)) %
                                               static_cast<std::uint64_t>(j + 1));
      std::swap(items[j], items[r]);
    }
  }

  // Deal the concatenation class by class, round robin: position t goes to fold t mod k. Within a
  // class, consecutive positions visit every fold before any fold repeats, so each fold gets
  // floor or ceil of n_c / k; over the whole sequence fold sizes differ by at most one too.
  std::vector<std::vector<std::int64_t>> folds(static_cast<std::size_t>(k));
  for (auto& fold : folds) fold.reserve(static_cast<std::size_t>(g / k + 1));
  for (std::int64_t t = 0; t < g; ++t) folds[t % k].push_back(by_class[t]);
  for (auto& fold : folds) std::sort(fold.begin(), fold.end());
  return folds;
}

}  // namespace gat
