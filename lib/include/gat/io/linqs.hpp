#pragma once
// Reader for LINQS (Cora-style) citation datasets: <name>.content, <name>.cites, <name>.split.
// The format as accepted is documented in datasets/README.md.

#include <string>

#include "gat/core/types.hpp"
#include "gat/data/dataset.hpp"

namespace gat {

/// @brief Options for load_linqs.
struct LinqsOptions {
  bool strict = false;             // a citation naming an unknown node is an error, not skipped
  bool normalize_features = true;  // divide each feature row by its sum (as the GAT paper does)
};

/// @brief What load_linqs tolerated in the files, beside the Dataset it returns.
struct LinqsReport {
  EdgeId skipped_citations = 0;  // citation lines naming a node absent from .content
};

/// @brief Loads dir/name.content, dir/name.cites and dir/name.split into a Dataset.
/// Fields are separated by tabs or spaces; blank lines and CRLF line ends are accepted.
/// .content: node id, K feature values, class label; K is fixed by the first line. Ids and
///   labels are arbitrary strings; node index = order of appearance; classes are numbered in
///   natural order of their names ("class2" before "class10"). Only non-zeros are stored.
/// .cites: "cited citing" pairs; the graph is made undirected, duplicates dropped, self loops
///   kept as written. A pair naming an id absent from .content is skipped and counted in
///   report->skipped_citations (when report is given), or is an error when options.strict is set.
/// .split: node id, then train, val or test; each node at most once.
/// Throws gat::Error naming the file and 1-based line for every malformed input, and naming
/// the path for a file that cannot be opened.
/// @param report when not null, receives what was skipped; left empty when loading throws
Dataset load_linqs(const std::string& dir, const std::string& name,
                   const LinqsOptions& options = {}, LinqsReport* report = nullptr);

}  // namespace gat
