#include "gat/data/synthetic.hpp"

#include <algorithm>
#include <cmath>
#include <string>
#include <utility>

#include "gat/core/error.hpp"
#include "gat/core/random.hpp"

namespace gat {
namespace {

// Stream of the split's shuffles (layer = class), apart from the generator's streams.
constexpr std::uint64_t kStreamSplit = 111;

}  // namespace

Dataset csbm_dataset(const CsbmOptions& options, double train_fraction, double val_fraction) {
  GAT_CHECK(train_fraction >= 0 && train_fraction <= 1,
            "csbm_dataset: train_fraction must be in [0, 1], got " << train_fraction);
  GAT_CHECK(val_fraction >= 0 && val_fraction <= 1,
            "csbm_dataset: val_fraction must be in [0, 1], got " << val_fraction);
  GAT_CHECK(train_fraction + val_fraction <= 1 + 1e-12,
            "csbm_dataset: train_fraction + val_fraction must be at most 1, got "
                << train_fraction + val_fraction);
  GAT_CHECK(
      options.features >= 1,
      "csbm_dataset: features must be at least 1 (a model needs input), got " << options.features);
  CsbmSample sample = csbm(options);

  Dataset d;
  d.name = "csbm";
  d.graph = std::move(sample.graph);
  d.features = from_dense(sample.features);
  d.labels = std::move(sample.labels);
  for (int c = 0; c < options.classes; ++c) d.class_names.push_back("class" + std::to_string(c));
  const NodeId n = d.graph.num_nodes();
  d.node_names.reserve(n);
  for (NodeId i = 0; i < n; ++i) d.node_names.push_back(std::to_string(i));

  // Stratified split: every class is shuffled (Fisher–Yates on counter draws) and cut by the
  // fractions, so each split holds the same share of every class.
  std::vector<std::vector<NodeId>> members(options.classes);
  for (NodeId i = 0; i < n; ++i) members[d.labels[i]].push_back(i);
  for (int c = 0; c < options.classes; ++c) {
    auto& m = members[c];
    const CounterRng rng(options.seed, 0, static_cast<std::uint64_t>(c), kStreamSplit);
    for (auto t = static_cast<std::int64_t>(m.size()) - 1; t > 0; --t) {
      const double u = rng.uniform(static_cast<std::uint64_t>(t));
      const auto j = std::min(static_cast<std::int64_t>(u * static_cast<double>(t + 1)), t);
      std::swap(m[t], m[j]);
    }
    const auto size = static_cast<std::int64_t>(m.size());
    const auto train = std::min(std::llround(train_fraction * size), static_cast<long long>(size));
    const auto val =
        std::min(std::llround(val_fraction * size), static_cast<long long>(size - train));
    d.train.insert(d.train.end(), m.begin(), m.begin() + train);
    d.val.insert(d.val.end(), m.begin() + train, m.begin() + train + val);
    d.test.insert(d.test.end(), m.begin() + train + val, m.end());
  }
  std::sort(d.train.begin(), d.train.end());
  std::sort(d.val.begin(), d.val.end());
  std::sort(d.test.begin(), d.test.end());
  return d;
}

}  // namespace gat
