#pragma once
// A small learnable node-classification dataset made in memory: C classes, edges mostly
// within a class, sparse bag-of-words features whose active words depend on the class.

#include <cstdint>
#include <string>
#include <vector>

#include "gat/core/random.hpp"
#include "gat/data/dataset.hpp"
#include "gat/graph/build.hpp"

namespace gat::test {

inline Dataset synthetic_dataset(NodeId n, int classes, std::uint64_t seed) {
  const CounterRng rng(seed, 0, 0, 123);
  std::uint64_t k = 0;
  Dataset d;
  d.name = "synthetic";
  for (int c = 0; c < classes; ++c) d.class_names.push_back("class" + std::to_string(c));
  d.labels.resize(n);
  for (NodeId i = 0; i < n; ++i) d.labels[i] = static_cast<std::int32_t>(rng.bits(k++) % classes);
  std::vector<NodeId> src, dst;
  for (NodeId i = 0; i < n; ++i) {
    for (int e = 0; e < 3; ++e) {
      const auto j = static_cast<NodeId>(rng.bits(k++) % n);
      // Keep 85 % of intra-class candidates and 15 % of the others.
      const bool same = d.labels[i] == d.labels[j];
      if (rng.uniform(k++) < (same ? 0.85 : 0.15)) src.push_back(i), dst.push_back(j);
    }
  }
  d.graph = build_csr(n, src, dst, {true, Duplicates::kDrop, SelfLoops::kRemove});
  const int words = 10 * classes;
  d.features.rows = n;
  d.features.cols = words;
  d.features.row_ptr.assign(1, 0);
  for (NodeId i = 0; i < n; ++i) {
    for (int w = 0; w < words; ++w) {
      // Words of the node's own class are 4× as likely to be present.
      const double p = w / 10 == d.labels[i] ? 0.2 : 0.05;
      if (rng.uniform(k++) < p) {
        d.features.col.push_back(w);
        d.features.val.push_back(1.0f);
      }
    }
    d.features.row_ptr.push_back(d.features.nnz());
  }
  row_normalize(d.features);
  for (NodeId i = 0; i < n; ++i) {
    (i % 10 < 2 ? d.train : i % 10 < 5 ? d.val : d.test).push_back(i);
  }
  for (NodeId i = 0; i < n; ++i) d.node_names.push_back(std::to_string(i));
  return d;
}

}  // namespace gat::test
